"""The customer's cart."""

from __future__ import annotations

from shop.pricing import cents, net_price


class Cart:
    def __init__(self, discount_percent: float = 0) -> None:
        self.discount_percent = discount_percent
        self.lines: list[tuple[str, float, int]] = []

    def add(self, name: str, price: float, quantity: int = 1) -> None:
        self.lines.append((name, price, quantity))

    def total(self) -> float:
        return round(sum(net_price(p, self.discount_percent) * q for _, p, q in self.lines), 2)

    def total_cents(self) -> int:
        return cents(self.total())
