"""The bash tool: policy gating and permission answers, output capping, timeouts and process-group kills."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
from askers import Asker

from skiff.agent.tools.base import ToolContext, ToolResult
from skiff.agent.tools.bash import HEAD_LINES, TAIL_LINES, BashArgs, BashTool
from skiff.agent.workspace import Overlay, Workspace


def make_ctx(root: Path, **kw: Any) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws), **kw)


async def bash(ctx: ToolContext, command: str, **kw: Any) -> ToolResult:
    return await BashTool().run(BashArgs(command=command, **kw), ctx)


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_allowed_command_runs_in_the_workspace_root(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi there\n")
    result = await bash(make_ctx(tmp_path), "pwd && cat hello.txt | wc -l")
    assert result.ok, result.output
    assert result.output == f"{tmp_path.resolve()}\n1\n[exit code 0]"


async def test_nonzero_exit_is_reported(tmp_path: Path) -> None:
    result = await bash(make_ctx(tmp_path), "ls missing-file")
    assert not result.ok and result.error == "failed"
    assert "missing-file" in result.output
    assert result.output.endswith("[exit code 2]")


async def test_output_keeps_head_and_tail(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    result = await bash(ctx, "seq 1 100000")
    lines = result.output.split("\n")
    assert lines[:HEAD_LINES] == [str(i) for i in range(1, HEAD_LINES + 1)]
    assert lines[HEAD_LINES] == f"... [{100000 - HEAD_LINES - TAIL_LINES} lines elided] ..."
    assert lines[HEAD_LINES + 1 : -1] == [str(i) for i in range(100001 - TAIL_LINES, 100001)]
    small = await bash(ctx, "seq 1 200")
    assert "... [60 lines elided] ..." in small.output
    assert small.output.split("\n")[-2] == "200"
    short = await bash(ctx, "seq 1 5; printf 'no newline'")
    assert short.output == "1\n2\n3\n4\n5\nno newline\n[exit code 0]"


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, bash_mode="accept-all")
    # The child ignores SIGTERM (inherited from the trap), so only the SIGKILL escalation stops it.
    command = "trap '' TERM; sleep 60 & echo child=$!; wait"
    started = time.monotonic()
    result = await bash(ctx, command, timeout=1)
    assert time.monotonic() - started < 10
    assert not result.ok and result.error == "timeout"
    assert "timed out after 1s" in result.output
    match = re.search(r"child=(\d+)", result.output)
    assert match, result.output
    assert await wait_gone(int(match.group(1)))


async def test_context_timeout_applies_when_none_is_given(tmp_path: Path) -> None:
    result = await bash(make_ctx(tmp_path, bash_timeout=0.5), "sleep 5")
    assert result.error == "timeout"


async def test_cancellation_kills_the_process_group(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, bash_mode="accept-all")
    task = asyncio.create_task(bash(ctx, "sleep 60 & echo $! > child.pid; wait"))
    pid_file = tmp_path / "child.pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    assert alive(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_gone(pid)


async def test_background_children_holding_output_are_stopped(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, bash_mode="accept-all")
    started = time.monotonic()
    result = await bash(ctx, "sleep 60 & echo bg=$!")
    assert time.monotonic() - started < 10
    assert result.ok, result.output
    assert "background processes" in result.output
    match = re.search(r"bg=(\d+)", result.output)
    assert match and await wait_gone(int(match.group(1)))


async def test_denied_without_an_asker_names_the_segment(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = await bash(make_ctx(tmp_path), "rm -rf data")
    assert not result.ok and result.error == "denied"
    assert "`rm -rf data`" in result.output and "not on the allowlist" in result.output
    assert (tmp_path / "data").is_dir()


async def test_chained_command_with_one_denied_segment_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = await bash(make_ctx(tmp_path), "ls && echo ok && rm -rf data")
    assert result.error == "denied"
    assert "`rm -rf data`" in result.output
    assert "`ls`" not in result.output
    assert (tmp_path / "data").is_dir()


async def test_redirect_to_a_file_is_denied_in_auto(tmp_path: Path) -> None:
    result = await bash(make_ctx(tmp_path), "echo hi > out.txt")
    assert result.error == "denied" and "writes to a file" in result.output
    assert not (tmp_path / "out.txt").exists()


async def test_ask_allow_once(tmp_path: Path) -> None:
    (tmp_path / "junk").write_text("x")
    asker = Asker("allow_once")
    ctx = make_ctx(tmp_path, ask_permission=asker)
    result = await bash(ctx, "ls && rm junk")
    assert result.ok, result.output
    assert not (tmp_path / "junk").exists()
    (request,) = asker.requests
    assert request.tool == "bash" and request.command == "ls && rm junk"
    assert "`rm junk`" in request.reason
    assert "bash_always" not in ctx.state


async def test_ask_allow_always_remembers_the_exact_command(tmp_path: Path) -> None:
    asker = Asker("allow_always", "reject")
    ctx = make_ctx(tmp_path, ask_permission=asker)
    assert (await bash(ctx, "touch a.txt")).ok
    assert ctx.state["bash_always"] == ["touch a.txt"]
    assert (await bash(ctx, "touch a.txt")).ok  # the same line: not asked again
    assert len(asker.requests) == 1
    assert not (await bash(ctx, "touch a.txt b.txt")).ok  # a longer line is asked (and rejected here)
    assert len(asker.requests) == 2
    assert not (tmp_path / "b.txt").exists()


async def test_ask_reject(tmp_path: Path) -> None:
    asker = Asker("reject")
    result = await bash(make_ctx(tmp_path, ask_permission=asker), "touch made.txt")
    assert result.error == "denied" and "rejected" in result.output
    assert not (tmp_path / "made.txt").exists()


async def test_accept_all_runs_anything_without_asking(tmp_path: Path) -> None:
    asker = Asker()
    result = await bash(make_ctx(tmp_path, bash_mode="accept-all", ask_permission=asker), "echo x > f.txt")
    assert result.ok
    assert (tmp_path / "f.txt").read_text() == "x\n"
    assert asker.requests == []


async def test_manual_mode_asks_even_for_safe_commands(tmp_path: Path) -> None:
    denied = await bash(make_ctx(tmp_path, bash_mode="manual"), "ls")
    assert denied.error == "denied" and "manual mode" in denied.output
    asker = Asker("allow_once")
    ok = await bash(make_ctx(tmp_path, bash_mode="manual", ask_permission=asker), "echo fine")
    assert ok.ok and ok.output.startswith("fine")
    assert "manual mode" in asker.requests[0].reason


async def test_config_allowlist_extends_auto(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, bash_allow=["touch"])
    assert (await bash(ctx, "touch ok.txt")).ok
    assert (tmp_path / "ok.txt").exists()


async def test_environment_disables_pagers_and_colour(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, bash_mode="accept-all")
    result = await bash(ctx, "echo $GIT_PAGER $NO_COLOR; printf '\\033[31mred\\033[0m\\n'")
    assert result.output == "cat 1\nred\n[exit code 0]"
