"""Stock keeping for the warehouse tool: items, quantities and reorder levels."""

from __future__ import annotations

from dataclasses import dataclass, field


class StockError(Exception):
    """Raised when an operation would leave the stock in an invalid state."""


@dataclass
class Item:
    sku: str
    name: str
    quantity: int = 0
    reorder_level: int = 0

    def needs_reorder(self) -> bool:
        return self.quantity <= self.reorder_level


@dataclass
class Inventory:
    """All items of one warehouse, by SKU."""

    location: str
    items: dict[str, Item] = field(default_factory=dict)

    def add_item(self, sku: str, name: str, reorder_level: int = 0) -> Item:
        if sku in self.items:
            raise StockError(f"item {sku} already exists")
        item = Item(sku, name, 0, reorder_level)
        self.items[sku] = item
        return item

    def get(self, sku: str) -> Item:
        try:
            return self.items[sku]
        except KeyError:
            raise StockError(f"unknown item {sku}") from None

    def receive(self, sku: str, quantity: int) -> None:
        if quantity <= 0:
            raise StockError("quantity must be positive")
        self.get(sku).quantity += quantity

    def ship(self, sku: str, quantity: int) -> None:
        item = self.get(sku)
        if quantity <= 0:
            raise StockError("quantity must be positive")
        if quantity > item.quantity:
            raise StockError(f"only {item.quantity} of {sku} in stock")
        item.quantity -= quantity

    def remove_item(self, sku: str) -> None:
        item = self.get(sku)
        if item.quantity:
            raise StockError(f"{sku} still has {item.quantity} in stock")
        del self.items[sku]

    def to_reorder(self) -> list[Item]:
        return sorted((i for i in self.items.values() if i.needs_reorder()), key=lambda i: i.sku)

    def stock_take(self, counted: dict[str, int]) -> dict[str, int]:
        """Set quantities to a physical count; returns the differences (counted - recorded) that are not 0."""
        differences = {}
        for sku, quantity in counted.items():
            if quantity < 0:
                raise StockError(f"negative count for {sku}")
            item = self.get(sku)
            if quantity != item.quantity:
                differences[sku] = quantity - item.quantity
                item.quantity = quantity
        return differences

    def transfer(self, sku: str, quantity: int, other: Inventory) -> None:
        """Move `quantity` units of `sku` to `other`, creating the item there if needed."""
        item = self.get(sku)
        self.ship(sku, quantity)
        if sku not in other.items:
            other.add_item(sku, item.name, item.reorder_level)
        other.receive(sku, quantity)

    def value(self, prices: dict[str, float]) -> float:
        """Stock value at `prices` (by SKU); items without a price count as 0."""
        return round(sum(i.quantity * prices.get(i.sku, 0.0) for i in self.items.values()), 2)

    def search(self, text: str) -> list[Item]:
        needle = text.strip().lower()
        return [i for i in self.items.values() if needle in i.name.lower() or needle in i.sku.lower()]

    def report(self) -> str:
        lines = [f"Inventory at {self.location}"]
        for sku in sorted(self.items):
            item = self.items[sku]
            flag = " (reorder)" if item.needs_reorder() else ""
            lines.append(f"  {sku:<8} {item.name:<20} {item.quantity:>5}{flag}")
        return "\n".join(lines)


def load_inventory(location: str, rows: list[dict[str, str]]) -> Inventory:
    """Build an inventory from CSV rows with sku, name, quantity and reorder_level columns."""
    inventory = Inventory(location)
    for row in rows:
        item = inventory.add_item(row["sku"], row["name"], int(row.get("reorder_level", 0)))
        quantity = int(row.get("quantity", 0))
        if quantity:
            inventory.receive(item.sku, quantity)
    return inventory


def to_rows(inventory: Inventory) -> list[dict[str, str]]:
    """The inverse of load_inventory: one row per item, sorted by SKU."""
    return [
        {
            "sku": item.sku,
            "name": item.name,
            "quantity": str(item.quantity),
            "reorder_level": str(item.reorder_level),
        }
        for item in sorted(inventory.items.values(), key=lambda i: i.sku)
    ]


def merge(first: Inventory, second: Inventory, location: str) -> Inventory:
    """A new inventory holding the stock of both; reorder levels are taken from `first` when both have one."""
    merged = Inventory(location)
    for source in (second, first):
        for item in source.items.values():
            merged.items[item.sku] = Item(item.sku, item.name, 0, item.reorder_level)
    for source in (first, second):
        for item in source.items.values():
            merged.items[item.sku].quantity += item.quantity
    return merged
