"""Order pricing: subtotal, tax and shipping."""

from __future__ import annotations

FREE_SHIPPING_OVER = 50.0
SHIPPING_FEE = 4.99
TAX_RATE = 0.08


def subtotal(lines: list[tuple[int, float]]) -> float:
    """Sum of quantity * unit price over (quantity, unit_price) lines."""
    return round(sum(quantity * price for quantity, price in lines), 2)


def tax(amount: float) -> float:
    return round(amount * TAX_RATE, 2)


def shipping(amount: float) -> float:
    return 0.0 if amount >= FREE_SHIPPING_OVER else SHIPPING_FEE


def total(lines: list[tuple[int, float]]) -> float:
    sub = subtotal(lines)
    return round(sub + sub * TAX_RATE + shipping(sub), 2)


def price_with_tax(price: float) -> float:
    return round(price * (1 + TAX_RATE), 2)
