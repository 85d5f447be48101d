import ast
import inspect

import shipping


def test_constant():
    assert shipping.TAX_RATE == 0.08


def test_no_literal_left_in_functions():
    tree = ast.parse(inspect.getsource(shipping))
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(fn):
            assert not (isinstance(node, ast.Constant) and node.value in (0.08, 1.08)), fn.name


def test_functions_use_the_constant(monkeypatch):
    monkeypatch.setattr(shipping, "TAX_RATE", 0.1)
    assert shipping.tax(100) == 10.0
    assert shipping.total([(1, 100.0)]) == 110.0
    assert shipping.price_with_tax(10) == 11.0


def test_default_prices():
    assert shipping.tax(50) == 4.0
    assert shipping.total([(2, 10.0)]) == 26.59
    assert shipping.total([(1, 100.0)]) == 108.0
    assert shipping.price_with_tax(10) == 10.8
