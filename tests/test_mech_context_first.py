"""context_first: the first call already holds the file or the selection, line-numbered, with diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skiff.agent.config import Profile
from skiff.agent.context import Diagnostic, RequestContext, Selection
from skiff.agent.events import Event, MechanismFired
from skiff.agent.hooks import ModelCall, TurnState
from skiff.agent.loop import Session, SessionOptions, render_user_message
from skiff.agent.mechanisms.context_first import EXCERPT_LINES, ContextFirst
from skiff.agent.messages import Message
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tokens import cl100k
from skiff.agent.tools.base import ToolContext, ToolRegistry
from skiff.agent.tools.defaults import default_tools
from skiff.agent.workspace import Overlay, Workspace

SMALL = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"


def big_file(n: int = 400) -> str:
    return "".join(f"def f{i}():\n    return {i}\n\n" for i in range(n // 3))


class Buffers:
    """An editor with one unsaved buffer."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path.resolve(), text

    def get(self, path: Path) -> str | None:
        return self.text if path == self.path else None

    def open_paths(self) -> list[Path]:
        return [self.path]


def make_turn(workspace: Workspace, task: str, ctx: RequestContext | None, events: list[Event]) -> TurnState:
    return TurnState(
        task=task,
        context=ctx,
        profile=Profile(mechanisms=["context_first"]),
        history=[Message("user", render_user_message(task, ctx))],
        tools=ToolRegistry(default_tools()),
        tool_ctx=ToolContext(workspace=workspace, overlay=Overlay(workspace)),
        tokenizer=cl100k(),
        context_limit=8192,
        emit=events.append,
    )


async def first_call(turn: TurnState) -> ModelCall:
    call = ModelCall(ChatRequest(messages=[Message("system", "sys"), *turn.history]))
    await ContextFirst(turn.profile).before_model_call(call, turn)
    return call


def fired(events: list[Event]) -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "context_first"]


async def test_small_file_is_shown_whole_with_selection_and_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(SMALL)
    ctx = RequestContext(
        path="calc.py",
        selection=Selection(0, 1, "def add(a, b):\n    return a - b\n"),
        diagnostics=[Diagnostic(1, "add returns the difference", "warning", "lint")],
    )
    events: list[Event] = []
    turn = make_turn(Workspace(tmp_path), "Fix add", ctx, events)
    call = await first_call(turn)
    text = turn.history[0].content
    assert text.startswith(
        "Fix add\n\ncalc.py (6 lines)\n```python\n   1| def add(a, b):\n   2|     return a - b\n"
    )
    assert "   6|     return a * b\n```" in text
    assert "Selected: lines 1-2." in text
    assert "line 2: warning [lint]: add returns the difference" in text
    assert call.request.messages[1] is turn.history[0]  # the request sees the rewritten message
    (event,) = fired(events)
    assert "whole file" in event.detail and event.data["tokens"] > 0
    assert turn.notes["context_first"].whole_file


async def test_large_file_shows_the_selection_with_a_margin(tmp_path: Path) -> None:
    source = big_file()
    (tmp_path / "big.py").write_text(source)
    lines = source.splitlines(keepends=True)
    ctx = RequestContext(path="big.py", selection=Selection(200, 201, "".join(lines[200:202])))
    events: list[Event] = []
    turn = make_turn(Workspace(tmp_path), "Change this", ctx, events)
    await first_call(turn)
    text = turn.history[0].content
    assert "big.py, 399 lines; excerpt:" in text
    assert " 193| " in text and " 210| " in text  # 8 lines of margin either side
    assert " 192| " not in text and " 211| " not in text
    assert not turn.notes["context_first"].whole_file


async def test_large_file_without_selection_gets_an_outline(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text(big_file())
    events: list[Event] = []
    turn = make_turn(Workspace(tmp_path), "Explain the module", RequestContext(path="big.py"), events)
    await first_call(turn)
    text = turn.history[0].content
    assert "File: big.py (399 lines). Outline:\n1: f0\n4: f1\n" in text
    assert "... 93 more" in text


async def test_excerpts_are_capped(tmp_path: Path) -> None:
    source = big_file(900)
    (tmp_path / "big.py").write_text(source)
    lines = source.splitlines(keepends=True)
    ctx = RequestContext(path="big.py", selection=Selection(10, 400, "".join(lines[10:401])))
    turn = make_turn(Workspace(tmp_path), "Refactor this", ctx, [])
    await first_call(turn)
    assert sum(b - a for a, b in turn.notes["context_first"].ranges) == EXCERPT_LINES


async def test_unsaved_editor_buffer_is_what_the_model_sees(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(SMALL)
    workspace = Workspace(
        tmp_path, Buffers(tmp_path / "calc.py", "def add(a, b):\n    return b - a  # unsaved\n")
    )
    turn = make_turn(workspace, "Fix add", RequestContext(path="calc.py"), [])
    await first_call(turn)
    assert "   2|     return b - a  # unsaved" in turn.history[0].content


async def test_nothing_without_a_file_or_when_unreadable(tmp_path: Path) -> None:
    events: list[Event] = []
    for ctx in (
        None,
        RequestContext(),
        RequestContext(path="missing.py"),
        RequestContext(path="../outside.py"),
    ):
        turn = make_turn(Workspace(tmp_path), "Do it", ctx, events)
        before = turn.history[0].content
        await first_call(turn)
        assert turn.history[0].content == before
    assert not fired(events)


async def test_only_the_first_call_is_rewritten(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(SMALL)
    events: list[Event] = []
    turn = make_turn(Workspace(tmp_path), "Fix add", RequestContext(path="calc.py"), events)
    mech = ContextFirst(turn.profile)
    await mech.before_model_call(ModelCall(ChatRequest(messages=list(turn.history))), turn)
    turn.model_calls = 1
    turn.history.append(Message("user", "more"))
    await mech.before_model_call(ModelCall(ChatRequest(messages=list(turn.history))), turn)
    assert turn.history[1].content == "more"
    assert len(fired(events)) == 1


async def test_session_edits_on_the_first_call_without_reading(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(SMALL)

    def edit_from_prompt(request: ChatRequest) -> dict[str, Any]:
        user = request.messages[1].content
        assert "   2|     return a - b" in user  # the code is already there
        return {
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

    provider = ScriptedProvider([edit_from_prompt, "Fixed add."])
    session = Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["context_first"])),
    )
    events: list[Event] = []
    result = await session.run_turn("Fix add", RequestContext(path="calc.py"), events.append)
    assert provider.calls == 2  # no turn spent on read
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == SMALL.replace("a - b", "a + b")
    assert len(fired(events)) == 1
    assert "   1| def add(a, b):" in provider.requests[1].messages[1].content  # kept in the history


async def test_definition_named_in_the_task_is_pointed_out(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(SMALL)
    turn = make_turn(Workspace(tmp_path), "add a docstring to mul()", RequestContext(path="calc.py"), [])
    await first_call(turn)
    assert "The request is about `mul` (lines 5-6)." in turn.history[0].content
