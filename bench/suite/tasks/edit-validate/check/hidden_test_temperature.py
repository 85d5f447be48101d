import pytest

import temperature as t


@pytest.mark.parametrize("kelvin", [-1, -0.5, -300])
def test_negative_kelvin_is_rejected(kelvin):
    with pytest.raises(ValueError) as info:
        t.kelvin_to_celsius(kelvin)
    assert str(info.value).strip()


def test_valid_kelvin():
    assert t.kelvin_to_celsius(0) == pytest.approx(-273.15)
    assert t.kelvin_to_celsius(300) == pytest.approx(26.85)


def test_other_conversions():
    assert t.celsius_to_fahrenheit(100) == 212
    assert t.fahrenheit_to_celsius(32) == 0
    assert t.celsius_to_kelvin(0) == pytest.approx(273.15)
