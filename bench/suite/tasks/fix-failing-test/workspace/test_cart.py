import pytest

from cart import Line, most_expensive, subtotal, total

LINES = [Line("apple", 4, 0.5), Line("bread", 1, 3.2), Line("cheese", 2, 4.0)]


def test_subtotal():
    assert subtotal(LINES) == pytest.approx(13.2)


def test_total_without_discount():
    assert total(LINES) == pytest.approx(13.2)


def test_total_with_discount():
    assert total(LINES, discount_percent=10) == pytest.approx(11.88)


def test_most_expensive():
    assert most_expensive(LINES).name == "cheese"
    assert most_expensive([]) is None
