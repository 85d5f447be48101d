"""2D shapes for the plotting module."""

from __future__ import annotations

import math


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def distance_to(self, other: Point) -> float:
        return math.hypot(self.x - other.x, self.y - other.y)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


class Rect:
    def __init__(self, corner: Point, width: float, height: float) -> None:
        self.corner = corner
        self.width = width
        self.height = height

    def area(self) -> float:
        return self.width * self.height

    def contains(self, point: Point) -> bool:
        return (
            self.corner.x <= point.x <= self.corner.x + self.width
            and self.corner.y <= point.y <= self.corner.y + self.height
        )

    def __repr__(self) -> str:
        return f"Rect(corner={self.corner!r}, width={self.width}, height={self.height})"
