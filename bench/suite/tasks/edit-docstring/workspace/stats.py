"""Small statistics helpers used by the report scripts."""

from __future__ import annotations

import math


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    """The middle value of `values` (the mean of the two middle values for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def variance(values: list[float]) -> float:
    """Population variance of `values`."""
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def stdev(values: list[float]) -> float:
    """Population standard deviation of `values`."""
    return math.sqrt(variance(values))
