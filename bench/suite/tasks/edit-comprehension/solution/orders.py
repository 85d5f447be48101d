"""Order helpers for the shop's daily report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Order:
    id: int
    customer: str
    total: float
    paid: bool


def paid_totals(orders: list[Order]) -> list[float]:
    return [order.total for order in orders if order.paid]


def revenue(orders: list[Order]) -> float:
    return round(sum(paid_totals(orders)), 2)


def unpaid_customers(orders: list[Order]) -> list[str]:
    return sorted({order.customer for order in orders if not order.paid})
