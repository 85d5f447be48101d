"""Emacs as a real third-party LSP client: Debian's Emacs and Eglot (elpa-eglot) in batch mode against
the real `skiff serve` with scripted models.

tests/emacs/skiff-eglot-test.el drives Eglot as a user would (code actions picked by title, Eglot's y/n
edit prompt answered): code action -> proposal -> review diff -> accept; decline; a failed turn shows its
reason. `make deps` installs `emacs-nox` and `elpa-eglot`; without them this test fails with that hint.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "emacs" / "skiff-eglot-test.el"
INSTALL_HINT = "apt-get install emacs-nox elpa-eglot (see `make deps`)"
TIMEOUT = 180

STATS_PY = "def mean(xs):\n    return sum(xs) / len(xs)\n\n\ndef total(xs):\n    return sum(xs)\n"
PROFILE = {"mechanisms": [], "turnCap": 6, "retries": 0, "toolCallFormat": "native"}
EDIT = {
    "tool_calls": [
        {
            "name": "edit",
            "arguments": {
                "path": "stats.py",
                "old_string": "def mean(xs):\n",
                "new_string": 'def mean(xs):\n    """Return the mean."""\n',
            },
        }
    ]
}
MODELS = {
    "default": "test/edit",
    "profiles": {"test": PROFILE},
    "providers": {
        "test": {
            "api": "scripted",
            "models": [
                {"id": "edit", "profile": "test", "replies": [EDIT, "Added a docstring."]},
                {
                    "id": "broken",
                    "profile": "test",
                    "replies": [{"error": "connection refused: http://127.0.0.1:9/v1/chat/completions"}],
                },
            ],
        }
    },
}


def test_eglot_reviews_accepts_and_declines_proposals_and_shows_a_failed_turn(tmp_path: Path) -> None:
    emacs = shutil.which("emacs")
    assert emacs, f"Emacs is not installed: {INSTALL_HINT}"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "stats.py").write_text(STATS_PY)
    models = tmp_path / "models.json"
    models.write_text(json.dumps(MODELS))
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),  # no user init, no user packages
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "SKIFF_MODELS_FILE": str(models),
        "SKIFF_TEST_WORKSPACE": str(workspace),
        "SKIFF_TEST_PYTHON": sys.executable,
    }
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        [emacs, "--batch", "-l", str(SCRIPT)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    log = proc.stdout + proc.stderr
    assert "Cannot open load file" not in log or "eglot" not in log, f"Eglot is missing: {INSTALL_HINT}"
    assert proc.returncode == 0, log[-6000:]
    assert "SKIFF-TEST ok" in log
    accepted = next(line for line in log.splitlines() if line.startswith("SKIFF-TEST accepted"))
    diff = (tmp_path / "cache" / "skiff" / "proposals" / f"{accepted.split()[-1]}.diff").read_text()
    assert "--- a/stats.py" in diff and '+    """Return the mean."""' in diff
    assert (workspace / "stats.py").read_text() == STATS_PY  # the accepted edit is in the unsaved buffer
