"""The address book's data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Contact:
    name: str
    email: str
    company: str | None = None
