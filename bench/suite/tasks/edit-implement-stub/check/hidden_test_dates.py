import pytest

import dates


def test_days_between():
    assert dates.days_between("2024-01-01", "2024-03-01") == 60
    assert dates.days_between("2023-12-31", "2024-01-01") == 1
    assert dates.days_between("2024-05-05", "2024-05-05") == 0


def test_days_between_backwards():
    assert dates.days_between("2024-03-01", "2024-01-01") == -60


def test_nights():
    assert dates.nights("2024-07-01", "2024-07-04") == 3
    with pytest.raises(ValueError):
        dates.nights("2024-07-04", "2024-07-01")


def test_other_helpers():
    assert dates.add_days("2024-02-28", 2) == "2024-03-01"
    assert dates.is_weekend("2024-06-08") and not dates.is_weekend("2024-06-10")
