"""`python -m skiff.server [--tcp HOST:PORT] [--model PROVIDER/ID]`: run the language server."""

from __future__ import annotations

import argparse

from skiff.server.app import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skiff.server", description=__doc__)
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    parser.add_argument(
        "--model", metavar="PROVIDER/ID", help="the model for new turns (default: the registry's)"
    )
    args = parser.parse_args(argv)
    return serve(args.tcp, args.model)


if __name__ == "__main__":
    raise SystemExit(main())
