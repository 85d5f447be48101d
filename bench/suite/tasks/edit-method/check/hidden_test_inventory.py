import pytest

from inventory import Inventory, StockError, load_inventory, merge, to_rows


def make():
    return load_inventory("north", [
        {"sku": "A1", "name": "bolt", "quantity": "40", "reorder_level": "10"},
        {"sku": "B2", "name": "nut", "quantity": "5", "reorder_level": "10"},
        {"sku": "C3", "name": "washer", "quantity": "0"},
    ])


def test_total_quantity():
    assert make().total_quantity() == 45


def test_total_quantity_follows_changes():
    inv = make()
    inv.ship("A1", 15)
    inv.receive("C3", 3)
    assert inv.total_quantity() == 33


def test_total_quantity_empty():
    assert Inventory("empty").total_quantity() == 0


def test_rest_of_the_class():
    inv = make()
    assert [i.sku for i in inv.to_reorder()] == ["B2", "C3"]
    with pytest.raises(StockError):
        inv.ship("B2", 6)
    assert "bolt" in inv.report()
    assert inv.stock_take({"A1": 38, "B2": 5}) == {"A1": -2}
    other = Inventory("south")
    inv.transfer("A1", 8, other)
    assert other.get("A1").quantity == 8 and inv.get("A1").quantity == 30
    assert merge(inv, other, "all").get("A1").quantity == 38
    assert to_rows(other)[0]["quantity"] == "8"
