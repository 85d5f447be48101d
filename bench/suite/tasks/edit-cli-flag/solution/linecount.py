"""Count the lines of text files: `python linecount.py FILE...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def count_lines(path: Path, skip_blank: bool = False) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if not (skip_blank and not line.strip()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Count the lines of text files.")
    parser.add_argument("files", nargs="+", type=Path, help="files to count")
    parser.add_argument("--skip-blank", action="store_true", help="do not count blank lines")
    parser.add_argument("--verbose", action="store_true", help="print each file as it is processed")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    total = 0
    for path in args.files:
        if args.verbose:
            print(f"processing {path}", file=sys.stderr)
        if not path.is_file():
            print(f"linecount: {path}: no such file", file=sys.stderr)
            return 1
        n = count_lines(path, args.skip_blank)
        total += n
        print(f"{n:>8} {path}")
    if len(args.files) > 1:
        print(f"{total:>8} total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
