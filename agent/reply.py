"""Assembles streamed deltas into one assistant reply: text, reasoning (incl. `<think>` spans), tool calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from skiff.agent.messages import Message, ToolCall
from skiff.agent.providers.base import Delta

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


@dataclass
class _PendingCall:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class ReplyAssembler:
    """Feed deltas with `add`; it returns the (text, thought) pieces to show live. `<think>...</think>`
    in content is moved to reasoning, even when the tags are split across deltas."""

    text: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    _calls: dict[int, _PendingCall] = field(default_factory=dict)
    _in_think: bool = False
    _carry: str = ""

    def add(self, delta: Delta) -> tuple[str, str]:
        shown_text, shown_thought = self._split(delta.text)
        if delta.reasoning:
            self.reasoning += delta.reasoning
            shown_thought += delta.reasoning
        for tc in delta.tool_calls:
            pending = self._calls.setdefault(tc.index, _PendingCall())
            pending.id = pending.id or tc.id
            pending.name += tc.name or ""
            pending.arguments += tc.arguments
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
        return shown_text, shown_thought

    def _split(self, piece: str) -> tuple[str, str]:
        buf = self._carry + piece
        self._carry = ""
        text, thought = "", ""
        while buf:
            tag = THINK_CLOSE if self._in_think else THINK_OPEN
            pos = buf.find(tag)
            if pos < 0:
                keep = _partial_suffix(buf, tag)
                body, self._carry = buf[: len(buf) - keep], buf[len(buf) - keep :]
                if self._in_think:
                    thought += body
                else:
                    text += body
                break
            if self._in_think:
                thought += buf[:pos]
            else:
                text += buf[:pos]
            buf = buf[pos + len(tag) :]
            self._in_think = not self._in_think
        self.text += text
        self.reasoning += thought
        return text, thought

    def flush(self) -> None:
        if self._carry:
            if self._in_think:
                self.reasoning += self._carry
            else:
                self.text += self._carry
            self._carry = ""

    def message(self, call_prefix: str) -> Message:
        self.flush()
        calls = []
        for n, (_i, pc) in enumerate(sorted(self._calls.items())):
            try:
                args = json.loads(pc.arguments) if pc.arguments.strip() else {}
                raw = None if isinstance(args, dict) else pc.arguments
                args = args if isinstance(args, dict) else {}
            except json.JSONDecodeError:
                args, raw = {}, pc.arguments
            calls.append(ToolCall(pc.id or f"{call_prefix}_{n}", pc.name, args, raw))
        return Message("assistant", self.text, tool_calls=calls, reasoning=self.reasoning)


def _partial_suffix(buf: str, tag: str) -> int:
    """Length of the longest suffix of buf that is a proper prefix of tag (a tag split across deltas)."""
    for k in range(min(len(tag) - 1, len(buf)), 0, -1):
        if buf.endswith(tag[:k]):
            return k
    return 0
