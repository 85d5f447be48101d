"""Durations written as "1h30m", "45s" or "2h"."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(\d+)([hms])")
_SECONDS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> int:
    """Seconds in a duration such as "1h30m", "45s" or "2h"."""
    parts = _DURATION.findall(text.replace(" ", ""))
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(f"invalid duration: {text!r}")
    return sum(int(n) * _SECONDS[u] for n, u in parts)
