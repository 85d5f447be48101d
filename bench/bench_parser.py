"""Benchmark of the text tool-call parser over its two corpora: recall, false positives and parse time.

`tests/fixtures/toolcall_corpus.py` was written alongside the parser (a regression baseline);
`tests/fixtures/toolcall_heldout.py` was written afterwards, in the styles of other model families, and
scored before the parser was changed for it. Run from the repository root:
`python bench/bench_parser.py [--repeat N] [--corpus main|heldout]`. Prints plain-text tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.agent.parsing.toolcalls import parse_tool_calls

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
import toolcall_corpus
import toolcall_heldout

CORPORA: dict[str, Any] = {"main": toolcall_corpus, "heldout": toolcall_heldout}


@dataclass
class Score:
    name: str
    cases: int = 0
    positives: int = 0
    negatives: int = 0
    exact: int = 0
    false_pos: int = 0
    times: list[float] = field(default_factory=list)
    by_format: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)


def _time_case(text: str, tools: list[dict[str, Any]], repeat: int) -> float:
    """Median wall time of one parse, in microseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        parse_tool_calls(text, tools)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    return statistics.median(samples)


def score(name: str, cases: list[dict[str, Any]], tools: list[dict[str, Any]], repeat: int) -> Score:
    s = Score(name, cases=len(cases))
    for case in cases:
        calls = parse_tool_calls(case["text"], tools)
        got = [(c.name, c.arguments) for c in calls]
        want = [tuple(e) for e in case["expect"]]
        s.times.append(_time_case(case["text"], tools, repeat))
        if case["expect"]:
            s.positives += 1
            ok = got == want
            s.exact += ok
            fmt = case.get("fmt") or (calls[0].source_format if calls else "?")
            s.by_format[fmt].append(ok)
            if not ok:
                s.failures.append(f"  miss  {case['id']}: got {got!r}")
        else:
            s.negatives += 1
            if calls:
                s.false_pos += 1
                s.failures.append(f"  FP    {case['id']}: got {got!r}")
    return s


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


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=30, help="timed parses per case (default 30)")
    ap.add_argument("--corpus", choices=[*CORPORA, "all"], default="all", help="which corpus (default all)")
    args = ap.parse_args()

    names = list(CORPORA) if args.corpus == "all" else [args.corpus]
    scores = [score(n, CORPORA[n].ALL_CASES, CORPORA[n].TOOLS, args.repeat) for n in names]

    summary = [
        ["corpus", "cases", "positives", "recall", "false-positive rate", "median parse", "p95 parse", "max"]
    ]
    for s in scores:
        summary.append(
            [
                s.name,
                str(s.cases),
                str(s.positives),
                f"{s.exact / max(s.positives, 1):.1%} ({s.exact}/{s.positives})",
                f"{s.false_pos / max(s.negatives, 1):.1%} ({s.false_pos}/{s.negatives})",
                f"{statistics.median(s.times):.0f} us",
                f"{_p95(s.times):.0f} us",
                f"{max(s.times):.0f} us",
            ]
        )
    print(_table(summary))
    for s in scores:
        print()
        fmt_rows = [[f"{s.name}: source format (positives)", "cases", "exact"]]
        for fmt in sorted(s.by_format):
            oks = s.by_format[fmt]
            fmt_rows.append([fmt, str(len(oks)), f"{sum(oks)}/{len(oks)}"])
        print(_table(fmt_rows))
    failed = [s for s in scores if s.failures]
    for s in failed:
        print(f"\n{s.name} failures:")
        print("\n".join(s.failures))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
