"""Plain-text sales report."""

from __future__ import annotations


def group_by_region(sales: list[dict]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for sale in sales:
        totals[sale["region"]] = totals.get(sale["region"], 0) + sale["amount"]
    return totals


def summarize(sales: list[dict]) -> str:
    by_region = group_by_region(sales)
    lines = [f"{region}: {amount}" for region, amount in sorted(by_region.items())]
    total = sum(by_region.values())
    lines.append(f"Total: {total}")
    return "\n".join(lines)
