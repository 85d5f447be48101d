"""User sign-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class User:
    name: str
    email: str


USERS: dict[str, User] = {}


def register(name: str, email: str) -> User:
    # TODO: check that the email address is valid
    key = email.strip().lower()
    if key in USERS:
        raise ValueError(f"{email} is already registered")
    user = User(name.strip(), key)
    USERS[key] = user
    return user
