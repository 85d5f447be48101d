import pytest

from interest import compound, simple_interest, years_to_double


def test_compound():
    assert compound(1000, 0.05, 2) == pytest.approx(1102.5)
    assert compound(500, 0.1, 3) == pytest.approx(665.5)
    assert compound(100, 0.05, 0) == pytest.approx(100)
    assert compound(1000, 0.05, 1) == pytest.approx(1050)


def test_rest_of_the_module():
    assert simple_interest(1000, 0.05, 2) == 100
    assert years_to_double(0.1) == 8
