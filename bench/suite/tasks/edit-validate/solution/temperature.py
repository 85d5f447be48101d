"""Temperature conversions for the weather station."""

from __future__ import annotations

ABSOLUTE_ZERO_C = -273.15


def celsius_to_fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32) * 5 / 9


def kelvin_to_celsius(kelvin: float) -> float:
    if kelvin < 0:
        raise ValueError(f"temperature below absolute zero: {kelvin} K")
    return kelvin + ABSOLUTE_ZERO_C


def celsius_to_kelvin(celsius: float) -> float:
    return celsius - ABSOLUTE_ZERO_C
