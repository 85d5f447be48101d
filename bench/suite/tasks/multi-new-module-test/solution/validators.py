"""Input validation."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def is_valid_email(address: str) -> bool:
    """True for a plausible email address such as name@example.com."""
    return EMAIL.fullmatch(address) is not None
