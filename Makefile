# Developer entry points. `make test` installs what the tests need (fast when already installed) and runs
# lint, type checks and the whole test suite: Python, language server, Neovim, VS Code client.
PYTHON ?= python3

.PHONY: test deps lint pytest bench

test: deps lint pytest

deps:
	$(PYTHON) -m pip install -q --require-hashes -r requirements/neovim.txt
	$(PYTHON) -m pip install -q -e '.[dev]'
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	# Emacs + Eglot drive the server as a third-party LSP client (tests/test_emacs.py).
	command -v emacs >/dev/null && ls -d /usr/share/emacs/site-lisp/elpa/eglot-* >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq emacs-nox elpa-eglot >/dev/null)
	cd vscode-client && npm ci --no-audit --no-fund --loglevel=error

lint: build/typecheck/skiff
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

build/typecheck/skiff:
	mkdir -p build/typecheck && ln -sfn ../.. build/typecheck/skiff

pytest:
	$(PYTHON) -m pytest

bench:
	$(PYTHON) bench/bench_prompt_overhead.py
	$(PYTHON) bench/bench_scaffold.py
	$(PYTHON) bench/bench_parser.py
	$(PYTHON) bench/bench_embedded.py
	$(PYTHON) bench/bench_code_action_latency.py
