"""Runs the VS Code extension's own test suite (`npm test` in vscode-client/).

That suite type-checks the extension (tsc, strict), bundles it, and runs vitest: unit tests, the
extension module against a stubbed `vscode`, a protocol test that drives this repository's server
(`python -m skiff.server`, with the Python running pytest) and the chat webview in headless Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parent.parent / "vscode-client"


def test_vscode_client_npm_test() -> None:
    if not (CLIENT / "node_modules").is_dir():
        pytest.fail(f"{CLIENT / 'node_modules'} is missing: run `npm ci` in vscode-client first")
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: install Node.js 20+ and run `npm ci` in vscode-client")
    env = dict(os.environ)
    # The protocol test starts the server with this interpreter (it has skiff installed).
    env["SKIFF_PYTHON"] = sys.executable
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("CI", "1")
    env["NO_COLOR"] = "1"
    try:
        proc = subprocess.run(
            [npm, "test"],
            cwd=CLIENT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=280,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode(errors="replace")
        pytest.fail(f"npm test in vscode-client timed out:\n{out[-6000:]}")
    assert proc.returncode == 0, (
        f"npm test in vscode-client failed ({proc.returncode}):\n{proc.stdout[-8000:]}"
    )
    assert (
        "Test Files" in proc.stdout
        and "failed" not in proc.stdout.split("Test Files", 1)[1].split("\n", 1)[0]
    )
