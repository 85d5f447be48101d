"""Grade book helpers."""

from __future__ import annotations


def average(scores: list[float]) -> float:
    if not scores:
        return 0.0
    return sum(scores) / len(scores)


def letter(score: float) -> str:
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"


def report(students: dict[str, list[float]]) -> list[str]:
    lines = []
    for name, scores in sorted(students.items()):
        avg = average(scores)
        lines.append(f"{name}: {avg:.1f} ({letter(avg)})")
    return lines
