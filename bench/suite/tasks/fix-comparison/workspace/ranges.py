"""Numeric range helpers for the slider widgets."""

from __future__ import annotations


def clamp(value: float, low: float, high: float) -> float:
    """`value` limited to the range [low, high]."""
    if value > low:
        return low
    if value < high:
        return high
    return value


def normalize(value: float, low: float, high: float) -> float:
    """Position of `value` in [low, high] as a fraction from 0 to 1."""
    if high == low:
        return 0.0
    return (clamp(value, low, high) - low) / (high - low)


def snap(value: float, step: float) -> float:
    return round(value / step) * step
