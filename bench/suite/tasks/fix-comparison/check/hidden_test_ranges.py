import pytest

from ranges import clamp, normalize, snap


@pytest.mark.parametrize(
    "value, expected", [(-5, 0), (0, 0), (5, 5), (10, 10), (50, 10), (9.5, 9.5)]
)
def test_clamp(value, expected):
    assert clamp(value, 0, 10) == expected


def test_normalize():
    assert normalize(5, 0, 10) == 0.5
    assert normalize(20, 0, 10) == 1.0
    assert normalize(-3, 0, 10) == 0.0
    assert normalize(3, 3, 3) == 0.0


def test_snap():
    assert snap(7, 5) == 5
    assert snap(8, 5) == 10
