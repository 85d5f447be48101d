"""`python -m skiff.server [--tcp HOST:PORT] [--model PROVIDER/ID]`: run the language server (the same as
`skiff serve`, parsed by the one CLI parser in `skiff.cli`)."""

from __future__ import annotations

from skiff.cli import main

if __name__ == "__main__":
    import sys

    raise SystemExit(main(["serve", *sys.argv[1:]]))
