"""tool_routing: a one-word routing step picks a category, then the call sees only that category's tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skiff.agent.config import Profile, ToolCallFormat
from skiff.agent.context import RequestContext
from skiff.agent.events import Event, MechanismFired, TextDelta
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.mechanisms import load_mechanisms
from skiff.agent.mechanisms.tool_routing import DONE_NOTE, ROUTING_MAX_TOKENS, parse_choice
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.workspace import Workspace

CALC = "def add(a, b):\n    return a - b\n"
CATS = {
    "read": ["read"],
    "edit": ["write", "edit"],
    "search": ["glob", "grep"],
    "run": ["bash"],
    "plan": ["scratchpad"],
}
READ = {"tool_calls": [{"name": "read", "arguments": {"path": "calc.py"}}]}
EDIT = {
    "tool_calls": [
        {
            "name": "edit",
            "arguments": {
                "path": "calc.py",
                "old_string": "    return a - b\n",
                "new_string": "    return a + b\n",
            },
        }
    ]
}


@pytest.mark.parametrize(
    ("reply", "choice"),
    [
        ("edit", "edit"),
        ("Edit.", "edit"),
        ("`search`", "search"),
        ("I will read the file first", "read"),
        ("grep", "search"),
        ('{"name": "bash", "arg', "run"),
        ("pytest", "run"),
        ("Nothing more, done", "done"),
        ("scratchpad", "plan"),
        ("hmm, let me think", None),
        ("", None),
    ],
)
def test_parse_choice_is_forgiving(reply: str, choice: str | None) -> None:
    assert parse_choice(reply, CATS) == choice


def test_synonyms_of_missing_categories_are_ignored() -> None:
    assert parse_choice("run the tests", {"read": ["read"], "edit": ["edit"]}) is None


def test_profile_flag_turns_routing_on() -> None:
    names = [m.name for m in load_mechanisms(Profile(mechanisms=["skills"], tool_routing=True))]
    assert names == ["tool_routing", "skills"]


def fired(events: list[Event]) -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "tool_routing"]


def make_session(
    tmp_path: Path, replies: list[Any], fmt: ToolCallFormat = "json", mechanisms: list[str] | None = None
) -> Session:
    (tmp_path / "calc.py").write_text(CALC)
    profile = Profile(
        mechanisms=mechanisms or ["tool_routing"], tool_routing=True, tool_call_format=fmt, retries=0
    )
    return Session(
        provider=ScriptedProvider(replies),
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=profile),
    )


def listing(request: ChatRequest) -> str:
    return "\n".join(m.content for m in request.messages[1:] if m.role == "system")


async def test_text_format_routes_then_shows_one_category(tmp_path: Path) -> None:
    session = make_session(tmp_path, ["read", READ, "Edit.", EDIT, "done", "Fixed add."])
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    events: list[Event] = []
    result = await session.run_turn("Fix add in calc.py", None, events.append)

    assert result.proposal is not None  # retries=0, yet six calls went through: routing uses no retries
    assert result.proposal.changes[0].new_text == CALC.replace("a - b", "a + b")
    route, read, _, edit, _, final = provider.requests
    system = route.messages[0].content
    assert "Tools (" not in system and all(r.messages[0].content == system for r in provider.requests)
    assert route.tools == [] and route.max_tokens <= ROUTING_MAX_TOKENS
    menu = route.messages[-1]
    assert menu.role == "user" and "one word" in menu.content
    for option in (
        "read (open a file)",
        "search (find files or text)",
        "edit (change a file)",
        "run",
        "done",
    ):
        assert option in menu.content
    assert "- read(" in listing(read) and "- edit(" not in listing(read)
    assert "- edit(" in listing(edit) and "- write(" in listing(edit) and "- bash(" not in listing(edit)
    assert final.messages[-1].content == DONE_NOTE and "- " not in listing(final).replace(DONE_NOTE, "")
    assert all("one word" not in m.content for m in read.messages)  # the routing step is gone
    said = [m.content for m in session.history if m.role == "assistant"]
    assert said == ["", "", "Fixed add."]  # two tool calls and the answer: no routing words
    assert [e.detail for e in fired(events)] == ["routed to read", "routed to edit", "routed to done"]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Fixed add."  # routing is quiet


async def test_native_format_filters_request_tools(tmp_path: Path) -> None:
    session = make_session(
        tmp_path,
        [
            "search",
            {"tool_calls": [{"name": "grep", "arguments": {"pattern": "add"}}]},
            "edit",
            EDIT,
            "done",
            "ok",
        ],
        fmt="native",
    )
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    await session.run_turn("Fix add", None)
    names = [[t["function"]["name"] for t in r.tools] for r in provider.requests]
    assert names == [[], ["glob", "grep"], [], ["write", "edit"], [], []]


async def test_unrecognised_word_shows_every_tool(tmp_path: Path) -> None:
    session = make_session(tmp_path, ["hmm", READ, "done", "ok"])
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    events: list[Event] = []
    await session.run_turn("Look at calc.py", None, events.append)
    shown = listing(provider.requests[1])
    assert all(f"- {n}(" in shown for n in ("read", "edit", "bash", "grep", "scratchpad"))
    assert "no category in 'hmm': all tools" in fired(events)[0].detail


async def test_direct_tool_call_in_a_routing_step_is_taken(tmp_path: Path) -> None:
    session = make_session(tmp_path, [READ, "done", "ok"], fmt="native")
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    await session.run_turn("Look at calc.py", None)
    assert provider.calls == 3
    assert session.history[1].tool_calls[0].name == "read"


async def test_code_in_context_and_edit_task_skips_routing(tmp_path: Path) -> None:
    session = make_session(tmp_path, [EDIT, "done", "Fixed."], mechanisms=["context_first", "tool_routing"])
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    events: list[Event] = []
    result = await session.run_turn("Fix add", RequestContext(path="calc.py"), events.append)
    first = provider.requests[0]
    assert "- edit(" in listing(first) and "- read(" not in listing(first)
    assert all("one word" not in m.content for m in first.messages)
    assert "edit tools without routing" in fired(events)[0].detail
    assert "one word" in provider.requests[1].messages[-1].content  # after the edit: routing again
    assert result.proposal is not None


async def test_question_with_code_in_context_still_routes(tmp_path: Path) -> None:
    session = make_session(tmp_path, ["done", "It subtracts."], mechanisms=["context_first", "tool_routing"])
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    await session.run_turn("What does add do?", RequestContext(path="calc.py"))
    assert "one word" in provider.requests[0].messages[-1].content


async def test_notes_go_before_the_menu(tmp_path: Path) -> None:
    plan = {"items": [{"content": "Fix add", "status": "in_progress"}]}
    replies = ["plan", {"tool_calls": [{"name": "scratchpad", "arguments": plan}]}, "done", "ok"]
    session = make_session(tmp_path, replies, mechanisms=["tool_routing", "scratchpad", "skills"])
    provider = session.provider
    assert isinstance(provider, ScriptedProvider)
    await session.run_turn("Fix the failing test", None)
    route2 = provider.requests[2]
    assert "one word" in route2.messages[-1].content  # the menu stays last
    assert route2.messages[-2].content.startswith("Plan (0/1 done)")
    assert all("Skill notes" not in m.content for m in route2.messages)  # no cards on routing steps
    assert any("Skill notes" in m.content for m in provider.requests[1].messages)


async def test_offered_tools_tells_other_mechanisms_what_the_call_offers(tmp_path: Path) -> None:
    from skiff.agent.hooks import ModelCall, ModelReply, TurnState
    from skiff.agent.mechanisms.tool_routing import ToolRouting
    from skiff.agent.messages import Message
    from skiff.agent.tokens import cl100k
    from skiff.agent.tools.base import ToolContext, ToolRegistry
    from skiff.agent.tools.defaults import default_tools
    from skiff.agent.workspace import Overlay

    workspace = Workspace(tmp_path)
    profile = Profile(tool_routing=True, tool_call_format="native")
    turn = TurnState(
        task="x",
        context=None,
        profile=profile,
        history=[Message("user", "x")],
        tools=ToolRegistry(default_tools()),
        tool_ctx=ToolContext(workspace=workspace, overlay=Overlay(workspace)),
        tokenizer=cl100k(),
        context_limit=8192,
        emit=lambda e: None,
    )
    mech = ToolRouting(profile)
    routing = ModelCall(ChatRequest(messages=[Message("system", "s"), *turn.history]))
    assert routing.offered_tools is None and not routing.routing
    await mech.before_model_call(routing, turn)
    assert routing.offered_tools == [] and routing.routing
    assert routing.pinned_last is routing.request.messages[-1]  # the menu stays last
    retry = await mech.after_model_call(ModelReply(Message("assistant", "search"), call=routing), turn)
    assert retry is not None and not retry.counted and retry.correction == ""
    routed = ModelCall(ChatRequest(messages=[Message("system", "s"), *turn.history]))
    await mech.before_model_call(routed, turn)
    assert routed.offered_tools == ["glob", "grep"] and not routed.routing
    assert await mech.after_model_call(ModelReply(Message("assistant", "search"), call=routed), turn) is None


async def test_printed_call_outside_the_routed_category_is_not_executed(tmp_path: Path) -> None:
    """Recorded behaviour of Qwen2.5-Coder-1.5B: after its edit it routed to "done" (or "read") and then
    printed a write call anyway. Only the tools the call offered are recovered from text."""
    drift = (
        '```json\n{"name": "write", "arguments": {"path": "calc.py", "content": "def add(a, b):\\n"}}\n```'
    )
    session = make_session(
        tmp_path, ["edit", EDIT, "done", drift], mechanisms=["tool_routing", "toolcall_recovery"]
    )
    result = await session.run_turn("Fix add in calc.py")
    assert result.stop_reason == "end_turn"
    assert result.model_calls == 4
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == CALC.replace("a - b", "a + b")
    assert [c.name for m in session.history for c in m.tool_calls] == ["edit"]


async def test_printed_read_only_call_is_executed_inside_an_edit_category(tmp_path: Path) -> None:
    """Recorded from Qwen2.5-Coder-1.5B: sent straight to the edit tools, it first greps for the name."""
    grep = '```json\n{"name": "grep", "arguments": {"pattern": "add", "path": "calc.py"}}\n```'
    session = make_session(
        tmp_path,
        ["edit", grep, "done", "Nothing to change."],
        mechanisms=["tool_routing", "toolcall_recovery"],
    )
    result = await session.run_turn("Fix add in calc.py")
    assert [c.name for m in session.history for c in m.tool_calls] == ["grep"]
    tool_result = next(m for m in session.history if m.role == "tool")
    assert "calc.py:1" in tool_result.content
    assert result.text == "Nothing to change."
