"""Date helpers for the booking service. Dates are ISO strings: YYYY-MM-DD."""

from __future__ import annotations

from datetime import date, timedelta


def parse(day: str) -> date:
    return date.fromisoformat(day)


def add_days(day: str, days: int) -> str:
    return (parse(day) + timedelta(days=days)).isoformat()


def is_weekend(day: str) -> bool:
    return parse(day).weekday() >= 5


def days_between(start: str, end: str) -> int:
    """Number of days from `start` to `end` (negative when `end` is before `start`)."""
    return (parse(end) - parse(start)).days


def nights(check_in: str, check_out: str) -> int:
    """Nights of a stay; a check-out before the check-in is an error."""
    n = days_between(check_in, check_out)
    if n < 0:
        raise ValueError("check-out is before check-in")
    return n
