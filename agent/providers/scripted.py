"""A provider that replays scripted replies: deterministic agent-loop tests and benchmarks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from skiff.agent.providers.base import ChatRequest, Delta, ProviderError, Tokenizer, ToolCallDelta, Usage
from skiff.agent.tokens import cl100k, count_messages


@dataclass
class ScriptedReply:
    """One scripted model reply. `tool_calls` entries are {"name": str, "arguments": dict | str}."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # raise ProviderError(error) instead of replying


ReplySpec = str | dict[str, Any] | ScriptedReply | Callable[[ChatRequest], "ReplySpec"]


def _coerce(spec: ReplySpec, request: ChatRequest) -> ScriptedReply:
    if callable(spec) and not isinstance(spec, ScriptedReply):
        return _coerce(spec(request), request)
    if isinstance(spec, ScriptedReply):
        return spec
    if isinstance(spec, str):
        return ScriptedReply(text=spec)
    return ScriptedReply(**spec)


class ScriptedProvider:
    """Replays replies in order, streaming text in `chunk`-character pieces with `delay` seconds between.

    Every request is recorded in `requests`. Past the end of the script it raises ProviderError, so a test
    that makes more model calls than it scripted fails loudly.
    """

    name = "scripted"

    def __init__(self, replies: list[ReplySpec], chunk: int = 8, delay: float = 0.0) -> None:
        self.replies = list(replies)
        self.chunk = max(1, chunk)
        self.delay = delay
        self.requests: list[ChatRequest] = []
        self._tokenizer = cl100k()

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def stream(self, request: ChatRequest) -> AsyncIterator[Delta]:
        index = len(self.requests)
        self.requests.append(request)
        if index >= len(self.replies):
            raise ProviderError(
                f"scripted provider has no reply #{index + 1} (script has {len(self.replies)})"
            )
        reply = _coerce(self.replies[index], request)
        if reply.error:
            raise ProviderError(reply.error)
        completion = 0
        for field_name, text in (("reasoning", reply.reasoning), ("text", reply.text)):
            for i in range(0, len(text), self.chunk):
                if self.delay:
                    await asyncio.sleep(self.delay)
                else:
                    await asyncio.sleep(0)
                piece = text[i : i + self.chunk]
                completion += 1
                yield Delta(reasoning=piece) if field_name == "reasoning" else Delta(text=piece)
        for n, call in enumerate(reply.tool_calls):
            args = call.get("arguments", {})
            raw = args if isinstance(args, str) else json.dumps(args)
            yield Delta(
                tool_calls=[
                    ToolCallDelta(
                        index=n, id=call.get("id", f"call_{index}_{n}"), name=call["name"], arguments=raw
                    )
                ]
            )
            completion += 1
        prompt = count_messages(self._tokenizer, request.messages)
        yield Delta(
            finish_reason="tool_calls" if reply.tool_calls else "stop",
            usage=Usage(prompt_tokens=prompt, completion_tokens=completion),
        )

    def tokenizer(self) -> Tokenizer:
        return self._tokenizer

    async def aclose(self) -> None:
        return None


def from_model_entry(extra: dict[str, Any]) -> ScriptedProvider:
    """A scripted provider from a models.json entry: {"replies": [...], "chunk": 8, "delay": 0.0}.

    Lets end-to-end tests (the language server, the editor clients) drive the real server with a
    deterministic model through configuration alone.
    """
    replies = extra.get("replies")
    if not isinstance(replies, list):
        raise ProviderError("a scripted model needs a 'replies' list")
    return ScriptedProvider(replies, chunk=int(extra.get("chunk", 8)), delay=float(extra.get("delay", 0.0)))
