"""Prices for the quote generator."""

from __future__ import annotations

VAT = 0.2


def calc_tax(amount: float) -> float:
    return round(amount * VAT, 2)


def gross(amount: float) -> float:
    return round(amount + calc_tax(amount), 2)


def quote_line(name: str, amount: float) -> str:
    return f"{name}: {amount:.2f} + {calc_tax(amount):.2f} VAT = {gross(amount):.2f}"


def quote_total(amounts: list[float]) -> tuple[float, float]:
    taxes = sum(calc_tax(a) for a in amounts)
    return round(sum(amounts), 2), round(taxes, 2)
