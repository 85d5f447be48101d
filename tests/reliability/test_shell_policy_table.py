"""The shell policy against a table of 250+ commands (tests/reliability/shell_policy_cases.py), and the
dangerous forms run for real: through the bash tool with nobody to ask, and git in a repository whose own
config names programs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from shell_policy_cases import ALLOW, ASK, CASES, DENY

from skiff.agent.tools.base import ToolContext
from skiff.agent.tools.bash import BashArgs, BashTool
from skiff.agent.tools.bash_policy import check_command, unsafe_git_config
from skiff.agent.workspace import Overlay, Workspace

GIT = shutil.which("git")


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh repository (its config as `git init` writes it) with one commit and one modified file."""
    root = tmp_path_factory.mktemp("repo").resolve()
    if GIT:
        _git(root, "init", "-q", ".")
        (root / "f.txt").write_text("a\n")
        _git(root, "add", "f.txt")
        _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
        (root / "f.txt").write_text("a\nb\n")
    return root


def decide(command: str, root: Path | None) -> str:
    verdict = check_command(command, "auto", root=root)
    return ALLOW if verdict.allowed else DENY if verdict.denied else ASK


@pytest.mark.parametrize(("command", "expected", "tag"), CASES, ids=[f"{t}:{c[:40]!r}" for c, _, t in CASES])
def test_policy_table(command: str, expected: str, tag: str, repo: Path) -> None:
    verdict = check_command(command, "auto", root=repo)
    assert decide(command, repo) == expected, verdict.reason
    if expected != ALLOW:
        assert verdict.reason  # the user (or the model) is told why


def test_table_figures(repo: Path) -> None:
    """The figures docs/reliability.md reports: commands tried, dangerous ones run unasked."""
    dangerous = [c for c, e, _ in CASES if e != ALLOW]
    run_unasked = [c for c in dangerous if decide(c, repo) == ALLOW]
    assert len(CASES) >= 150 and len(dangerous) >= 100
    assert len([c for c, _, t in CASES if t == "issue"]) >= 26
    assert run_unasked == []


def ctx(root: Path, **kw: object) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws), **kw)  # type: ignore[arg-type]


MARKED = [c for c, e, _ in CASES if e != ALLOW and "touch pwned" in c]


@pytest.mark.parametrize("command", MARKED)
async def test_marked_commands_do_not_run_when_nobody_can_approve(command: str, tmp_path: Path) -> None:
    """Commands that would create `pwned` if bash ran them: the bash tool refuses them in auto mode."""
    result = await BashTool().run(BashArgs(command=command), ctx(tmp_path))
    assert result.error == "denied", result.output
    assert not (tmp_path / "pwned").exists()


@pytest.mark.skipif(GIT is None, reason="git is not installed")
async def test_repository_config_cannot_make_git_status_or_diff_run_programs(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    _git(root, "init", "-q", ".")
    (root / "f.txt").write_text("a\n")
    _git(root, "add", "f.txt")
    _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    (root / "f.txt").write_text("a\nb\n")
    _git(root, "config", "core.fsmonitor", "touch fsmonitor-ran; false")
    _git(root, "config", "core.pager", "touch pager-ran; cat")
    # The attack is real: plain git runs the repository's fsmonitor command.
    _git(root, "status", "--short")
    assert (root / "fsmonitor-ran").exists()
    (root / "fsmonitor-ran").unlink()

    # The policy sees the config and asks; with nobody to ask nothing runs.
    assert "core.fsmonitor" in (unsafe_git_config(root) or "")
    for command in ["git status", "git diff", "git show", "git log -p -1"]:
        assert not check_command(command, "auto", root=root).allowed
        result = await BashTool().run(BashArgs(command=command), ctx(root))
        assert result.error == "denied"
    assert not (root / "fsmonitor-ran").exists() and not (root / "pager-ran").exists()

    # Defence in depth: the environment auto-allowed commands run with neutralises the same keys.
    for command in ["git status", "git diff", "git -P log -p -1", "git show --stat"]:
        result = await BashTool.execute(command, ctx(root), 30.0, sandboxed=True)
        assert result.ok, result.output
    assert not (root / "fsmonitor-ran").exists() and not (root / "pager-ran").exists()
    assert "f.txt" in (await BashTool.execute("git status --short", ctx(root), 30.0, sandboxed=True)).output


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_driver_commands_in_repository_config_are_asked(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    _git(root, "init", "-q", ".")
    assert check_command("git status", "auto", root=root).allowed
    for key, value in [
        ("diff.evil.textconv", "touch x; cat"),
        ("filter.evil.clean", "touch x; cat"),
        ("diff.external", "touch x"),
        ("alias.st", "!touch x"),
        ("include.path", "/tmp/other.gitconfig"),
        ("core.hooksPath", "hooks"),
    ]:
        _git(root, "config", key, value)
        verdict = check_command("git status", "auto", root=root)
        assert not verdict.allowed and key.lower() in verdict.reason.lower()
        _git(root, "config", "--unset", key)
    _git(root, "config", "filter.lfs.process", "git-lfs filter-process")  # git lfs install --local
    assert check_command("git status", "auto", root=root).allowed
    assert not check_command("cd sub && git status", "auto", root=root).allowed


async def test_bash_starts_without_secret_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "A1b2" * 9)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("MY_SERVICE_PASSWORD", "hunter22")
    monkeypatch.setenv("SKIFF_HARMLESS", "kept")
    result = await BashTool().run(BashArgs(command="env"), ctx(tmp_path))
    assert result.ok
    assert "SKIFF_HARMLESS=kept" in result.output
    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "MY_SERVICE_PASSWORD"):
        assert name not in result.output
    assert os.environ["GITHUB_TOKEN"].startswith("ghp_")  # the server's own environment is untouched
