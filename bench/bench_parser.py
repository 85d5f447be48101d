"""Benchmark of the text tool-call parser over the test corpus: recall, false positives and parse time.

Run from the repository root: `python bench/bench_parser.py [--repeat N]`. Prints plain-text tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from skiff.agent.toolcalls import parse_tool_calls

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
from toolcall_corpus import ALL_CASES, TOOLS


def _time_case(text: str, repeat: int) -> float:
    """Median wall time of one parse, in microseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        parse_tool_calls(text, TOOLS)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    return statistics.median(samples)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=30, help="timed parses per case (default 30)")
    args = ap.parse_args()

    positives = [c for c in ALL_CASES if c["expect"]]
    negatives = [c for c in ALL_CASES if not c["expect"]]
    exact = 0
    false_pos = 0
    failures: list[str] = []
    by_format: dict[str, list[bool]] = defaultdict(list)
    times: list[float] = []

    for case in ALL_CASES:
        calls = parse_tool_calls(case["text"], TOOLS)
        got = [(c.name, c.arguments) for c in calls]
        want = [tuple(e) for e in case["expect"]]
        times.append(_time_case(case["text"], args.repeat))
        if case["expect"]:
            ok = got == want
            exact += ok
            fmt = case.get("fmt") or (calls[0].source_format if calls else "?")
            by_format[fmt].append(ok)
            if not ok:
                failures.append(f"  miss  {case['id']}: got {got!r}")
        elif calls:
            false_pos += 1
            failures.append(f"  FP    {case['id']}: got {got!r}")

    times_sorted = sorted(times)
    p95 = times_sorted[min(len(times_sorted) - 1, round(0.95 * (len(times_sorted) - 1)))]
    summary = [
        ["metric", "value"],
        ["cases", str(len(ALL_CASES))],
        ["positives", str(len(positives))],
        ["negatives", str(len(negatives))],
        ["recall (exact calls / positives)", f"{exact / len(positives):.1%} ({exact}/{len(positives)})"],
        [
            "false-positive rate (negatives with a call)",
            f"{false_pos / len(negatives):.1%} ({false_pos}/{len(negatives)})",
        ],
        ["parse time per case, median", f"{statistics.median(times):.0f} us"],
        ["parse time per case, p95", f"{p95:.0f} us"],
        ["parse time per case, max", f"{max(times):.0f} us"],
    ]
    print(_table(summary))
    print()
    fmt_rows = [["source format (positives)", "cases", "exact"]]
    for fmt in sorted(by_format):
        oks = by_format[fmt]
        fmt_rows.append([fmt, str(len(oks)), f"{sum(oks)}/{len(oks)}"])
    print(_table(fmt_rows))
    if failures:
        print("\nfailures:")
        print("\n".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
