import ast
from pathlib import Path

from shop import pricing
from shop.cart import Cart
from shop.invoice import invoice_lines


def test_renamed():
    assert pricing.discounted_price(10, 10) == 9.0
    assert not hasattr(pricing, "net_price")
    for path in Path("shop").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "name", None)
            assert name != "net_price", path


def test_users_still_work():
    cart = Cart(discount_percent=20)
    cart.add("pen", 2.5, 4)
    cart.add("pad", 5)
    assert cart.total() == 12.0
    assert cart.total_cents() == 1200
    assert invoice_lines(cart) == ["4 x pen @ 2.00", "1 x pad @ 4.00", "total 12.00"]
