"""Agent events as `skiff/update` notifications: the translation, tool titles, and the chunk buffer that
merges streamed text (docs/protocol.md, `skiff/update`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from skiff.agent.doctor import with_fix
from skiff.agent.events import (
    ErrorEvent,
    Event,
    MechanismFired,
    PlanUpdate,
    ProposalReady,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
)
from skiff.server.client import Progress
from skiff.server.features.chat.sessions import SessionEntry, Sessions
from skiff.server.features.models import Models
from skiff.server.features.proposals.store import ProposalStore

UPDATE = "skiff/update"
TOOL_OUTPUT_LIMIT = 20_000
CHUNK_WINDOW = 0.02  # seconds of streamed text merged into one chunk update


def tool_title(name: str, arguments: dict[str, Any]) -> str:
    for key in ("path", "command", "pattern", "query"):
        value = arguments.get(key)
        if isinstance(value, str) and value:
            return f"{name}: {value}"[:120]
    return name


class Translator:
    """Turns one agent event (other than streamed text) into the `update` of a `skiff/update`, registering
    proposals and keeping the last usage figures on the way."""

    def __init__(self, proposals: ProposalStore, models: Models, sessions: Sessions) -> None:
        self.proposals = proposals
        self.models = models
        self.sessions = sessions

    def translate(self, entry: SessionEntry, event: Event, progress: Progress) -> dict[str, Any] | None:
        if isinstance(event, ToolCallStarted):
            entry.current_call = event.call_id
            title = tool_title(event.name, event.arguments)
            progress.report(title)
            return {
                "sessionUpdate": "tool_call",
                "toolCallId": event.call_id,
                "title": title,
                "kind": event.kind,
                "status": "in_progress",
                "rawInput": event.arguments,
            }
        if isinstance(event, ToolCallFinished):
            text = (
                event.output
                if len(event.output) <= TOOL_OUTPUT_LIMIT
                else event.output[:TOOL_OUTPUT_LIMIT] + "\n…"
            )
            return {
                "sessionUpdate": "tool_call_update",
                "toolCallId": event.call_id,
                "status": event.status,
                "content": [{"type": "content", "content": {"type": "text", "text": text}}],
            }
        if isinstance(event, PlanUpdate):
            entries = [
                {
                    "content": e.get("content", ""),
                    "priority": e.get("priority", "medium"),
                    "status": e.get("status", "pending"),
                }
                for e in event.entries
            ]
            return {"sessionUpdate": "plan", "entries": entries}
        if isinstance(event, ProposalReady):
            record = self.proposals.add(event.proposal, entry.id)
            entry.proposal_ids.append(record.id)
            return {"sessionUpdate": "proposal", "proposal": self.proposals.wire(record)}
        if isinstance(event, UsageUpdate):
            self.models.last_usage = {
                "contextUsed": event.context_used,
                "contextLimit": event.context_limit,
                "tokensPerSecond": round(event.tokens_per_second, 2),
            }
            return {
                "sessionUpdate": "usage",
                "promptTokens": event.prompt_tokens,
                "completionTokens": event.completion_tokens,
                "tokensPerSecond": round(event.tokens_per_second, 2),
                "contextUsed": event.context_used,
                "contextLimit": event.context_limit,
            }
        if isinstance(event, ErrorEvent):
            spec = self.models.spec_of(self.sessions.model_of(entry))
            return {"sessionUpdate": "error", "message": with_fix(event.message, spec)}
        if isinstance(event, MechanismFired):
            return {"sessionUpdate": "mechanism", "mechanism": event.mechanism, "detail": event.detail}
        return None


class ChunkBuffer:
    """Merges streamed text of one kind for up to CHUNK_WINDOW seconds into one update, so a fast model
    sends tens of chunk updates a second instead of hundreds. Any other update flushes it first."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: Callable[[dict[str, Any]], None]) -> None:
        self.loop = loop
        self.send = send
        self.kind: str | None = None
        self.parts: list[str] = []
        self.timer: asyncio.TimerHandle | None = None

    def add(self, kind: str, text: str) -> None:
        if self.kind is not None and kind != self.kind:
            self.flush()
        self.kind = kind
        self.parts.append(text)
        if self.timer is None:
            self.timer = self.loop.call_later(CHUNK_WINDOW, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.kind is not None and self.parts:
            self.send({"sessionUpdate": self.kind, "content": {"type": "text", "text": "".join(self.parts)}})
        self.kind = None
        self.parts = []
