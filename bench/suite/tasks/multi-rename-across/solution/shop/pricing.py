"""Discounts and rounding for the shop."""

from __future__ import annotations


def discounted_price(price: float, discount_percent: float = 0) -> float:
    """`price` less `discount_percent` percent, rounded to cents."""
    return round(price * (1 - discount_percent / 100), 2)


def cents(amount: float) -> int:
    return round(amount * 100)
