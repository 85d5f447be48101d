"""Paging through search results. Pages are numbered from 1."""

from __future__ import annotations

import math
from typing import TypeVar

T = TypeVar("T")


def page_count(total: int, per_page: int = 10) -> int:
    return max(1, math.ceil(total / per_page))


def page(items: list[T], number: int, per_page: int = 10) -> list[T]:
    """The items on page `number` (1-based) when showing `per_page` items per page."""
    if number < 1:
        raise ValueError("pages are numbered from 1")
    start = (number - 1) * per_page
    return items[start : start + per_page]


def page_label(number: int, total: int, per_page: int = 10) -> str:
    first = (number - 1) * per_page + 1
    last = min(number * per_page, total)
    return f"{first}-{last} of {total}"
