import pytest

from cart import Line, most_expensive, subtotal, total

LINES = [Line("apple", 4, 0.5), Line("bread", 1, 3.2), Line("cheese", 2, 4.0)]


def test_discounts():
    assert total(LINES, discount_percent=10) == pytest.approx(11.88)
    assert total(LINES, 50) == pytest.approx(6.6)
    assert total([Line("tv", 1, 999.99)], 25) == pytest.approx(749.99)


def test_no_discount():
    assert total(LINES) == pytest.approx(13.2)
    assert total([], 10) == 0


def test_rest_of_the_module():
    assert subtotal(LINES) == pytest.approx(13.2)
    assert most_expensive(LINES).name == "cheese"
