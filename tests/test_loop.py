"""The agent loop with the scripted provider: tool use, proposals, policy, caps, cancellation, errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from skiff.agent.config import Profile
from skiff.agent.events import (
    ErrorEvent,
    Event,
    ProposalReady,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
)
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.proposal import validate_diff
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.workspace import Workspace

STATS = "def mean(xs):\n    return sum(xs) / len(xs)\n"


def call(name: str, **arguments: object) -> dict[str, object]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def make_session(root: Path, replies: list, *, turn_cap: int = 8, delay: float = 0.0) -> Session:
    provider = ScriptedProvider(replies, delay=delay)
    options = SessionOptions(profile=Profile(mechanisms=[], turn_cap=turn_cap))
    return Session(provider, Workspace(root), options)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "stats.py").write_text(STATS)
    return tmp_path


async def test_multi_step_tool_use_produces_exact_proposal(ws: Path) -> None:
    events: list[Event] = []
    session = make_session(
        ws,
        [
            call("read", path="stats.py"),
            call(
                "edit",
                path="stats.py",
                old_string="def mean(xs):\n",
                new_string='def mean(xs):\n    """Return the arithmetic mean of xs."""\n',
            ),
            "Added a docstring to mean().",
        ],
    )
    result = await session.run_turn("add a docstring to mean()", subscriber=events.append)

    assert result.stop_reason == "end_turn"
    assert result.model_calls == 3
    assert result.text == "Added a docstring to mean()."
    assert result.proposal is not None
    assert result.proposal.unified_diff() == (
        "--- a/stats.py\n"
        "+++ b/stats.py\n"
        "@@ -1,2 +1,3 @@\n"
        " def mean(xs):\n"
        '+    """Return the arithmetic mean of xs."""\n'
        "     return sum(xs) / len(xs)\n"
    )
    validate_diff(result.proposal.unified_diff())
    assert (ws / "stats.py").read_text() == STATS, "a turn must never write to disk"
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [e.name for e in started] == ["read", "edit"]
    assert [e.status for e in finished] == ["completed", "completed"]
    assert "return sum(xs)" in finished[0].output
    kinds = [type(e) for e in events]
    assert kinds.index(ProposalReady) > max(i for i, k in enumerate(kinds) if k is ToolCallFinished)
    assert any(isinstance(e, TextDelta) for e in events)
    assert any(isinstance(e, UsageUpdate) for e in events)
    # the model saw the read result on its second call
    second = session.provider.requests[1]  # type: ignore[attr-defined]
    assert any(m.role == "tool" and "return sum(xs)" in m.content for m in second.messages)


async def test_write_refused_on_existing_file_with_edit_recipe(ws: Path) -> None:
    session = make_session(ws, [call("write", path="stats.py", content="x = 1\n"), "ok"])
    events: list[Event] = []
    result = await session.run_turn("replace stats", subscriber=events.append)
    failed = [e for e in events if isinstance(e, ToolCallFinished)]
    assert failed[0].status == "failed"
    assert "old_string" in failed[0].output and "new_string" in failed[0].output
    assert result.proposal is None


async def test_edit_fails_then_succeeds(ws: Path) -> None:
    session = make_session(
        ws,
        [
            call("edit", path="stats.py", old_string="def average(xs):", new_string="def avg(xs):"),
            call("edit", path="stats.py", old_string="def mean(xs):", new_string="def average(xs):"),
            "Renamed.",
        ],
    )
    events: list[Event] = []
    result = await session.run_turn("rename mean to average", subscriber=events.append)
    statuses = [e.status for e in events if isinstance(e, ToolCallFinished)]
    assert statuses == ["failed", "completed"]
    first_failure = next(e for e in events if isinstance(e, ToolCallFinished))
    assert "def mean(xs):" in first_failure.output, "a failed edit shows the closest region"
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == STATS.replace("def mean", "def average")


async def test_new_file_becomes_create_change(ws: Path) -> None:
    session = make_session(ws, [call("write", path="pkg/util.py", content="X = 1\n"), "done"])
    result = await session.run_turn("make util")
    assert result.proposal is not None
    change = result.proposal.changes[0]
    assert (change.path, change.kind, change.new_text) == ("pkg/util.py", "create", "X = 1\n")
    assert change.diff().startswith("--- /dev/null\n+++ b/pkg/util.py\n")
    assert not (ws / "pkg").exists()


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", "link/secret"])
async def test_paths_outside_workspace_are_refused(
    ws: Path, tmp_path_factory: pytest.TempPathFactory, path: str
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("top secret")
    (ws / "link").symlink_to(outside, target_is_directory=True)
    session = make_session(ws, [call("read", path=path), "ok"])
    events: list[Event] = []
    await session.run_turn("read it", subscriber=events.append)
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert result.status == "failed"
    assert "outside the workspace" in result.output
    assert "top secret" not in result.output


async def test_bash_denied_by_policy(ws: Path) -> None:
    session = make_session(ws, [call("bash", command="rm -rf stats.py"), "ok"])
    events: list[Event] = []
    await session.run_turn("clean up", subscriber=events.append)
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert result.status == "failed"
    assert "rm" in result.output
    assert (ws / "stats.py").exists()


async def test_turn_cap_stops_a_looping_model(ws: Path) -> None:
    replies = [call("read", path="stats.py") for _ in range(10)]
    session = make_session(ws, replies, turn_cap=3)
    result = await session.run_turn("loop forever")
    assert result.stop_reason == "max_turn_requests"
    assert session.provider.calls == 3  # type: ignore[attr-defined]


async def test_cancellation_mid_turn_keeps_session_usable(ws: Path) -> None:
    long_reply = "thinking about it " * 200
    session = make_session(ws, [long_reply, "second turn answer"], delay=0.01)
    seen: list[Event] = []
    task = asyncio.create_task(session.run_turn("explain", subscriber=seen.append))
    while not any(isinstance(e, TextDelta) for e in seen):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    streamed = "".join(e.text for e in seen if isinstance(e, TextDelta))
    assert 0 < len(streamed) < len(long_reply)
    assert session.last_result is not None and session.last_result.stop_reason == "cancelled"
    result = await session.run_turn("again")
    assert result.stop_reason == "end_turn"
    assert result.text == "second turn answer"


async def test_cancellation_during_tool_call_closes_dangling_call(ws: Path) -> None:
    session = make_session(ws, [call("bash", command="sleep 5"), "after"])
    session.options.bash_mode = "accept-all"
    task = asyncio.create_task(session.run_turn("wait"))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    call_ids = {c.id for m in session.history for c in m.tool_calls}
    answered = {m.tool_call_id for m in session.history if m.role == "tool"}
    assert call_ids and call_ids <= answered


async def test_provider_error_ends_turn_and_keeps_session(ws: Path) -> None:
    session = make_session(ws, [{"error": "cannot reach the model server at http://127.0.0.1:9/v1"}, "back"])
    events: list[Event] = []
    result = await session.run_turn("hello", subscriber=events.append)
    assert result.stop_reason == "error"
    assert result.error is not None and "127.0.0.1:9" in result.error
    assert any(isinstance(e, ErrorEvent) and "127.0.0.1:9" in e.message for e in events)
    assert session.history[0].content == "hello"
    again = await session.run_turn("hello again")
    assert again.text == "back"


async def test_text_format_prompt_example_names_the_requests_file(ws: Path) -> None:
    from skiff.agent.context import RequestContext

    provider = ScriptedProvider(["ok"])
    options = SessionOptions(profile=Profile(mechanisms=[], tool_call_format="json"))
    session = Session(provider, Workspace(ws), options)
    await session.run_turn("look", RequestContext(path="stats.py"))
    system = provider.requests[0].messages[0]
    assert system.role == "system"
    assert '{"name": "read", "arguments": {"path": "stats.py"}}' in system.content
    assert provider.requests[0].tools == []


async def test_a_failing_mechanism_wrapper_still_gives_the_call_a_result_the_model_reads(ws: Path) -> None:
    from skiff.agent.hooks import Mechanism

    class Broken(Mechanism):
        name = "broken"

        async def around_tool_call(self, call, turn, proceed):  # type: ignore[no-untyped-def]
            raise RuntimeError("wrapper bug")

    events: list[Event] = []
    session = make_session(ws, [call("read", path="stats.py"), "Done."])
    session.mechanisms = [Broken(session.profile)]
    result = await session.run_turn("read stats.py", subscriber=events.append)
    assert result.stop_reason == "end_turn" and result.text == "Done."
    tool_messages = [m for m in session.history if m.role == "tool"]
    assert len(tool_messages) == 1 and "RuntimeError: wrapper bug" in tool_messages[0].content
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [e.status for e in finished] == ["failed"]


async def test_a_model_call_that_fails_after_tool_calls_leaves_every_call_answered(ws: Path) -> None:
    session = make_session(ws, [call("read", path="stats.py")])  # the next call runs past the script
    result = await session.run_turn("read stats.py")
    assert result.stop_reason == "error"
    calls = [c.id for m in session.history for c in m.tool_calls]
    answered = {m.tool_call_id for m in session.history if m.role == "tool"}
    assert calls and set(calls) <= answered
