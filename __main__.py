"""Entry point for `python -m skiff`."""

from skiff.agent.cli import main

raise SystemExit(main())
