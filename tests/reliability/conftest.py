"""Fixtures of the reliability suite: a models.json with scripted and loopback models, a workspace, and the
real server over raw stdio."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stdio_client import StdioServer, models_file


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    return root.resolve()


@pytest.fixture
def server(tmp_path: Path, workspace: Path) -> Iterator[StdioServer]:
    """The real server over stdio, initialized with `workspace` as its root."""
    env = {
        "SKIFF_MODELS_FILE": str(models_file(tmp_path)),
        "SKIFF_LOG_LEVEL": "WARNING",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    srv = StdioServer(workspace, env)
    init = srv.request(
        "init", "initialize", {"capabilities": {}, "rootUri": workspace.as_uri(), "processId": None}
    )
    assert init is not None and "result" in init, srv.stderr_text
    srv.notify("initialized", {})
    yield srv
    if srv.proc.poll() is None:
        srv.close()
