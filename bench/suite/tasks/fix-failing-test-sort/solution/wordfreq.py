"""Word frequencies for the writing assistant."""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def count_words(text: str) -> Counter[str]:
    return Counter(words(text))


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """The `n` most frequent words of `text` with their counts, most frequent first."""
    counts = count_words(text)
    return sorted(counts.items(), key=lambda pair: pair[1], reverse=True)[:n]


def unique_ratio(text: str) -> float:
    all_words = words(text)
    return len(set(all_words)) / len(all_words) if all_words else 0.0
