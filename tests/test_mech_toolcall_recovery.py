"""Tool-call recovery: printed calls run, native calls are repaired, missing arguments named; grammar mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skiff.agent.config import Profile
from skiff.agent.events import Event, MechanismFired, ToolCallFinished
from skiff.agent.hooks import ModelCall, ModelReply, TurnState
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.mechanisms.toolcall_recovery import ToolCallRecovery
from skiff.agent.messages import Message, ToolCall
from skiff.agent.parsing.toolcalls import toolcall_json_schema
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tokens import cl100k
from skiff.agent.tools.base import ToolContext, ToolRegistry, ToolResult
from skiff.agent.tools.defaults import default_tools
from skiff.agent.workspace import Overlay, Workspace

STATS = "def mean(xs):\n    return sum(xs) / len(xs)\n"

# What Qwen2.5-Coder-1.5B prints when given a tool list: the call as a fenced JSON block in content, with
# argument names from other agents' tools.
QWEN_EDIT = (
    "To handle an empty list, I will update the `mean` function.\n\n"
    "```json\n"
    '{"name": "edit", "arguments": {"file_path": "stats.py", '
    '"old_str": "    return sum(xs) / len(xs)\\n", '
    '"new_str": "    return sum(xs) / len(xs) if xs else 0.0\\n"}}\n'
    "```"
)


def make_turn(
    root: Path, profile: Profile | None = None, events: list[Event] | None = None, **kw: Any
) -> TurnState:
    sink = events if events is not None else []
    workspace = Workspace(root)
    return TurnState(
        task=kw.pop("task", "fix mean"),
        context=None,
        profile=profile or Profile(mechanisms=["toolcall_recovery"]),
        history=[],
        tools=ToolRegistry(default_tools()),
        tool_ctx=ToolContext(workspace=workspace, overlay=Overlay(workspace)),
        tokenizer=cl100k(),
        context_limit=8192,
        emit=sink.append,
        **kw,
    )


def fired(events: list[Event], mechanism: str = "toolcall_recovery") -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == mechanism]


async def recover(turn: TurnState, message: Message, profile: Profile | None = None) -> Message:
    mech = ToolCallRecovery(profile or turn.profile)
    assert await mech.after_model_call(ModelReply(message), turn) is None
    return message


# ---- printed calls -------------------------------------------------------------------------------------


async def test_fenced_json_call_becomes_a_real_call_with_repaired_arguments(tmp_path: Path) -> None:
    events: list[Event] = []
    turn = make_turn(tmp_path, events=events)
    message = await recover(turn, Message("assistant", QWEN_EDIT))
    assert message.content == "To handle an empty list, I will update the `mean` function."
    [call] = message.tool_calls
    assert call.name == "edit"
    assert call.arguments == {
        "path": "stats.py",
        "old_string": "    return sum(xs) / len(xs)\n",
        "new_string": "    return sum(xs) / len(xs) if xs else 0.0\n",
    }
    [event] = fired(events)
    assert event.data["source_format"] == "fenced"
    assert any("old_str" in r for r in event.data["repairs"])


async def test_hermes_tool_call_tags_are_recovered(tmp_path: Path) -> None:
    events: list[Event] = []
    turn = make_turn(tmp_path, events=events)
    text = '<tool_call>\n{"name": "read", "arguments": {"path": "stats.py"}}\n</tool_call>'
    message = await recover(turn, Message("assistant", text))
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("read", {"path": "stats.py"})]
    assert message.content == ""
    assert fired(events)[0].data["source_format"] == "hermes"


async def test_prose_with_code_is_left_alone(tmp_path: Path) -> None:
    events: list[Event] = []
    turn = make_turn(tmp_path, events=events)
    text = 'The config looks like this:\n```json\n{"name": "skiff", "version": 2}\n```\nNothing to change.'
    message = await recover(turn, Message("assistant", text))
    assert message.tool_calls == [] and message.content == text
    assert fired(events) == []


# ---- native calls --------------------------------------------------------------------------------------


async def test_native_call_gets_name_and_argument_repair(tmp_path: Path) -> None:
    events: list[Event] = []
    turn = make_turn(tmp_path, events=events)
    native = ToolCall("c1", "Read_File", {"filePath": "stats.py", "limit": "20"})
    message = await recover(turn, Message("assistant", "", tool_calls=[native]))
    assert (native.name, native.arguments) == ("read", {"path": "stats.py", "limit": 20})
    [event] = fired(events)
    assert event.data["source_format"] == "native"
    assert any("Read_File" in r for r in event.data["repairs"])
    assert message.tool_calls == [native]


async def test_native_raw_arguments_are_parsed_forgivingly(tmp_path: Path) -> None:
    turn = make_turn(tmp_path)
    raw = "{'path': 'stats.py', 'old_string': 'len(xs)', 'new_string': 'max(len(xs), 1)',}"
    native = ToolCall("c1", "edit", {}, raw_arguments=raw)
    await recover(turn, Message("assistant", "", tool_calls=[native]))
    assert native.raw_arguments is None
    assert native.arguments == {"path": "stats.py", "old_string": "len(xs)", "new_string": "max(len(xs), 1)"}


async def test_unparsable_raw_arguments_and_unknown_names_are_left_for_the_monitor(tmp_path: Path) -> None:
    events: list[Event] = []
    turn = make_turn(tmp_path, events=events)
    garbage = ToolCall("c1", "edit", {}, raw_arguments="<<path=stats.py>>")
    unknown = ToolCall("c2", "deploy_to_production", {"env": "prod"})
    await recover(turn, Message("assistant", "", tool_calls=[garbage, unknown]))
    assert garbage.raw_arguments == "<<path=stats.py>>"
    assert unknown.name == "deploy_to_production"
    assert fired(events) == []


async def test_missing_required_arguments_are_named_with_the_recipe(tmp_path: Path) -> None:
    events: list[Event] = []
    turn = make_turn(tmp_path, events=events)
    mech = ToolCallRecovery(turn.profile)
    ran: list[ToolCall] = []

    async def proceed(call: ToolCall) -> ToolResult:
        ran.append(call)
        return ToolResult("ran")

    result = await mech.around_tool_call(ToolCall("c1", "edit", {"path": "stats.py"}), turn, proceed)
    assert not result.ok and result.error == "invalid_args"
    assert "missing required arguments old_string, new_string" in result.output
    assert "`edit` takes required path, old_string, new_string" in result.output
    assert ran == []
    assert fired(events)[0].data["missing"] == ["old_string", "new_string"]
    ok = await mech.around_tool_call(ToolCall("c2", "read", {"path": "stats.py"}), turn, proceed)
    assert ok.output == "ran"


# ---- grammar mode --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_name", "key"), [("llama-cpp", "json_schema"), ("openai", "response_format")]
)
async def test_grammar_mode_constrains_the_request_per_provider(
    tmp_path: Path, provider_name: str, key: str
) -> None:
    profile = Profile(mechanisms=["toolcall_recovery"], tool_call_format="grammar")
    turn = make_turn(tmp_path, profile=profile, provider_name=provider_name)
    call = ModelCall(ChatRequest(messages=[Message("system", "You are Skiff."), Message("user", "fix mean")]))
    await ToolCallRecovery(profile).before_model_call(call, turn)
    schema = toolcall_json_schema(turn.tools.schemas())
    if key == "json_schema":
        assert call.request.extra == {"json_schema": schema}
    else:
        assert call.request.extra == {"response_format": {"type": "json_object", "schema": schema}}
    assert '{"final":' in call.request.messages[0].content


async def test_native_format_sets_no_grammar(tmp_path: Path) -> None:
    turn = make_turn(tmp_path, provider_name="llama-cpp")
    call = ModelCall(ChatRequest(messages=[Message("system", "You are Skiff.")]))
    await ToolCallRecovery(turn.profile).before_model_call(call, turn)
    assert call.request.extra == {}
    assert call.request.messages[0].content == "You are Skiff."


async def test_constrained_replies_are_read_as_call_or_final(tmp_path: Path) -> None:
    profile = Profile(mechanisms=["toolcall_recovery"], tool_call_format="grammar")
    turn = make_turn(tmp_path, profile=profile)
    message = await recover(turn, Message("assistant", '{"name": "read", "arguments": {"path": "stats.py"}}'))
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("read", {"path": "stats.py"})]
    assert message.content == ""
    final = await recover(turn, Message("assistant", '{"final": "mean() now handles empty lists."}'))
    assert final.tool_calls == [] and final.content == "mean() now handles empty lists."


# ---- through the loop ----------------------------------------------------------------------------------


def session(root: Path, replies: list[Any], profile: Profile) -> tuple[Session, ScriptedProvider]:
    provider = ScriptedProvider(replies)
    return Session(provider, Workspace(root), SessionOptions(profile=profile)), provider


async def test_printed_edit_runs_and_becomes_the_proposal(tmp_path: Path) -> None:
    (tmp_path / "stats.py").write_text(STATS)
    events: list[Event] = []
    s, provider = session(
        tmp_path,
        [QWEN_EDIT, "mean() now returns 0.0 for an empty list."],
        Profile(mechanisms=["toolcall_recovery", "quality_monitor"]),
    )
    result = await s.run_turn("make mean() return 0.0 for an empty list", subscriber=events.append)
    assert result.stop_reason == "end_turn"
    assert fired(events)[0].data["source_format"] == "fenced"
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [(e.name, e.status) for e in finished] == [("edit", "completed")]
    assert result.proposal is not None
    assert (
        result.proposal.changes[0].new_text == "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n"
    )
    # the executed call is in the history as a real call, and its result follows it
    assistant = s.history[1]
    assert assistant.tool_calls[0].name == "edit" and "```" not in assistant.content
    assert s.history[2].role == "tool" and s.history[2].tool_call_id == assistant.tool_calls[0].id
    assert any(m.role == "tool" and "Edited stats.py" in m.content for m in provider.requests[1].messages)


async def test_missing_argument_is_reported_and_the_model_recovers(tmp_path: Path) -> None:
    (tmp_path / "stats.py").write_text(STATS)
    events: list[Event] = []
    s, provider = session(
        tmp_path,
        [
            '```json\n{"name": "edit", "arguments": {"path": "stats.py", "new_string": "return 0"}}\n```',
            '```json\n{"name": "edit", "arguments": {"path": "stats.py", "old_string": "def mean(xs):", '
            '"new_string": "def average(xs):"}}\n```',
            "Renamed mean to average.",
        ],
        Profile(mechanisms=["toolcall_recovery"], tool_call_format="json"),
    )
    result = await s.run_turn("rename mean to average", subscriber=events.append)
    statuses = [(e.name, e.status) for e in events if isinstance(e, ToolCallFinished)]
    assert statuses == [("edit", "failed"), ("edit", "completed")]
    # json format: the result reaches the model as a user message naming the missing argument
    second = provider.requests[1].messages
    assert any(
        "missing required argument old_string" in m.content and "Example:" in m.content for m in second
    )
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == STATS.replace("def mean", "def average")


async def test_grammar_mode_through_the_loop(tmp_path: Path) -> None:
    (tmp_path / "stats.py").write_text(STATS)
    s, provider = session(
        tmp_path,
        ['{"name": "read", "arguments": {"path": "stats.py"}}', '{"final": "mean() divides by len(xs)."}'],
        Profile(mechanisms=["toolcall_recovery"], tool_call_format="grammar"),
    )
    result = await s.run_turn("what does mean() divide by?")
    assert result.text == "mean() divides by len(xs)."
    assert provider.requests[0].tools == []
    assert provider.requests[0].extra["response_format"]["type"] == "json_object"
    assert "anyOf" in provider.requests[0].extra["response_format"]["schema"]
    assert any("return sum(xs)" in m.content for m in provider.requests[1].messages)
