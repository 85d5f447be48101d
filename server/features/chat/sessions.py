"""Chat sessions: the registry of this server's sessions, and their records in the session store.

Every session the user has been shown is saved to the workspace's session store (agent/session_store.py)
as it goes: the history, the streamed text not in the history yet, traces of tool and model calls, its
proposals. Once the workspace is known the stored sessions (and their proposals) come back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

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
from skiff.agent.loop import Session
from skiff.agent.session_store import (
    TRACE_TEXT_LIMIT,
    SessionStore,
    message_to_store,
    messages_from_store,
)
from skiff.server.documents import Buffers
from skiff.server.features.models import Models
from skiff.server.features.proposals.store import ProposalStore, Record, record_from_store, record_to_store

log = logging.getLogger(__name__)


@dataclass
class SessionEntry:
    id: str
    session: Session | None = None
    model_ref: str | None = None  # the model the session's provider runs
    model_override: str | None = None  # set by skiff/setModel with a sessionId
    turns: int = 0
    task: asyncio.Task[dict[str, Any]] | None = None
    proposal_ids: list[str] = field(default_factory=list)
    current_call: str = ""
    title: str = ""
    # persistence (Sessions -> agent/session_store.py)
    stored_messages: list[dict[str, Any]] | None = None  # a restored session's history, until it runs
    traces: list[dict[str, Any]] = field(default_factory=list)
    created: float | None = None
    updated: float | None = None
    pending_prompt: str | None = None  # shown to the user, not yet in the loop's history
    streaming: list[str] = field(default_factory=list)  # assistant text streamed, not yet in history
    streaming_base: int = 0
    call_started: float = 0.0
    tool_started: dict[str, tuple[float, str, dict[str, Any]]] = field(default_factory=dict)

    def history_length(self) -> int:
        if self.session is not None:
            return len(self.session.history)
        return len(self.stored_messages or [])

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()


class Sessions:
    """All chat sessions of one server, and the session store once the workspace is known."""

    def __init__(self, documents: Buffers, proposals: ProposalStore, models: Models) -> None:
        self.documents = documents
        self.proposals = proposals
        self.models = models
        self._sessions: dict[str, SessionEntry] = {}
        self.store: SessionStore | None = None
        proposals.loader = self.restore  # a proposal lookup brings the stored ones back first

    # -- the registry ------------------------------------------------------------------------------

    def all(self) -> dict[str, SessionEntry]:
        """Every session: those of this server and, once the workspace is known, the stored ones."""
        self.restore()
        return self._sessions

    def get_or_create(self, session_id: str | None) -> SessionEntry:
        """The named session (KeyError if unknown), or a new one."""
        if session_id is not None:
            return self.all()[session_id]
        self.restore()
        entry = SessionEntry(uuid.uuid4().hex[:12])
        self._sessions[entry.id] = entry
        return entry

    def entry(self, session_id: str | None, key: str = "sessionId") -> SessionEntry:
        """`get_or_create` for a request: an unknown session is a -32602 naming `key`."""
        try:
            return self.get_or_create(session_id)
        except KeyError:
            raise JsonRpcInvalidParams(
                f"invalid params: key '{key}': unknown session '{session_id}'"
            ) from None

    def model_of(self, entry: SessionEntry) -> str | None:
        return entry.model_ref or entry.model_override or self.models.model_ref()

    def cancel(self, session_id: str) -> bool:
        entry = self.all()[session_id]
        if entry.busy and entry.task is not None:
            entry.task.cancel()
            return True
        return False

    def cancel_all(self) -> None:
        for entry in self.all().values():
            if entry.busy and entry.task is not None:
                entry.task.cancel()

    # -- the session store -------------------------------------------------------------------------

    def restore(self) -> None:
        """Open the workspace's session store (once, after `initialize`) and bring back its sessions
        and their proposals. A file that does not parse is skipped with a log line."""
        if self.store is not None or not self.documents.ready:
            return
        store = SessionStore(self.documents.root().resolve())
        self.store = store
        self.proposals.on_change = self._save_proposal
        try:
            deleted = store.prune()
            if deleted:
                log.info("session store: removed %d old session(s)", len(deleted))
            stored = store.sessions()
        except OSError as exc:
            log.warning("session store: cannot read %s: %s", store.dir, exc)
            return
        for item in stored:
            data = item.data
            if item.id in self._sessions:
                continue
            entry = SessionEntry(
                item.id,
                model_ref=str(data["model"]) if data.get("model") else None,
                turns=int(data.get("turns", 0) or 0),
                title=str(data.get("title", "")),
                stored_messages=item.messages,
                traces=[t for t in data.get("traces", []) if isinstance(t, dict)],
                created=float(data.get("created", 0.0) or 0.0),
                updated=item.updated,
            )
            for pid in data.get("proposals", []):
                record = self._load_record(str(pid))
                if record is not None:
                    self.proposals.restore(record)
                    entry.proposal_ids.append(record.id)
            self._sessions[entry.id] = entry
        if stored:
            log.info("session store: restored %d session(s) from %s", len(stored), store.dir)

    def _load_record(self, proposal_id: str) -> Record | None:
        assert self.store is not None
        data = self.store.load_proposal(proposal_id)
        if data is None:
            return None
        try:
            return record_from_store(data, self.store.root)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("session store: ignoring proposal %s: %s", proposal_id, exc)
            return None

    def _save_proposal(self, record: Record) -> None:
        if self.store is not None:
            self.store.save_proposal(record_to_store(record))

    def save(self, entry: SessionEntry) -> None:
        """Snapshot the session: everything the user has been shown so far."""
        if self.store is None:
            return
        messages = (
            [message_to_store(m) for m in entry.session.history]
            if entry.session is not None
            else list(entry.stored_messages or [])
        )
        if entry.pending_prompt is not None:
            messages.append({"role": "user", "content": entry.pending_prompt})
        if entry.streaming and entry.history_length() != entry.streaming_base:
            entry.streaming = []  # the streamed reply is in the history now
        now = time.time()
        entry.created = entry.created or now
        if self.store.save_session(
            {
                "id": entry.id,
                "title": entry.title,
                "model": self.model_of(entry),
                "turns": entry.turns,
                "created": entry.created,
                "messages": messages,
                "proposals": list(entry.proposal_ids),
                "traces": entry.traces,
                "streaming": "".join(entry.streaming),
            }
        ):
            entry.updated = now

    def stream(self, entry: SessionEntry, update: dict[str, Any]) -> None:
        """Keep streamed assistant text that reached the client."""
        if self.store is None or update.get("sessionUpdate") != "agent_message_chunk":
            return
        text = str(update.get("content", {}).get("text", ""))
        if entry.streaming and entry.history_length() != entry.streaming_base:
            self.save(entry)  # the previous reply made it into the history: start a new tail
        if not entry.streaming:
            entry.streaming_base = entry.history_length()
        entry.streaming.append(text)
        self.store.append_stream(entry.id, text)

    def trace(self, entry: SessionEntry, event: Event) -> bool:
        """Record a trace for `event`; True when the session should be saved after it."""
        now = time.monotonic()
        if isinstance(event, ToolCallStarted):
            entry.tool_started[event.call_id] = (now, event.name, event.arguments)
            return True
        if isinstance(event, ToolCallFinished):
            started, name, arguments = entry.tool_started.pop(event.call_id, (now, event.name, {}))
            entry.traces.append(
                {
                    "type": "tool_call",
                    "at": time.time(),
                    "id": event.call_id,
                    "name": name,
                    "arguments": _clip(arguments),
                    "status": event.status,
                    "output": event.output[:TRACE_TEXT_LIMIT],
                    "seconds": round(now - started, 3),
                }
            )
            entry.call_started = now
            return True
        if isinstance(event, UsageUpdate):
            entry.traces.append(
                {
                    "type": "model_call",
                    "at": time.time(),
                    "promptTokens": event.prompt_tokens,
                    "completionTokens": event.completion_tokens,
                    "tokensPerSecond": round(event.tokens_per_second, 2),
                    "seconds": round(now - entry.call_started, 3),
                }
            )
            entry.call_started = now
            return True
        if isinstance(event, ErrorEvent | MechanismFired):
            detail = event.message if isinstance(event, ErrorEvent) else f"{event.mechanism}: {event.detail}"
            kind = "error" if isinstance(event, ErrorEvent) else "mechanism"
            entry.traces.append({"type": kind, "at": time.time(), "detail": detail[:TRACE_TEXT_LIMIT]})
            return True
        return isinstance(event, ProposalReady | PlanUpdate)

    # -- views -------------------------------------------------------------------------------------

    def describe(self, entry: SessionEntry) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sessionId": entry.id,
            "title": entry.title,
            "model": self.model_of(entry),
            "turns": entry.turns,
            "busy": entry.busy,
        }
        if entry.updated is not None:
            out["updated"] = _iso(entry.updated)
        return out

    def history(self, entry: SessionEntry) -> dict[str, Any]:
        messages = []
        if entry.session is not None:
            history = entry.session.history
        else:
            history = messages_from_store(entry.stored_messages or [], entry.traces)
        for m in history:
            item: dict[str, Any] = {"role": m.role, "content": m.content}
            if m.display is not None and m.display != m.content:
                item["content"], item["expanded"] = m.display, m.content  # what was typed; what the model saw
            if m.tool_calls:
                item["toolCalls"] = [
                    {"id": c.id, "name": c.name, "arguments": c.arguments} for c in m.tool_calls
                ]
            if m.tool_call_id is not None:
                item["toolCallId"] = m.tool_call_id
            messages.append(item)
        proposals = []
        for pid in entry.proposal_ids:
            record = self.proposals.get(pid)
            if record is not None:
                proposals.append({"id": pid, "status": record.status})
        return {
            "sessionId": entry.id,
            "title": entry.title,
            "model": self.model_of(entry),
            "messages": messages,
            "proposals": proposals,
        }


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _clip(arguments: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments for a trace, long strings cut to TRACE_TEXT_LIMIT."""
    return {k: v[:TRACE_TEXT_LIMIT] if isinstance(v, str) else v for k, v in arguments.items()}
