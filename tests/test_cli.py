"""The `skiff` command end to end in a subprocess: run (diff on stdout), models, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from skiff.agent.proposal import Proposal, validate_diff
from skiff.agent.workspace import Overlay, Workspace
from skiff.cli import apply_proposal

ROOT = Path(__file__).resolve().parents[1]


def skiff(
    *args: str, models: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SKIFF_MODELS_FILE"}
    env["NO_COLOR"] = "1"
    if models is not None:
        env["SKIFF_MODELS_FILE"] = str(models)
    return subprocess.run(
        [sys.executable, "-m", "skiff", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def scripted_models(tmp_path: Path, replies: list[object], edit_format: str = "tools") -> Path:
    """A models file whose default model replays `replies`; `edit_format` picks the tool loop or the
    one-call edit path."""
    path = tmp_path / "models.json"
    model = {"id": "scripted", "replies": replies, "profile": {"editFormat": edit_format}}
    path.write_text(
        json.dumps(
            {"default": "test/scripted", "providers": {"test": {"api": "scripted", "models": [model]}}}
        )
    )
    return path


def demo(tmp_path: Path) -> Path:
    ws = tmp_path / "demo"
    shutil.copytree(ROOT / "examples" / "demo", ws)
    return ws


def test_run_prints_unified_diff_and_progress(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    models = scripted_models(
        tmp_path,
        [
            {
                "tool_calls": [
                    {
                        "name": "edit",
                        "arguments": {
                            "path": "stats.py",
                            "old_string": "def mean(xs):\n",
                            "new_string": 'def mean(xs):\n    """Return the mean of xs."""\n',
                        },
                    }
                ]
            },
            "Added a docstring.",
        ],
    )
    proc = skiff("run", "--workspace", str(ws), "add a docstring to mean()", models=models)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- a/stats.py\n+++ b/stats.py\n")
    assert '+    """Return the mean of xs."""' in proc.stdout
    validate_diff(proc.stdout)
    assert "→ edit(" in proc.stderr and "Added a docstring." in proc.stderr
    assert "def mean(xs):\n    return" in (ws / "stats.py").read_text(), "run without --apply writes nothing"


def test_run_one_call_edit_prints_the_diff_and_its_checks(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    (ws / "test_stats.py").write_text(
        "from stats import mean\n\n\ndef test_mean():\n    assert mean([1, 3]) == 2\n"
    )
    new = (ws / "stats.py").read_text().replace("def mean(xs):\n", 'def mean(xs):\n    """The mean."""\n')
    models = scripted_models(tmp_path, [f"stats.py\n```python\n{new}```"], edit_format="auto")
    proc = skiff(
        "run", "--workspace", str(ws), "--file", "stats.py", "add a docstring to mean()", models=models
    )
    assert proc.returncode == 0, proc.stderr
    assert '+    """The mean."""' in proc.stdout
    validate_diff(proc.stdout)
    assert "after 1 model call(s)" in proc.stderr
    assert "skiff: checks: syntax ok · 1 test passed" in proc.stderr


def test_run_without_file_takes_the_source_file_the_request_names_not_its_instructions(
    tmp_path: Path,
) -> None:
    # "Implement acronym.py as described in INSTRUCTIONS.md": the instructions sort first, but the edit
    # is about the source file, so an answer that names no file lands there in one call.
    ws = tmp_path / "ex"
    ws.mkdir()
    (ws / "INSTRUCTIONS.md").write_text("# Acronym\n\nWrite `abbreviate(phrase)`.\n")
    (ws / "acronym.py").write_text("def abbreviate(phrase):\n    pass\n")
    code = "def abbreviate(phrase):\n    return ''.join(w[0].upper() for w in phrase.split())\n"
    models = scripted_models(tmp_path, [f"Here it is:\n\n```python\n{code}```\n"], edit_format="auto")
    request = "Implement acronym.py as described in INSTRUCTIONS.md"
    proc = skiff("run", "--workspace", str(ws), "--apply", request, models=models)
    assert proc.returncode == 0, proc.stderr
    assert "after 1 model call(s)" in proc.stderr
    assert (ws / "acronym.py").read_text() == code
    assert (ws / "INSTRUCTIONS.md").read_text().startswith("# Acronym")


def test_run_says_plainly_when_the_answer_holds_no_edit(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    models = scripted_models(tmp_path, ["I am not sure what to do."], edit_format="auto")
    proc = skiff("run", "--workspace", str(ws), "add a docstring to mean()", models=models)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "no changes proposed: the model's answer held no edit Skiff could apply" in proc.stderr
    assert "I am not sure what to do." in proc.stderr


def test_run_apply_writes_files(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    models = scripted_models(
        tmp_path,
        [
            {"tool_calls": [{"name": "write", "arguments": {"path": "NOTES.md", "content": "# Notes\n"}}]},
            "ok",
        ],
    )
    proc = skiff("run", "--workspace", str(ws), "--apply", "write notes", models=models)
    assert proc.returncode == 0, proc.stderr
    assert (ws / "NOTES.md").read_text() == "# Notes\n"
    assert proc.stdout == ""


def test_models_lists_sources(tmp_path: Path) -> None:
    models = scripted_models(tmp_path, [])
    proc = skiff("models", models=models)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    mine = next(line for line in lines if "test/scripted" in line)
    assert mine.startswith("*") and str(models) in mine
    shipped = next(line for line in lines if "embedded/smollm2-135m" in line)
    assert "models.json" in shipped and str(models) not in shipped


def test_invalid_models_file_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "models.json"
    bad.write_text(
        json.dumps({"providers": {"x": {"baseUrl": "http://h", "models": [{"id": "m", "maxTokens": -5}]}}})
    )
    proc = skiff("run", "hi", models=bad)
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "providers.x.models.0.maxTokens" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_model_server_down_gives_clear_error(tmp_path: Path) -> None:
    models = tmp_path / "models.json"
    models.write_text(
        json.dumps(
            {
                "default": "down/m",
                "providers": {
                    "down": {
                        "api": "openai-completions",
                        "baseUrl": "http://127.0.0.1:9/v1",
                        "models": [{"id": "m"}],
                    }
                },
            }
        )
    )
    proc = skiff("run", "--workspace", str(demo(tmp_path)), "hello", models=models)
    assert proc.returncode == 1
    assert "http://127.0.0.1:9/v1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_apply_refuses_a_file_that_became_a_hard_link_and_writes_nothing(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    workspace = Workspace(ws)
    overlay = Overlay(workspace)
    overlay.write(ws / "stats.py", "def mean(xs):\n    return 0\n")
    overlay.write(ws / "new.py", "x = 1\n")
    proposal = Proposal.from_overlay(overlay, summary="s")
    outside = tmp_path / "outside.py"
    outside.write_text((ws / "stats.py").read_text())
    (ws / "stats.py").unlink()
    os.link(outside, ws / "stats.py")  # since the turn, the file became another name of one outside
    before = outside.read_text()
    problem = apply_proposal(workspace, proposal)
    assert problem is not None and "hard link" in problem
    assert outside.read_text() == before, "the file outside the workspace is untouched"
    assert not (ws / "new.py").exists(), "nothing is written when one target is unsafe"


def test_apply_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    (ws / "stats.py").chmod(0o755)
    new = (ws / "stats.py").read_text().replace("def mean(xs):\n", 'def mean(xs):\n    """The mean."""\n')
    models = scripted_models(tmp_path, [f"stats.py\n```python\n{new}```"], edit_format="auto")
    proc = skiff("run", "--workspace", str(ws), "--apply", "add a docstring to mean()", models=models)
    assert proc.returncode == 0, proc.stderr
    assert (ws / "stats.py").read_text() == new
    assert (ws / "stats.py").stat().st_mode & 0o777 == 0o755
    assert not [p for p in ws.iterdir() if p.name.endswith(".tmp")]
