import pytest

from pagination import page, page_count, page_label

ITEMS = list(range(25))


def test_pages():
    assert page(ITEMS, 1) == list(range(10))
    assert page(ITEMS, 2) == list(range(10, 20))
    assert page(ITEMS, 3) == [20, 21, 22, 23, 24]
    assert page(ITEMS, 4) == []
    assert page(ITEMS, 2, per_page=5) == [5, 6, 7, 8, 9]


def test_page_zero_is_an_error():
    with pytest.raises(ValueError):
        page(ITEMS, 0)


def test_helpers():
    assert page_count(25) == 3
    assert page_count(0) == 1
    assert page_label(3, 25) == "21-25 of 25"
