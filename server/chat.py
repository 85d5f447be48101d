"""Chat sessions: `skiff/chat` turns, agent events as `skiff/update`, work-done progress and cancellation.

Each turn runs in its own asyncio task so `$/cancelRequest`, `window/workDoneProgress/cancel` and
`skiff/cancel` all stop it the same way (the request then fails with -32800). Model calls and tools are
async (blocking work happens in the providers' and tools' worker threads), so the event loop keeps
answering code actions while a turn streams.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from skiff import __version__
from skiff.agent.catalog import ModelCatalog
from skiff.agent.config import ConfigError, ModelSpec, Registry
from skiff.agent.context import Diagnostic, RequestContext, Selection
from skiff.agent.doctor import check_model, with_fix
from skiff.agent.events import (
    ErrorEvent,
    Event,
    MechanismFired,
    PlanUpdate,
    ProposalReady,
    TextDelta,
    ThoughtDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
)
from skiff.agent.loop import Session, SessionOptions, TurnResult
from skiff.agent.providers.base import ProviderError
from skiff.agent.providers.factory import make_provider
from skiff.agent.session_store import (
    TRACE_TEXT_LIMIT,
    SessionStore,
    message_to_store,
    messages_from_store,
)
from skiff.agent.workspace import Workspace
from skiff.server.documents import line_starts, offset_at, uri_to_path
from skiff.server.params import LspDiagnostic, Range, SessionBusy
from skiff.server.permissions import make_asker
from skiff.server.proposals import Record, record_from_store, record_to_store

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer

log = logging.getLogger(__name__)

UPDATE = "skiff/update"
SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}
TOOL_OUTPUT_LIMIT = 20_000
CHUNK_WINDOW = 0.02  # seconds of streamed text merged into one chunk update
PROGRESS_CREATE_TIMEOUT = 10.0  # seconds to wait for window/workDoneProgress/create before going without


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
    # persistence (server/chat.py -> agent/session_store.py)
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


@dataclass
class TurnRequest:
    prompt: str
    context: RequestContext | None = None
    progress_token: str | int | None = None  # a client-created token; None: create one if supported
    send_updates: bool = True
    background: bool = False  # started by a command: show text answers and errors with showMessage


class ChatService:
    """All chat sessions of one server, the current model and the last usage figures."""

    def __init__(self, ls: SkiffLanguageServer) -> None:
        self.ls = ls
        self._sessions: dict[str, SessionEntry] = {}
        self.store: SessionStore | None = None
        ls.proposals.loader = self.restore  # a proposal lookup brings the stored ones back first
        self.current_model: str | None = None
        self.catalog = ModelCatalog(on_error=self._models_error)
        self.model_check: dict[str, Any] | None = None  # the last `skiff/status` checkModel result
        self.last_usage: dict[str, Any] = {}
        self.loop_thread = threading.get_ident()

    # -- models ------------------------------------------------------------------------------------

    def _models_error(self, message: str) -> None:
        log.error("%s", message)
        if self.ls.loop is None:  # not initialized yet: shown after `initialized`
            self.ls.startup_errors.append(f"Skiff: {message}")
        else:
            self.ls.show_message(f"Skiff: {message}", lsp.MessageType.Error)

    @property
    def registry(self) -> Registry:
        """The models files as they are now, with the models local servers were found serving."""
        return self.catalog.registry()

    def model_ref(self) -> str | None:
        return self.current_model or self.registry.default

    def resolve(self, ref: str | None) -> ModelSpec:
        return self.catalog.resolve(ref)

    def set_model(self, ref: str, session_id: str | None = None) -> str:
        """Raises ConfigError for an unknown model and KeyError for an unknown session. A model of a local
        server not probed yet is taken as it is: its first turn looks for it (`resolve_async`)."""
        try:
            self.catalog.resolve(ref)
        except ConfigError:
            if not self.catalog.discoverable(ref):
                raise
        if session_id is not None:
            self.sessions[session_id].model_override = ref
        else:
            self.current_model = ref
        return ref

    # -- persistence -------------------------------------------------------------------------------

    @property
    def sessions(self) -> dict[str, SessionEntry]:
        """Every session: those of this server and, once the workspace is known, the stored ones."""
        self.restore()
        return self._sessions

    def restore(self) -> None:
        """Open the workspace's session store (once, after `initialize`) and bring back its sessions
        and their proposals. A file that does not parse is skipped with a log line."""
        if self.store is not None or not self.ls.documents.ready:
            return
        store = SessionStore(self.workspace_root().resolve())
        self.store = store
        self.ls.proposals.on_change = self._save_proposal
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
                    self.ls.proposals.restore(record)
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
                "model": entry.model_ref or entry.model_override or self.model_ref(),
                "turns": entry.turns,
                "created": entry.created,
                "messages": messages,
                "proposals": list(entry.proposal_ids),
                "traces": entry.traces,
                "streaming": "".join(entry.streaming),
            }
        ):
            entry.updated = now

    def _stream(self, entry: SessionEntry, update: dict[str, Any]) -> None:
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

    def _trace(self, entry: SessionEntry, event: Event) -> bool:
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

    # -- sessions ----------------------------------------------------------------------------------

    def get_or_create(self, session_id: str | None) -> SessionEntry:
        """The named session (KeyError if unknown), or a new one."""
        if session_id is not None:
            return self.sessions[session_id]
        self.restore()
        entry = SessionEntry(uuid.uuid4().hex[:12])
        self._sessions[entry.id] = entry
        return entry

    def workspace_root(self) -> Path:
        return self.ls.documents.root()

    async def _ensure_session(self, entry: SessionEntry) -> Session:
        ref = entry.model_override or self.model_ref()
        if entry.session is None or entry.model_ref != ref:
            spec = await self.catalog.resolve_async(ref)
            provider = await asyncio.to_thread(make_provider, spec)
            options = SessionOptions.from_spec(spec)
            if entry.session is None:
                workspace = Workspace(self.workspace_root(), self.ls.documents)
                asker = make_asker(self.ls, entry.id, lambda: entry.current_call)
                entry.session = Session(
                    provider, workspace, options, ask_permission=asker, session_id=entry.id
                )
                if entry.stored_messages is not None:  # a session restored from the store
                    entry.session.history = messages_from_store(entry.stored_messages, entry.traces)
                    entry.session.title = entry.title
                    entry.stored_messages = None
            else:
                old = entry.session.provider
                entry.session.set_provider(provider, options)
                try:
                    await old.aclose()
                except Exception:
                    log.exception("closing the previous provider failed")
            entry.model_ref = spec.ref
        bash = self.ls.settings.current.bash
        entry.session.options.bash_mode = bash.mode
        entry.session.options.bash_allow = list(bash.allow)
        entry.session.options.bash_timeout = bash.timeout
        entry.session.options.run_tests = self.ls.settings.current.checks.tests
        return entry.session

    def start(self, entry: SessionEntry, request: TurnRequest) -> asyncio.Task[dict[str, Any]]:
        """Start a turn in its own task. Raises SessionBusy when the session already runs one."""
        if entry.busy:
            raise SessionBusy(f"session busy: session {entry.id} is already running a turn")
        if not entry.title:
            entry.title = request.prompt.strip().splitlines()[0][:80] if request.prompt.strip() else ""
        task = asyncio.create_task(self._turn(entry, request))
        entry.task = task
        entry.turns += 1
        entry.pending_prompt = request.prompt
        self.save(entry)
        return task

    def cancel(self, session_id: str) -> bool:
        entry = self.sessions[session_id]
        if entry.busy and entry.task is not None:
            entry.task.cancel()
            return True
        return False

    def cancel_all(self) -> None:
        for entry in self.sessions.values():
            if entry.busy and entry.task is not None:
                entry.task.cancel()

    # -- one turn ----------------------------------------------------------------------------------

    def _notify(self, entry: SessionEntry, update: dict[str, Any], request: TurnRequest) -> None:
        if request.send_updates:
            self.ls.protocol.notify(UPDATE, {"sessionId": entry.id, "update": update})

    def _subscriber(
        self, entry: SessionEntry, request: TurnRequest, progress: Progress
    ) -> tuple[Callable[[Event], None], ChunkBuffer]:
        """The turn's event subscriber (safe to call from worker threads) and its chunk buffer."""
        loop = asyncio.get_running_loop()

        def send_chunk(update: dict[str, Any]) -> None:
            self._notify(entry, update, request)
            self._stream(entry, update)

        chunks = ChunkBuffer(loop, send_chunk)

        def on_event(event: Event) -> None:
            if threading.get_ident() != self.loop_thread:  # emitted from a worker thread
                loop.call_soon_threadsafe(on_event, event)
                return
            if isinstance(event, TextDelta | ThoughtDelta):
                kind = "agent_message_chunk" if isinstance(event, TextDelta) else "agent_thought_chunk"
                chunks.add(kind, event.text)
                return
            chunks.flush()  # keep the order: text streamed so far goes before this update
            update = self._translate(entry, event, progress)
            if update is not None:
                self._notify(entry, update, request)
            if self._trace(entry, event):
                self.save(entry)

        return on_event, chunks

    def _translate(self, entry: SessionEntry, event: Event, progress: Progress) -> dict[str, Any] | None:
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
            record = self.ls.proposals.add(event.proposal, entry.id)
            entry.proposal_ids.append(record.id)
            return {"sessionUpdate": "proposal", "proposal": self.ls.proposals.wire(record)}
        if isinstance(event, UsageUpdate):
            self.last_usage = {
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
            return {"sessionUpdate": "error", "message": with_fix(event.message, self._spec_of(entry))}
        if isinstance(event, MechanismFired):
            return {"sessionUpdate": "mechanism", "mechanism": event.mechanism, "detail": event.detail}
        return None

    async def _turn(self, entry: SessionEntry, request: TurnRequest) -> dict[str, Any]:
        progress = Progress(self.ls, request.progress_token)
        await progress.begin(request.prompt)
        progress.on_cancel(asyncio.current_task())
        first_proposal = len(entry.proposal_ids)
        subscriber, chunks = self._subscriber(entry, request, progress)
        result: TurnResult | None = None
        stop = "error"
        error: str | None = None
        started = entry.call_started = time.monotonic()
        try:
            session = await self._ensure_session(entry)
            entry.pending_prompt = None  # run_turn puts it in the history before its first await
            result = await session.run_turn(request.prompt, request.context, subscriber)
            stop, error = result.stop_reason, result.error
            if error is not None:
                error = with_fix(error, self._spec_of(entry))
        except asyncio.CancelledError:
            chunks.flush()
            progress.end("Cancelled")
            if request.background:  # nobody else shows it: the client only saw the command answered
                self.ls.show_message("Skiff: the request was cancelled", lsp.MessageType.Info)
            self._end_turn(entry, started, "cancelled", None, None)
            raise
        except (ConfigError, ProviderError) as exc:
            chunks.flush()
            error = with_fix(str(exc), self._spec_of(entry))
            self._notify(entry, {"sessionUpdate": "error", "message": error}, request)
        except Exception as exc:
            log.exception("turn failed")
            chunks.flush()
            error = f"internal error: {type(exc).__name__}: {exc}"
            self._notify(entry, {"sessionUpdate": "error", "message": error}, request)
        chunks.flush()
        self._end_turn(entry, started, stop, error, result)
        proposal_ids = entry.proposal_ids[first_proposal:]
        usage = {
            "promptTokens": result.usage.prompt_tokens if result else 0,
            "completionTokens": result.usage.completion_tokens if result else 0,
            "tokensPerSecond": round(result.tokens_per_second, 2) if result else 0.0,
        }
        if result is not None:
            self._notify(
                entry,
                {
                    "sessionUpdate": "usage",
                    **usage,
                    "contextUsed": self.last_usage.get("contextUsed", 0),
                    "contextLimit": self.last_usage.get("contextLimit", 0),
                },
                request,
            )
        try:
            if proposal_ids and self.ls.proposal_mode() == "direct":
                await self.ls.apply_directly(proposal_ids)
            if request.background:
                await self._report_background(result, error, proposal_ids)
        finally:
            progress.end("Failed" if stop == "error" else "Done")
        out = {"sessionId": entry.id, "stopReason": stop, "proposalIds": proposal_ids, "usage": usage}
        if stop == "error" and error is not None:
            out["error"] = error  # what failed and the fix, as the `error` update said it
        return out

    def _spec_of(self, entry: SessionEntry) -> ModelSpec | None:
        try:
            return self.catalog.resolve(entry.model_ref or entry.model_override or self.model_ref())
        except ConfigError:
            return None

    def _end_turn(
        self, entry: SessionEntry, started: float, stop: str, error: str | None, result: TurnResult | None
    ) -> None:
        entry.pending_prompt = None
        entry.traces.append(
            {
                "type": "turn",
                "at": time.time(),
                "stopReason": stop,
                "error": error,
                "modelCalls": result.model_calls if result else 0,
                "promptTokens": result.usage.prompt_tokens if result else 0,
                "completionTokens": result.usage.completion_tokens if result else 0,
                "seconds": round(time.monotonic() - started, 3),
            }
        )
        self.save(entry)

    async def _report_background(
        self, result: TurnResult | None, error: str | None, proposal_ids: list[str]
    ) -> None:
        if error is not None:
            self.ls.show_message(f"Skiff: {error}", lsp.MessageType.Error)
        elif result is not None and not proposal_ids and result.text.strip():
            self.ls.show_message(result.text.strip(), lsp.MessageType.Info)

    # -- views -------------------------------------------------------------------------------------

    def describe(self, entry: SessionEntry) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sessionId": entry.id,
            "title": entry.title,
            "model": entry.model_ref or entry.model_override or self.model_ref(),
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
            record = self.ls.proposals.get(pid)
            if record is not None:
                proposals.append({"id": pid, "status": record.status})
        return {
            "sessionId": entry.id,
            "title": entry.title,
            "model": entry.model_ref or entry.model_override or self.model_ref(),
            "messages": messages,
            "proposals": proposals,
        }

    def status(self) -> dict[str, Any]:
        limit = self.last_usage.get("contextLimit")
        if not limit:
            try:
                limit = self.resolve(self.model_ref()).context_limit
            except ConfigError:
                limit = 0
        used = self.last_usage.get("contextUsed", 0)
        return {
            "version": __version__,
            "model": self.model_ref(),
            "busy": any(e.busy for e in self.sessions.values()),
            "contextUsed": used,
            "contextLimit": limit,
            "contextFill": round(used / limit, 3) if limit else 0.0,
            "tokensPerSecond": self.last_usage.get("tokensPerSecond", 0.0),
            "modelCheck": self.model_check,
        }

    async def check_model(self) -> dict[str, Any]:
        """Try the current model for real (agent/doctor.py) and keep the result for `status()`."""
        ref = self.model_ref()
        try:
            await self.catalog.resolve_async(ref)
        except ConfigError:
            pass  # the report says so, with the fix
        report = await check_model(self.catalog.resolve, ref)
        self.model_check = report.wire()
        return self.model_check

    # -- request context ---------------------------------------------------------------------------

    def build_context(
        self, uri: str | None, rng: Range | None, diagnostics: list[LspDiagnostic]
    ) -> RequestContext:
        """File, selection (from the document store, unsaved text included) and diagnostics in range."""
        ctx = RequestContext()
        if uri is None:
            ctx.diagnostics = [to_agent_diagnostic(d) for d in diagnostics]
            return ctx
        path = uri_to_path(uri)
        if path is not None:
            root = self.workspace_root().resolve()
            ctx.path = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            doc = self.ls.documents.by_path(path)
            ctx.language = doc.language_id if doc is not None and doc.language_id else None
            text = self.ls.documents.text_of(path)
            if rng is not None and text is not None:
                ctx.selection = selection_of(text, rng, self.ls.documents.encoding)
        in_range = [d for d in diagnostics if rng is None or overlaps(d.range, rng)]
        ctx.diagnostics = [to_agent_diagnostic(d) for d in in_range]
        return ctx


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


class Progress:
    """Work-done progress of one turn: the client's token, or a fresh server-created one when supported."""

    def __init__(self, ls: SkiffLanguageServer, token: str | int | None) -> None:
        self.ls = ls
        self.token = token
        self.active = False

    async def begin(self, title: str) -> None:
        if self.token is None:
            if not self.ls.supports_progress():
                return
            token = f"skiff-{uuid.uuid4().hex}"
            try:
                await asyncio.wait_for(
                    self.ls.work_done_progress.create_async(token), PROGRESS_CREATE_TIMEOUT
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # includes a client that never answers
                log.warning("window/workDoneProgress/create failed: %s", exc)
                return
            self.token = token
        self.ls.work_done_progress.begin(
            self.token,
            lsp.WorkDoneProgressBegin(
                title="Skiff",
                message=title.strip().splitlines()[0][:80] if title.strip() else None,
                cancellable=True,
            ),
        )
        self.active = True

    def on_cancel(self, task: asyncio.Task[Any] | None) -> None:
        """Cancel `task` when the client cancels this progress (window/workDoneProgress/cancel)."""
        if not self.active or task is None or self.token is None:
            return
        future = self.ls.work_done_progress.tokens.get(self.token)
        if future is None:
            return
        loop = asyncio.get_running_loop()

        def cancelled(f: Any) -> None:
            if f.cancelled() and not task.done():
                loop.call_soon_threadsafe(task.cancel)

        future.add_done_callback(cancelled)

    def report(self, message: str) -> None:
        if self.active and self.token is not None:
            self.ls.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(message=message[:80]))

    def end(self, message: str) -> None:
        if self.active and self.token is not None:
            self.active = False
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _clip(arguments: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments for a trace, long strings cut to TRACE_TEXT_LIMIT."""
    return {k: v[:TRACE_TEXT_LIMIT] if isinstance(v, str) else v for k, v in arguments.items()}


def tool_title(name: str, arguments: dict[str, Any]) -> str:
    for key in ("path", "command", "pattern", "query"):
        value = arguments.get(key)
        if isinstance(value, str) and value:
            return f"{name}: {value}"[:120]
    return name


def overlaps(a: Range, b: Range) -> bool:
    """Line-granular, inclusive: a diagnostic touching any selected line belongs to the selection."""
    return a.start.line <= b.end.line and a.end.line >= b.start.line


def selection_of(text: str, rng: Range, encoding: Any) -> Selection:
    starts = line_starts(text)
    start = offset_at(text, rng.start.line, rng.start.character, encoding, starts)
    end = offset_at(text, rng.end.line, rng.end.character, encoding, starts)
    end_line = rng.end.line
    if rng.end.character == 0 and rng.end.line > rng.start.line:
        end_line -= 1
    return Selection(
        start_line=rng.start.line,
        end_line=max(rng.start.line, end_line),
        text=text[start : max(start, end)],
        start_character=rng.start.character,
        end_character=rng.end.character,
    )


def to_agent_diagnostic(d: LspDiagnostic) -> Diagnostic:
    return Diagnostic(
        line=d.range.start.line,
        message=d.message,
        severity=SEVERITY.get(d.severity or 1, "error"),
        source=d.source,
        code=str(d.code) if d.code is not None else None,
        end_line=d.range.end.line,
    )
