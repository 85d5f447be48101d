"""scratchpad mechanism: the current plan is appended to every call's request once it is non-empty."""

from __future__ import annotations

from pathlib import Path

from skiff.agent.config import Profile
from skiff.agent.events import Event, MechanismFired
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.messages import Message
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.workspace import Workspace

PLAN = {
    "items": [
        {"content": "Find the parser", "status": "completed"},
        {"content": "Fix the off-by-one", "status": "in_progress"},
        {"content": "Run the tests", "status": "pending"},
    ]
}
RENDERED = "Plan (1/3 done):\n[x] Find the parser\n[>] Fix the off-by-one\n[ ] Run the tests"


def fired(events: list[Event]) -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "scratchpad"]


def session(tmp_path: Path, provider: ScriptedProvider) -> Session:
    return Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["scratchpad"])),
    )


async def test_plan_is_shown_on_each_call_after_it_is_written(tmp_path: Path) -> None:
    provider = ScriptedProvider(
        [
            {"tool_calls": [{"name": "scratchpad", "arguments": PLAN}]},
            {"tool_calls": [{"name": "glob", "arguments": {"pattern": "*.py"}}]},
            "Done.",
        ]
    )
    s = session(tmp_path, provider)
    events: list[Event] = []
    await s.run_turn("Fix the parser", None, events.append)

    first, second, third = provider.requests
    assert all(m.content != RENDERED for m in first.messages)  # no plan yet: nothing added
    assert second.messages[-1] == Message("system", RENDERED)
    assert third.messages[-1] == Message("system", RENDERED)
    assert all(m.content != RENDERED for m in s.history if m.role != "tool")  # never stored
    assert [e.detail for e in fired(events)] == ["plan shown (3 steps)"] * 2


async def test_plan_carries_into_the_next_turn_and_follows_updates(tmp_path: Path) -> None:
    done = {"items": [{**i, "status": "completed"} for i in PLAN["items"]]}
    provider = ScriptedProvider(
        [
            {"tool_calls": [{"name": "scratchpad", "arguments": PLAN}]},
            "Planned.",
            {"tool_calls": [{"name": "scratchpad", "arguments": done}]},
            "All done.",
        ]
    )
    s = session(tmp_path, provider)
    await s.run_turn("Plan the fix", None)
    events: list[Event] = []
    await s.run_turn("Go on", None, events.append)
    assert provider.requests[2].messages[-1].content == RENDERED  # from the previous turn
    assert provider.requests[3].messages[-1].content.startswith("Plan (3/3 done):")
    assert len(fired(events)) == 2


async def test_cleared_plan_is_not_shown(tmp_path: Path) -> None:
    provider = ScriptedProvider(
        [
            {"tool_calls": [{"name": "scratchpad", "arguments": PLAN}]},
            {"tool_calls": [{"name": "scratchpad", "arguments": {"items": []}}]},
            "ok",
        ]
    )
    events: list[Event] = []
    await session(tmp_path, provider).run_turn("x", None, events.append)
    assert provider.requests[2].messages[-1].role != "system"
    assert len(fired(events)) == 1
