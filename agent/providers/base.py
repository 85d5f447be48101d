"""The provider interface: one streaming chat call, plus the model's tokenizer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from skiff.agent.messages import Message


class ProviderError(Exception):
    """The model backend failed: unreachable, bad status, or a reply that cannot be understood.

    The message is meant for the user; it names the URL or file involved.
    """


@dataclass
class ChatRequest:
    """One model call. `extra` carries backend options (grammar, response_format, chat_template_kwargs)."""

    messages: list[Message]
    tools: list[dict[str, Any]] = field(default_factory=list)
    temperature: float = 0.2
    max_tokens: int = 1024
    stop: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolCallDelta:
    """A fragment of a native tool call, as streamed (OpenAI `delta.tool_calls[i]`)."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Delta:
    """One streamed piece of a reply. Any field may be empty."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCallDelta] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None


@runtime_checkable
class Tokenizer(Protocol):
    def count(self, text: str) -> int: ...


@runtime_checkable
class Provider(Protocol):
    """A chat backend. `stream` must stop promptly when its consumer is cancelled (asyncio cancellation):
    close the HTTP stream, or tell the worker thread to stop between tokens."""

    name: str

    def stream(self, request: ChatRequest) -> AsyncIterator[Delta]: ...

    def tokenizer(self) -> Tokenizer: ...

    async def aclose(self) -> None: ...
