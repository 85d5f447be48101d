"""Entry point for `python -m skiff`."""

from skiff.cli import main

raise SystemExit(main())
