import math


def clamp(value, low, high):
    if value < low:
        return high
    if value > high:
        return low
    return value


def circle_area(radius):
    return math.pi * radius * 2
