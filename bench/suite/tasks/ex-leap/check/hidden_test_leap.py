import pytest

from leap import leap_year


@pytest.mark.parametrize("year", [1996, 2000, 2024, 1600, 4])
def test_leap(year):
    assert leap_year(year) is True


@pytest.mark.parametrize("year", [2023, 1900, 2100, 1800, 1999])
def test_not_leap(year):
    assert leap_year(year) is False
