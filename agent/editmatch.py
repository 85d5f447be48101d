"""Transition shim: edit matching moved to `skiff.agent.text.editmatch`; the old import path stays."""

from __future__ import annotations

from skiff.agent.text.editmatch import (
    Closest,
    EditMatchError,
    EditOutcome,
    apply_edit,
    block_lines,
    closest_region,
    normalize_line,
)

__all__ = [
    "Closest",
    "EditMatchError",
    "EditOutcome",
    "apply_edit",
    "block_lines",
    "closest_region",
    "normalize_line",
]
