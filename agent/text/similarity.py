"""The one similarity measure for texts and names: difflib's ratio, for single pairs, one target or a word.

`similarity` is 2·M/T (M matched characters, T the two lengths together), 0 for nothing in common and 1
for equal texts, computed without difflib's autojunk heuristic (which ignores frequent characters in texts
of 200 or more and makes long texts look unlike). `SimilarTo` scores many texts against one target,
indexing the target once; `close_matches` is difflib's best-matches-of-a-word (with its quick filters).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def similarity(a: str, b: str) -> float:
    """How alike two texts are, from 0 to 1."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


class SimilarTo:
    """`similarity(text, target)` for many texts, with the target indexed once."""

    def __init__(self, target: str) -> None:
        self._matcher = difflib.SequenceMatcher(None, autojunk=False)
        self._matcher.set_seq2(target)

    def __call__(self, text: str) -> float:
        self._matcher.set_seq1(text)
        return self._matcher.ratio()


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The at most `n` candidates most like `word` with a similarity of at least `cutoff`, best first."""
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=cutoff)
