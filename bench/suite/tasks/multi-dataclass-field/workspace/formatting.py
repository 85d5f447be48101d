"""How contacts are shown in the terminal."""

from __future__ import annotations

from models import Contact


def format_contact(contact: Contact) -> str:
    text = f"{contact.name} <{contact.email}>"
    if contact.company:
        text += f", {contact.company}"
    return text


def format_list(contacts: list[Contact]) -> str:
    ordered = sorted(contacts, key=lambda c: c.name.lower())
    return "\n".join(format_contact(c) for c in ordered)
