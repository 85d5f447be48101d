"""Tags for notes: normalized, lower-case, no duplicates."""

from __future__ import annotations

from collections import Counter


def normalize(tag: str) -> str:
    return tag.strip().lower()


def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:
    """`tags` with `tag` added once (existing tags are not repeated)."""
    if tags is None:
        tags = []
    tag = normalize(tag)
    if tag not in tags:
        tags.append(tag)
    return tags


def parse_tags(text: str) -> list[str]:
    tags: list[str] = []
    for part in text.split(","):
        if part.strip():
            tags = add_tag(part, tags)
    return tags


def tag_counts(notes: list[list[str]]) -> dict[str, int]:
    return dict(Counter(normalize(t) for tags in notes for t in tags))
