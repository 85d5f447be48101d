"""Tools under hostile input: every failure is a tool result the model can read, paths that cannot be used
safely are refused, hard-linked files are never written through, and a backtracking grep pattern is stopped
at its deadline without stalling the event loop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from toolctx import make_ctx

from skiff.agent.config import Profile
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.messages import ToolCall
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tools import grep as grep_module
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolRegistry, ToolResult
from skiff.agent.tools.defaults import default_tools
from skiff.agent.tools.grep import GrepTool
from skiff.agent.workspace import Workspace

CATASTROPHIC = r"(a|aa)+$"
SLOW_LINE = "a" * 48 + "!"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    os.symlink(root / "loop_b", root / "loop_a")
    os.symlink(root / "loop_a", root / "loop_b")
    return root.resolve()


def run(registry: ToolRegistry, ctx: ToolContext, name: str, **arguments: object) -> ToolResult:
    return asyncio.run(registry.execute(ToolCall("c1", name, dict(arguments)), ctx))


HOSTILE_PATHS = {
    "nul": "stats.py\x00.txt",
    "long_path": "a/" * 3000 + "x.py",
    "long_name": "n" * 300 + ".py",
    "symlink_loop": "loop_a",
    "through_loop": "loop_a/inner.py",
}


@pytest.mark.parametrize("tool", ["read", "edit", "write", "grep", "glob"])
@pytest.mark.parametrize("kind", list(HOSTILE_PATHS))
def test_hostile_paths_are_refused_with_a_readable_result(ws: Path, tool: str, kind: str) -> None:
    registry = ToolRegistry(default_tools())
    args: dict[str, object] = {"path": HOSTILE_PATHS[kind]}
    if tool == "edit":
        args |= {"old_string": "a", "new_string": "b"}
    elif tool == "write":
        args |= {"content": "x = 1\n"}
    elif tool in ("grep", "glob"):
        args |= {"pattern": "mean"}
    result = run(registry, make_ctx(ws), tool, **args)
    assert not result.ok
    assert result.error in ("invalid_path", "not_found"), result
    if result.error == "invalid_path":
        assert result.output.startswith("Refused: ")
    assert "Traceback" not in result.output


def test_a_hard_linked_file_is_never_changed(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    os.link(outside, ws / "linked.txt")
    ctx = make_ctx(ws)
    result = run(
        ToolRegistry(default_tools()), ctx, "edit", path="linked.txt", old_string="keep", new_string="x"
    )
    assert result.error == "invalid_path" and "hard link" in result.output
    assert not list(ctx.overlay.changed_paths())
    assert outside.read_text() == "keep me\n"
    read = run(ToolRegistry(default_tools()), ctx, "read", path="linked.txt")
    assert read.ok  # reading is allowed; only writes through the link are refused


def test_a_crashing_tool_becomes_a_failed_result(ws: Path) -> None:
    class Boom(Tool[ToolArgs]):
        name = "boom"
        description = "Fails."
        Args = ToolArgs
        example: dict[str, object] = {}

        async def run(self, args: ToolArgs, ctx: ToolContext) -> ToolResult:
            raise PermissionError(13, "Permission denied", "/root/secret")

    result = run(ToolRegistry([Boom()]), make_ctx(ws), "boom")
    assert result.error == "failed" and "PermissionError" in result.output


@pytest.mark.parametrize("where", ["buffer", "disk"])
def test_a_backtracking_grep_is_stopped_and_the_loop_keeps_running(
    ws: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setattr(grep_module, "SEARCH_SECONDS", 1.0)
    target = ws / "slow.txt"
    docs = {}
    if where == "buffer":
        docs[target] = SLOW_LINE + "\n"  # editor buffers are searched in Python whatever the backend
    else:
        target.write_text(SLOW_LINE + "\n")
    ctx = make_ctx(ws, docs)

    async def scenario() -> tuple[ToolResult, int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        call = ToolCall("g", "grep", {"pattern": CATASTROPHIC, "path": "."})
        result = await ToolRegistry([GrepTool(backend="python")]).execute(call, ctx)
        done.set()
        await task
        return result, ticks

    result, ticks = asyncio.run(scenario())
    assert result.error == "timeout" and "Simplify" in result.output
    assert ticks > 5  # the event loop ran while the search did


def test_every_tool_call_of_a_turn_gets_a_result_in_the_history(ws: Path) -> None:
    calls = [
        {"name": "read", "arguments": {"path": "stats.py\x00"}},
        {"name": "read", "arguments": {"path": "loop_a"}},
        {"name": "grep", "arguments": {"pattern": "(unclosed"}},
        {"name": "nosuchtool", "arguments": {}},
    ]
    provider = ScriptedProvider([{"tool_calls": calls}, "Done."])
    session = Session(provider, Workspace(ws), SessionOptions(profile=Profile(mechanisms=[], turn_cap=4)))
    result = asyncio.run(session.run_turn("look around"))
    assert result.stop_reason == "end_turn" and result.text == "Done."
    assistant = next(m for m in session.history if m.tool_calls)
    answered = {m.tool_call_id: m.content for m in session.history if m.role == "tool"}
    assert set(answered) == {c.id for c in assistant.tool_calls}
    assert all(text.startswith("Error (") for text in answered.values()), answered
