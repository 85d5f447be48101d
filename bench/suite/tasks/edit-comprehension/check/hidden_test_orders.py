import ast
import inspect
import textwrap

import orders
from orders import Order

ORDERS = [
    Order(1, "ann", 10.5, True),
    Order(2, "bob", 3.0, False),
    Order(3, "cid", 7.25, True),
    Order(4, "bob", 1.0, False),
    Order(5, "ann", 2.0, True),
]


def test_uses_a_list_comprehension():
    tree = ast.parse(textwrap.dedent(inspect.getsource(orders.paid_totals)))
    nodes = list(ast.walk(tree))
    assert any(isinstance(n, ast.ListComp) for n in nodes)
    assert not any(isinstance(n, (ast.For, ast.While)) for n in nodes)


def test_same_result():
    assert orders.paid_totals(ORDERS) == [10.5, 7.25, 2.0]
    assert orders.paid_totals([]) == []


def test_rest_of_the_module():
    assert orders.revenue(ORDERS) == 19.75
    assert orders.unpaid_customers(ORDERS) == ["bob"]
