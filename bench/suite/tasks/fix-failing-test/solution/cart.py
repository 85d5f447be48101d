"""Shopping cart totals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Line:
    name: str
    quantity: int
    unit_price: float


def subtotal(lines: list[Line]) -> float:
    return sum(line.quantity * line.unit_price for line in lines)


def total(lines: list[Line], discount_percent: float = 0) -> float:
    """The amount to pay: the subtotal less `discount_percent` percent, rounded to cents."""
    amount = subtotal(lines)
    amount *= 1 - discount_percent / 100
    return round(amount, 2)


def most_expensive(lines: list[Line]) -> Line | None:
    return max(lines, key=lambda line: line.unit_price, default=None)
