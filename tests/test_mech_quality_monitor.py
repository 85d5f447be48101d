"""Quality monitor: empty replies, forgotten tasks, unknown tools, malformed arguments, repeats, cycles,
patch spirals; each drops the reply and asks again with a specific correction, within the retry bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import Field

from skiff.agent.config import Profile
from skiff.agent.events import Event, MechanismFired, ToolCallFinished
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.mechanisms.quality_monitor import call_key, forgot_task, normalize_path
from skiff.agent.messages import ToolCall
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolRegistry, ToolResult
from skiff.agent.tools.defaults import default_tools
from skiff.agent.workspace import Workspace

STATS = "def mean(xs):\n    return sum(xs) / len(xs)\n"
TASK = "make mean() return 0.0 for an empty list"


def call(name: str, **arguments: object) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def monitor_events(events: list[Event]) -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "quality_monitor"]


def make(
    root: Path, replies: list[Any], *, retries: int = 2, tools: ToolRegistry | None = None, **kw: Any
) -> tuple[Session, ScriptedProvider]:
    (root / "stats.py").write_text(STATS)
    provider = ScriptedProvider(replies)
    profile = Profile(
        mechanisms=kw.pop("mechanisms", ["quality_monitor"]), retries=retries, turn_cap=12, **kw
    )
    return Session(provider, Workspace(root), SessionOptions(profile=profile), tools=tools), provider


def last_user(request_messages: list[Any]) -> str:
    return [m for m in request_messages if m.role == "user"][-1].content


# ---- detectors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello! How can I help you today?",  # SmolLM2-135M, every time
        "Hi there! I'm here to help. What would you like me to do?",
        "Sure! Please provide the task you want me to work on.",
        "What can I do for you?",
        "Hello! I'm a helpful AI assistant.",
    ],
)
def test_greetings_and_what_to_do_questions_are_a_forgotten_task(text: str) -> None:
    assert forgot_task(text)


@pytest.mark.parametrize(
    "text",
    [
        "mean() now returns 0.0 for an empty list.",
        "Hi! mean() divides by len(xs), so it fails on an empty list.",
        "Done: added the check. Is there anything else I can help you with?",
        "The function divides by len(xs); "
        + "it fails on an empty list because len([]) is 0. " * 10
        + "How can I help further?",
    ],
)
def test_real_answers_are_not_a_forgotten_task(text: str) -> None:
    assert not forgot_task(text)


def test_call_keys_normalise_key_order_whitespace_and_paths() -> None:
    root = "/work/project"
    a = ToolCall("1", "grep", {"pattern": "def  mean", "path": "./src//stats.py"})
    b = ToolCall("2", "grep", {"path": "/work/project/src/stats.py", "pattern": "def mean "})
    assert call_key(a, root) == call_key(b, root)
    assert call_key(a, root) != call_key(ToolCall("3", "grep", {"pattern": "def mean", "path": "src"}), root)
    assert normalize_path("a/../b/./c.py") == "b/c.py"


# ---- through the loop ----------------------------------------------------------------------------------


async def test_empty_reply_is_retried_with_the_task(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(tmp_path, ["", "mean() divides by len(xs)."])
    result = await s.run_turn("what does mean() divide by?", subscriber=events.append)
    assert result.text == "mean() divides by len(xs)."
    [event] = monitor_events(events)
    assert event.detail == "empty reply"
    correction = last_user(provider.requests[1].messages)
    assert "empty" in correction and "what does mean() divide by?" in correction
    assert [m.role for m in s.history] == ["user", "assistant"], "the empty reply was dropped"
    assert last_user(provider.requests[0].messages) == "what does mean() divide by?"


async def test_smollm2_greeting_gets_the_task_restated(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(
        tmp_path,
        [
            "Hello! How can I help you today?",
            call("read", path="stats.py"),
            call(
                "edit",
                path="stats.py",
                old_string="    return sum(xs) / len(xs)\n",
                new_string="    return sum(xs) / len(xs) if xs else 0.0\n",
            ),
            "mean() now returns 0.0 for an empty list.",
            "Hi! mean() divides by len(xs), so it fails on an empty list.",
        ],
    )
    result = await s.run_turn(TASK, subscriber=events.append)
    assert monitor_events(events)[0].detail.startswith("forgotten task")
    correction = last_user(provider.requests[1].messages)
    assert TASK in correction and "Do not greet" in correction
    assert "How can I help" not in " ".join(m.content for m in s.history)
    assert result.proposal is not None and "if xs else 0.0" in (result.proposal.changes[0].new_text or "")
    # the correction was shown once: the call after it no longer carries it
    assert "Do not greet" not in " ".join(m.content for m in provider.requests[2].messages)


async def test_unknown_tool_gets_the_nearest_name_and_recipe(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(
        tmp_path, [call("view_file_contents", path="stats.py"), call("read", path="stats.py"), "ok"]
    )
    await s.run_turn("show stats.py", subscriber=events.append)
    assert monitor_events(events)[0].detail == "unknown tool 'view_file_contents'"
    correction = last_user(provider.requests[1].messages)
    assert "no tool named `view_file_contents`" in correction
    assert "Available tools: read, write, edit" in correction
    ran = [e.name for e in events if isinstance(e, ToolCallFinished)]
    assert ran == ["read"], "the unknown call never ran"


async def test_malformed_arguments_are_retried_with_the_recipe(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(
        tmp_path,
        [
            {"tool_calls": [{"name": "read", "arguments": "<<path=stats.py"}]},
            call("read", path="stats.py"),
            "ok",
        ],
    )
    await s.run_turn("show stats.py", subscriber=events.append)
    assert monitor_events(events)[0].detail == "malformed arguments for read"
    correction = last_user(provider.requests[1].messages)
    assert "not valid JSON" in correction and "`read` takes required path" in correction


async def test_rereading_the_same_file_is_stopped(tmp_path: Path) -> None:
    events: list[Event] = []
    fix = call(
        "edit",
        path="stats.py",
        old_string="    return sum(xs) / len(xs)\n",
        new_string="    return sum(xs) / len(xs) if xs else 0.0\n",
    )
    s, provider = make(
        tmp_path,
        [call("read", path="stats.py"), call("read", path="./stats.py"), fix, "Done."],
    )
    result = await s.run_turn(TASK, subscriber=events.append)
    [event] = monitor_events(events)
    assert event.detail == "repeated call read(path=./stats.py)"
    assert "already called read(path=./stats.py)" in last_user(provider.requests[2].messages)
    assert [e.name for e in events if isinstance(e, ToolCallFinished)] == ["read", "edit"]
    assert result.proposal is not None


async def test_reading_again_after_an_edit_is_fine(tmp_path: Path) -> None:
    events: list[Event] = []
    fix = call(
        "edit", path="stats.py", old_string="sum(xs) / len(xs)", new_string="sum(xs) / max(len(xs), 1)"
    )
    s, _ = make(tmp_path, [call("read", path="stats.py"), fix, call("read", path="stats.py"), "Done."])
    await s.run_turn(TASK, subscriber=events.append)
    assert monitor_events(events) == []


class _RunArgs(ToolArgs):
    target: str = Field(description="what to run")


class _Run(Tool[_RunArgs]):
    name = "run"
    description = "Run a project target."
    Args = _RunArgs
    example: ClassVar[dict[str, Any]] = {"target": "test"}
    kind = "execute"
    category = "run"

    async def run(self, args: _RunArgs, ctx: ToolContext) -> ToolResult:
        return ToolResult.fail("failed", f"{args.target}: 1 failed")


async def test_a_b_a_b_cycle_is_broken(tmp_path: Path) -> None:
    events: list[Event] = []
    tools = ToolRegistry([*default_tools(), _Run()])
    s, provider = make(
        tmp_path,
        [
            call("run", target="test"),
            call("run", target="lint"),
            call("run", target="test"),
            call("run", target="lint"),
            "Tests and lint both fail; the failure is in stats.py.",
        ],
        tools=tools,
    )
    await s.run_turn("why does the build fail?", subscriber=events.append)
    [event] = monitor_events(events)
    assert event.detail.startswith("cycle of 2 calls")
    assert "going in circles" in last_user(provider.requests[4].messages)
    assert [e.name for e in events if isinstance(e, ToolCallFinished)] == ["run", "run", "run"]


async def test_patch_spiral_asks_to_reread_the_file(tmp_path: Path) -> None:
    events: list[Event] = []
    bad1 = call("edit", path="stats.py", old_string="def mean(values):", new_string="def mean(values=()):")
    bad2 = call("edit", path="stats.py", old_string="def mean(lst):", new_string="def mean(lst=()):")
    bad3 = call("edit", path="stats.py", old_string="def mean(items):", new_string="def mean(items=()):")
    good = call("edit", path="stats.py", old_string="def mean(xs):", new_string="def mean(xs=()):")
    s, provider = make(
        tmp_path, [bad1, bad2, bad3, call("read", path="stats.py"), good, "Gave xs a default."]
    )
    result = await s.run_turn("give mean's parameter a default of ()", subscriber=events.append)
    [event] = monitor_events(events)
    assert event.detail == "patch spiral on stats.py (2 failed edits)"
    correction = last_user(provider.requests[3].messages)
    assert "re-read stats.py" in correction and "`read` takes required path" in correction
    statuses = [(e.name, e.status) for e in events if isinstance(e, ToolCallFinished)]
    assert statuses == [("edit", "failed"), ("edit", "failed"), ("read", "completed"), ("edit", "completed")]
    assert result.proposal is not None


async def test_retries_are_bounded_by_the_profile(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(tmp_path, ["", "", "unused"], retries=1)
    result = await s.run_turn("what does mean() divide by?", subscriber=events.append)
    details = [e.detail for e in monitor_events(events)]
    assert details == ["empty reply", "retry limit reached; keeping the reply (empty reply)"]
    assert provider.calls == 2
    assert result.stop_reason == "end_turn" and result.text == ""


async def test_rereading_a_result_the_context_budget_evicted_is_fine(tmp_path: Path) -> None:
    from skiff.agent.tools.edit import EditTool
    from skiff.agent.tools.read import ReadTool

    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(
            "".join(f"def {name[0]}{i}(v):\n    return v * {i}  # {name}\n" for i in range(60))
        )
    events: list[Event] = []
    s, _ = make(
        tmp_path,
        [
            call("read", path="a.py"),
            call("read", path="b.py"),
            call("read", path="a.py"),
            "a.py and b.py differ.",
        ],
        tools=ToolRegistry([ReadTool(), EditTool()]),
        mechanisms=["quality_monitor", "context_budget"],
        tool_result_cap=20_000,
    )
    s.options.context_limit, s.options.max_output_tokens = 2600, 256
    await s.run_turn("compare a.py and b.py", subscriber=events.append)
    budget_events = [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "context_budget"]
    assert any(e.data.get("evicted") for e in budget_events)
    assert monitor_events(events) == []
    assert [e.name for e in events if isinstance(e, ToolCallFinished)] == ["read", "read", "read"]
