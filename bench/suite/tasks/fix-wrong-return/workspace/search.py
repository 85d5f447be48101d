"""Searching the address book: matching, filtering and grouping contacts."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Contact:
    name: str
    email: str
    city: str = ""
    tags: set[str] = field(default_factory=set)

    @property
    def initial(self) -> str:
        return fold(self.name)[:1].upper() or "#"


def fold(text: str) -> str:
    """Lower-case `text` without accents, for accent-insensitive matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def matches(contact: Contact, query: str) -> bool:
    """True when every word of `query` starts a word of the contact's name, email or city."""
    words = tokens(f"{contact.name} {contact.email} {contact.city}")
    return all(any(w.startswith(q) for w in words) for q in tokens(query))


def search(contacts: Iterable[Contact], query: str) -> list[Contact]:
    return sorted((c for c in contacts if matches(c, query)), key=lambda c: fold(c.name))


def find_first(contacts: Iterable[Contact], predicate: Callable[[Contact], bool]) -> Contact | None:
    """The first contact for which `predicate` is true, or None."""
    for contact in contacts:
        if predicate(contact):
            return contact
        return None


def find_by_email(contacts: Iterable[Contact], email: str) -> Contact | None:
    wanted = email.strip().lower()
    return find_first(contacts, lambda c: c.email.lower() == wanted)


def with_tag(contacts: Iterable[Contact], tag: str) -> list[Contact]:
    return [c for c in contacts if tag in c.tags]


def group_by_initial(contacts: Iterable[Contact]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: fold(c.name)):
        groups[contact.initial].append(contact.name)
    return dict(groups)


def cities(contacts: Iterable[Contact]) -> list[str]:
    return sorted({c.city for c in contacts if c.city})


def parse_line(line: str) -> Contact:
    """A contact from `Name <email>; city; tag1,tag2` (city and tags optional)."""
    head, *rest = [part.strip() for part in line.split(";")]
    found = re.fullmatch(r"(.+?)\s*<([^>]+)>", head)
    if not found:
        raise ValueError(f"not a contact line: {line!r}")
    city = rest[0] if rest else ""
    tags = {t.strip() for t in rest[1].split(",") if t.strip()} if len(rest) > 1 else set()
    return Contact(found.group(1), found.group(2), city, tags)


def load(text: str) -> list[Contact]:
    return [parse_line(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def format_line(contact: Contact) -> str:
    """The inverse of parse_line."""
    parts = [f"{contact.name} <{contact.email}>"]
    if contact.city or contact.tags:
        parts.append(contact.city)
    if contact.tags:
        parts.append(",".join(sorted(contact.tags)))
    return "; ".join(parts)


def dedupe(contacts: Iterable[Contact]) -> list[Contact]:
    """One contact per email address (case-insensitive): the first wins, later tags are merged into it."""
    seen: dict[str, Contact] = {}
    for contact in contacts:
        key = contact.email.lower()
        if key in seen:
            seen[key].tags |= contact.tags
            if not seen[key].city:
                seen[key].city = contact.city
        else:
            seen[key] = Contact(contact.name, contact.email, contact.city, set(contact.tags))
    return list(seen.values())


def dump(contacts: Iterable[Contact]) -> str:
    return "\n".join(format_line(c) for c in sorted(contacts, key=lambda c: fold(c.name))) + "\n"
