"""Handler timings: how long the server spends inside latency-critical handlers (`skiff/debugStats`)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of the samples; 0.0 when empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class HandlerStats:
    """The last `keep` durations (milliseconds) of each timed method."""

    def __init__(self, keep: int = 10_000) -> None:
        self.keep = keep
        self.samples: dict[str, deque[float]] = {}

    @contextmanager
    def timed(self, method: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            ms = (time.perf_counter() - start) * 1000
            self.samples.setdefault(method, deque(maxlen=self.keep)).append(ms)

    def reset(self) -> None:
        self.samples.clear()

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for method, values in self.samples.items():
            data = list(values)
            out.append(
                {
                    "method": method,
                    "count": len(data),
                    "p50Ms": round(percentile(data, 50), 4),
                    "p99Ms": round(percentile(data, 99), 4),
                    "maxMs": round(max(data), 4) if data else 0.0,
                }
            )
        return out
