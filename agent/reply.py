"""Assembles streamed deltas into one assistant reply: text, reasoning (incl. `<think>` spans), tool calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from skiff.agent.messages import Message, ToolCall
from skiff.agent.parsing.think import next_tag, partial_tag
from skiff.agent.providers.base import Delta


@dataclass
class _PendingCall:
    id: str | None = None
    name: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)  # pieces, joined once: appending is linear


class ReplyAssembler:
    """Feed deltas with `add`; it returns the (text, thought) pieces to show live. `<think>...</think>`
    in content (and the other tags of `skiff.agent.parsing.think`) is moved to reasoning, even when the
    tags are split across deltas.

    Pieces are collected in lists and joined on demand, so a reply of any size assembles in linear time
    (appending to a str attribute copies it every time: 16 MB in 4-byte deltas took minutes)."""

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _PendingCall] = {}
        self._open: str | None = None  # the reasoning tag open in the content, if any
        self._carry = ""

    @property
    def text(self) -> str:
        return _joined(self._text)

    @property
    def reasoning(self) -> str:
        return _joined(self._reasoning)

    def add(self, delta: Delta) -> tuple[str, str]:
        shown_text, shown_thought = self._split(delta.text)
        if delta.reasoning:
            self._reasoning.append(delta.reasoning)
            shown_thought += delta.reasoning
        for tc in delta.tool_calls:
            pending = self._calls.setdefault(tc.index, _PendingCall())
            pending.id = pending.id or tc.id
            if tc.name:
                pending.name.append(tc.name)
            if tc.arguments:
                pending.arguments.append(tc.arguments)
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
        return shown_text, shown_thought

    def _split(self, piece: str) -> tuple[str, str]:
        if not self._carry and self._open is None and "<" not in piece:  # the common case: plain text
            if piece:
                self._text.append(piece)
            return piece, ""
        buf = self._carry + piece
        self._carry = ""
        text: list[str] = []
        thought: list[str] = []
        while buf:
            inside = self._open is not None
            m = next_tag(buf, self._open)
            if m is None:
                keep = partial_tag(buf, self._open)
                body, self._carry = buf[: len(buf) - keep], buf[len(buf) - keep :]
                (thought if inside else text).append(body)
                break
            (thought if inside else text).append(buf[: m.start()])
            buf = buf[m.end() :]
            self._open = None if inside else m.group(1).lower()
        shown_text, shown_thought = "".join(text), "".join(thought)
        if shown_text:
            self._text.append(shown_text)
        if shown_thought:
            self._reasoning.append(shown_thought)
        return shown_text, shown_thought

    def flush(self) -> None:
        if self._carry:
            (self._reasoning if self._open is not None else self._text).append(self._carry)
            self._carry = ""

    def message(self, call_prefix: str) -> Message:
        self.flush()
        calls = []
        for n, (_i, pc) in enumerate(sorted(self._calls.items())):
            arguments = "".join(pc.arguments)
            try:
                args = json.loads(arguments) if arguments.strip() else {}
                raw = None if isinstance(args, dict) else arguments
                args = args if isinstance(args, dict) else {}
            except (json.JSONDecodeError, RecursionError):
                args, raw = {}, arguments
            calls.append(ToolCall(pc.id or f"{call_prefix}_{n}", "".join(pc.name), args, raw))
        return Message("assistant", self.text, tool_calls=calls, reasoning=self.reasoning)


def _joined(parts: list[str]) -> str:
    """The parts as one string, kept as a single part so later reads are free."""
    if len(parts) > 1:
        parts[:] = ["".join(parts)]
    return parts[0] if parts else ""
