"""Money formatting shared by the exports."""

from __future__ import annotations


def format_amount(value: float) -> str:
    """`value` with two decimals and spaces between thousands: 1234.5 -> "1 234.50"."""
    return f"{float(value):,.2f}".replace(",", " ")
