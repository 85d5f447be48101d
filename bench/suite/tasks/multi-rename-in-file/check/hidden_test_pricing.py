import ast
import inspect

import pricing


def test_renamed():
    assert pricing.compute_tax(10) == 2.0
    assert not hasattr(pricing, "calc_tax")
    names = {n.id for n in ast.walk(ast.parse(inspect.getsource(pricing))) if isinstance(n, ast.Name)}
    assert "calc_tax" not in names


def test_callers_still_work():
    assert pricing.gross(10) == 12.0
    assert pricing.quote_line("desk", 100) == "desk: 100.00 + 20.00 VAT = 120.00"
    assert pricing.quote_total([10, 5.5]) == (15.5, 3.1)
