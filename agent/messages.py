"""Chat messages and tool calls as the agent loop keeps them, with their OpenAI wire form.

The wire form (`to_openai`, what every network provider sends) is redacted by agent/redact.py: secrets
in file contents, tool output or the user's text never reach a model server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from skiff.agent.redact import redact, redact_obj

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolCall:
    """One tool invocation requested by the model.

    `arguments` is the parsed argument object; `raw_arguments` keeps the text the model sent when it
    could not be parsed (the quality monitor reports it as malformed).
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str | None = None

    def to_openai(self) -> dict[str, Any]:
        if self.raw_arguments is not None:
            args = redact(self.raw_arguments)
        else:
            args = json.dumps(redact_obj(self.arguments))
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": args}}


@dataclass
class Message:
    """A conversation message. `reasoning` holds thinking text, never sent back to the model; `display`
    is what the user typed when `content` was expanded for the model (editor context, file excerpts)."""

    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    reasoning: str = ""
    display: str | None = None

    def to_openai(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": redact(self.content)}
        if self.tool_calls:
            out["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None and self.role == "tool":
            out["name"] = self.name
        return out

    def text_for_counting(self) -> str:
        """The text that occupies the context window, for token counting."""
        parts = [self.content]
        for c in self.tool_calls:
            parts.append(c.name)
            parts.append(c.raw_arguments if c.raw_arguments is not None else json.dumps(c.arguments))
        return "\n".join(parts)
