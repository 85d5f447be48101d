"""Run jobs at fixed intervals."""

from __future__ import annotations

from dataclasses import dataclass

from durations import parse_duration
from utils import chunked


@dataclass
class Job:
    name: str
    every: str  # a duration such as "15m"
    last_run: int = 0  # seconds since the epoch

    def next_run(self) -> int:
        return self.last_run + parse_duration(self.every)


def due(jobs: list[Job], now: int) -> list[str]:
    return sorted(job.name for job in jobs if job.next_run() <= now)


def batches(jobs: list[Job], size: int = 2) -> list[list[str]]:
    return [[job.name for job in batch] for batch in chunked(jobs, size)]
