"""Plain-text invoices."""

from __future__ import annotations

from shop import pricing
from shop.cart import Cart


def invoice_lines(cart: Cart) -> list[str]:
    lines = []
    for name, price, quantity in cart.lines:
        unit = pricing.net_price(price, cart.discount_percent)
        lines.append(f"{quantity} x {name} @ {unit:.2f}")
    lines.append(f"total {cart.total():.2f}")
    return lines
