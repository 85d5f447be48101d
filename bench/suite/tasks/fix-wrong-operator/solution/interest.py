"""Savings calculator."""

from __future__ import annotations


def simple_interest(principal: float, rate: float, years: int) -> float:
    return round(principal * rate * years, 2)


def compound(principal: float, rate: float, years: int) -> float:
    """Balance after `years` of yearly compounding at `rate` (0.05 is 5%), rounded to cents."""
    return round(principal * (1 + rate) ** years, 2)


def years_to_double(rate: float) -> int:
    years = 0
    balance = 1.0
    while balance < 2.0:
        balance *= 1 + rate
        years += 1
    return years
