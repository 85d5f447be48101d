"""Context budget: every request fits the context limit; tool results are capped, evicted, then compacted."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import Field

from skiff.agent.compaction import summarize
from skiff.agent.config import Profile
from skiff.agent.events import Event, MechanismFired
from skiff.agent.hooks import ModelCall, TurnState
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.mechanisms.context_budget import ContextBudget, cap_text
from skiff.agent.messages import Message, ToolCall
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tokens import cl100k, count_messages
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolRegistry, ToolResult
from skiff.agent.tools.edit import EditTool
from skiff.agent.tools.read import ReadTool
from skiff.agent.workspace import Overlay, Workspace

TASK = "Find why test_parse_header fails and fix parser.py"
LIMIT = 1500
REPLY = 256


class _RunArgs(ToolArgs):
    target: str = Field(description="test | lint")


class _Run(Tool[_RunArgs]):
    """A test runner with long, distinct logs."""

    name = "run"
    description = "Run the tests or the linter."
    Args = _RunArgs
    example: ClassVar[dict[str, Any]] = {"target": "test"}
    kind = "execute"
    category = "run"
    calls = 0

    async def run(self, args: _RunArgs, ctx: ToolContext) -> ToolResult:
        type(self).calls += 1
        n = type(self).calls
        log = "\n".join(
            f"run {n} line {i}: collecting tests/test_parser.py::case_{i} PASSED" for i in range(60)
        )
        return ToolResult.fail("failed", f"{log}\nFAILED tests/test_parser.py::test_parse_header (run {n})")


def tools() -> ToolRegistry:
    return ToolRegistry([ReadTool(), EditTool(), _Run()])


def big_file(n: int) -> str:
    return "".join(
        f"def helper_{n}_{i}(value):\n    return value * {i}  # helper {i} of module {n}\n" for i in range(40)
    )


def request_tokens(req: ChatRequest) -> int:
    tools_cost = cl100k().count(json.dumps(req.tools)) if req.tools else 0
    return count_messages(cl100k(), req.messages) + req.max_tokens + tools_cost


def long_turn(root: Path, fmt: str = "native") -> tuple[Session, ScriptedProvider]:
    (root / "parser.py").write_text("def parse_header(line):\n    return line.split(':')\n")
    replies: list[Any] = []
    for n in range(6):
        (root / f"mod{n}.py").write_text(big_file(n))
        replies.append({"tool_calls": [{"name": "read", "arguments": {"path": f"mod{n}.py"}}]})
        replies.append({"tool_calls": [{"name": "run", "arguments": {"target": "test"}}]})
    replies.append(
        {
            "tool_calls": [
                {
                    "name": "edit",
                    "arguments": {
                        "path": "parser.py",
                        "old_string": "line.split(':')",
                        "new_string": "line.split(':', 1)",
                    },
                }
            ]
        }
    )
    replies.append("parse_header now splits on the first colon only.")
    provider = ScriptedProvider(replies)
    profile = Profile(mechanisms=["context_budget"], tool_result_cap=1500, turn_cap=30, tool_call_format=fmt)
    options = SessionOptions(profile=profile, context_limit=LIMIT, max_output_tokens=REPLY)
    return Session(provider, Workspace(root), options, tools=tools()), provider


@pytest.mark.parametrize("fmt", ["native", "json"])
async def test_every_request_of_a_long_turn_fits(tmp_path: Path, fmt: str) -> None:
    events: list[Event] = []
    session, provider = long_turn(tmp_path, fmt)
    result = await session.run_turn(TASK, subscriber=events.append)
    assert result.stop_reason == "end_turn"
    assert provider.calls == 14
    for n, req in enumerate(provider.requests):
        assert count_messages(cl100k(), req.messages) + req.max_tokens <= LIMIT, f"request {n} is too big"
        assert request_tokens(req) <= LIMIT, f"request {n} with its tool definitions is too big"
        assert req.max_tokens == REPLY, "fitting never needed to lower max_tokens here"
    last = provider.requests[-1]
    text = "\n".join(m.content for m in last.messages)
    assert TASK in text
    assert last.messages[0].role == "system"
    # the latest result (the edit) is there whole; the summary names the files touched and the open error
    assert "Edited parser.py" in text
    summary = next(m.content for m in last.messages if m.content.startswith("[Summary of earlier messages"))
    assert "mod0.py (read)" in summary
    assert "test_parse_header" in summary and "Open errors" in summary
    fired = [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "context_budget"]
    assert any("compacted" in e.detail for e in fired)
    assert any(e.data.get("capped") for e in fired)
    # the session history itself stays complete
    assert len([m for m in session.history if m.role == "tool"]) == 13
    assert all("elided" not in m.content for m in session.history if m.role == "tool")


async def test_next_turn_reuses_the_summary_and_still_fits(tmp_path: Path) -> None:
    session, provider = long_turn(tmp_path)
    await session.run_turn(TASK)
    provider.replies.append("It split on every colon, so 'Host: a:b' lost the port.")
    await session.run_turn("What was the bug?")
    before, after = provider.requests[-2], provider.requests[-1]
    summary = [m.content for m in before.messages if m.content.startswith("[Summary")]
    assert summary and summary[0] in [m.content for m in after.messages], "same summary: stable prompt prefix"
    assert request_tokens(after) <= LIMIT
    assert after.messages[-1].content == "What was the bug?"


def make_turn(root: Path, history: list[Message], limit: int, cap: int = 4000) -> TurnState:
    workspace = Workspace(root)
    return TurnState(
        task=TASK,
        context=None,
        profile=Profile(mechanisms=["context_budget"], tool_result_cap=cap),
        history=history,
        tools=tools(),
        tool_ctx=ToolContext(workspace=workspace, overlay=Overlay(workspace)),
        tokenizer=cl100k(),
        context_limit=limit,
        emit=lambda e: None,
    )


def read_exchange(n: int, body: str) -> list[Message]:
    call = ToolCall(f"c{n}", "read", {"path": f"mod{n}.py"})
    return [
        Message("assistant", "", tool_calls=[call]),
        Message("tool", body, tool_call_id=f"c{n}", name="read"),
    ]


async def test_older_results_are_evicted_first_and_the_latest_stays_whole(tmp_path: Path) -> None:
    history = [Message("user", TASK), *read_exchange(1, big_file(1)), *read_exchange(2, big_file(2))]
    turn = make_turn(tmp_path, history, limit=2000)
    call = ModelCall(ChatRequest(messages=[Message("system", "You are Skiff."), *history], max_tokens=REPLY))
    await ContextBudget(turn.profile).before_model_call(call, turn)
    sent = call.request.messages
    assert sent[3].content.startswith("[Older result of read removed")
    assert sent[5].content == big_file(2)
    assert [m.role for m in sent] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert turn.notes["context_budget"]["evicted"] == {"c1"}
    assert history[2].content == big_file(1), "the history is not changed"
    assert count_messages(cl100k(), sent) + REPLY <= 2000


async def test_a_request_that_fits_is_left_alone(tmp_path: Path) -> None:
    history = [Message("user", TASK), *read_exchange(1, "def f():\n    pass\n")]
    turn = make_turn(tmp_path, history, limit=8192)
    messages = [Message("system", "You are Skiff."), *history]
    call = ModelCall(ChatRequest(messages=list(messages), max_tokens=REPLY))
    await ContextBudget(turn.profile).before_model_call(call, turn)
    assert call.request.messages == messages and call.request.max_tokens == REPLY


async def test_counts_run_off_the_event_loop_and_are_cached(tmp_path: Path) -> None:
    class Recording:
        def __init__(self) -> None:
            self.texts: list[str] = []
            self.threads: set[int] = set()

        def count(self, text: str) -> int:
            self.texts.append(text)
            self.threads.add(threading.get_ident())
            return cl100k().count(text)

    tokenizer = Recording()
    history = [Message("user", TASK), *read_exchange(1, big_file(1))]
    turn = make_turn(tmp_path, history, limit=8192)
    turn.tokenizer = tokenizer
    mech = ContextBudget(turn.profile)
    for _ in range(3):
        await mech.before_model_call(
            ModelCall(ChatRequest(messages=[Message("system", "S"), *history])), turn
        )
    assert threading.get_ident() not in tokenizer.threads
    assert len(tokenizer.texts) == len(set(tokenizer.texts)) == 4, "each text is counted once"


async def test_last_resort_cuts_the_task_context_and_lowers_max_tokens(tmp_path: Path) -> None:
    attached = "\n".join(f"    line {i} of the selected code" for i in range(400))
    history = [Message("user", f"{TASK}\n\nSelected lines 1-400:\n{attached}")]
    turn = make_turn(tmp_path, history, limit=400)
    call = ModelCall(ChatRequest(messages=[Message("system", "You are Skiff."), *history], max_tokens=REPLY))
    await ContextBudget(turn.profile).before_model_call(call, turn)
    sent = call.request.messages
    assert sent[1].content.startswith(TASK) and "elided" in sent[1].content
    assert count_messages(cl100k(), sent) + call.request.max_tokens <= 400
    assert call.request.max_tokens <= REPLY


def test_cap_text_keeps_head_and_tail() -> None:
    text = "\n".join(f"line {i}" for i in range(1000))
    capped = cap_text(text, 600)
    assert capped.startswith("line 0\n") and capped.endswith("line 999")
    assert "characters" in capped and "elided" in capped
    assert len(capped) < 700
    assert cap_text("short", 600) == "short"


def test_summary_keeps_task_files_and_open_errors() -> None:
    calls = [
        ToolCall("a", "read", {"path": "parser.py"}),
        ToolCall("b", "edit", {"path": "parser.py", "old_string": "x", "new_string": "y"}),
        ToolCall("c", "run", {"target": "test"}),
        ToolCall("d", "run", {"target": "lint"}),
    ]
    results = [
        "1 def parse",
        "Error (no_match): old_string not found in parser.py",
        "Error (failed): 1 failed",
        "ok",
    ]
    messages = [Message("user", TASK)]
    for c, r in zip(calls, results, strict=True):
        messages += [
            Message("assistant", "", tool_calls=[c]),
            Message("tool", r, tool_call_id=c.id, name=c.name),
        ]
    text = summarize(messages, TASK, tools=tools(), edited=["parser.py"])
    assert f"Task: {TASK}" in text
    assert "parser.py (read, edit failed, changed (pending review))" in text
    assert "edit(path=parser.py): no_match" in text and "run(target=test): failed" in text
    assert len(summarize(messages, TASK, tools=tools(), max_chars=300)) <= 300
