"""Running turns: one asyncio task per turn, the session's provider, progress, updates, cancellation.

Each turn runs in its own task so `$/cancelRequest`, `window/workDoneProgress/cancel` and `skiff/cancel`
all stop it the same way (the request then fails with -32800). Model calls and tools are async (blocking
work happens in the providers' and tools' worker threads, provider construction in `asyncio.to_thread`),
so the event loop keeps answering code actions while a turn streams.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp

from skiff.agent.config import ConfigError
from skiff.agent.context import RequestContext
from skiff.agent.doctor import with_fix
from skiff.agent.events import Event, TextDelta, ThoughtDelta
from skiff.agent.loop import Session, SessionOptions, TurnResult
from skiff.agent.providers.base import ProviderError
from skiff.agent.providers.factory import make_provider
from skiff.agent.session_store import messages_from_store
from skiff.agent.workspace import Workspace
from skiff.server.client import Client, Progress
from skiff.server.documents import Buffers
from skiff.server.features.asking import Asking
from skiff.server.features.chat.sessions import SessionEntry, Sessions
from skiff.server.features.chat.updates import UPDATE, ChunkBuffer, Translator
from skiff.server.features.models import Models
from skiff.server.features.proposals import ProposalRequests
from skiff.server.params import SessionBusy
from skiff.server.settings import SettingsManager

log = logging.getLogger(__name__)


@dataclass
class TurnRequest:
    prompt: str
    context: RequestContext | None = None
    progress_token: str | int | None = None  # a client-created token; None: create one if supported
    send_updates: bool = True
    background: bool = False  # started by a command: show text answers and errors with showMessage


class Turns:
    """Starts, runs and cancels the turns of every session."""

    def __init__(
        self,
        client: Client,
        documents: Buffers,
        settings: SettingsManager,
        models: Models,
        sessions: Sessions,
        proposals: ProposalRequests,
        asking: Asking,
    ) -> None:
        self.client = client
        self.documents = documents
        self.settings = settings
        self.models = models
        self.sessions = sessions
        self.proposals = proposals
        self.asking = asking
        self.translator = Translator(proposals.store, models, sessions)

    async def _ensure_session(self, entry: SessionEntry) -> Session:
        """The entry's agent session, with a provider for the model it should run now."""
        ref = entry.model_override or self.models.model_ref()
        if entry.session is None or entry.model_ref != ref:
            spec = await self.models.catalog.resolve_async(ref)
            provider = await asyncio.to_thread(make_provider, spec)
            options = SessionOptions.from_spec(spec)
            if entry.session is None:
                workspace = Workspace(self.documents.root(), self.documents)
                asker = self.asking.permission_asker(entry.id, lambda: entry.current_call)
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
        bash = self.settings.current.bash
        entry.session.options.bash_mode = bash.mode
        entry.session.options.bash_allow = list(bash.allow)
        entry.session.options.bash_timeout = bash.timeout
        entry.session.options.run_tests = self.settings.current.checks.tests
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
        self.sessions.save(entry)
        return task

    # -- one turn ----------------------------------------------------------------------------------

    def _notify(self, entry: SessionEntry, update: dict[str, Any], request: TurnRequest) -> None:
        if request.send_updates:
            self.client.notify(UPDATE, {"sessionId": entry.id, "update": update})

    def _subscriber(
        self, entry: SessionEntry, request: TurnRequest, progress: Progress
    ) -> tuple[Callable[[Event], None], ChunkBuffer]:
        """The turn's event subscriber (safe to call from worker threads) and its chunk buffer."""
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()

        def send_chunk(update: dict[str, Any]) -> None:
            self._notify(entry, update, request)
            self.sessions.stream(entry, update)

        chunks = ChunkBuffer(loop, send_chunk)

        def on_event(event: Event) -> None:
            if threading.get_ident() != loop_thread:  # emitted from a worker thread
                loop.call_soon_threadsafe(on_event, event)
                return
            if isinstance(event, TextDelta | ThoughtDelta):
                kind = "agent_message_chunk" if isinstance(event, TextDelta) else "agent_thought_chunk"
                chunks.add(kind, event.text)
                return
            chunks.flush()  # keep the order: text streamed so far goes before this update
            update = self.translator.translate(entry, event, progress)
            if update is not None:
                self._notify(entry, update, request)
            if self.sessions.trace(entry, event):
                self.sessions.save(entry)

        return on_event, chunks

    def _fix(self, entry: SessionEntry, error: str) -> str:
        return with_fix(error, self.models.spec_of(self.sessions.model_of(entry)))

    async def _turn(self, entry: SessionEntry, request: TurnRequest) -> dict[str, Any]:
        progress = self.client.progress(request.progress_token)
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
                error = self._fix(entry, error)
        except asyncio.CancelledError:
            chunks.flush()
            progress.end("Cancelled")
            if request.background:  # nobody else shows it: the client only saw the command answered
                self.client.show_message("Skiff: the request was cancelled", lsp.MessageType.Info)
            self._end_turn(entry, started, "cancelled", None, None)
            raise
        except (ConfigError, ProviderError) as exc:
            chunks.flush()
            error = self._fix(entry, str(exc))
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
            last = self.models.last_usage
            closing = {
                "sessionUpdate": "usage",
                **usage,
                "contextUsed": last.get("contextUsed", 0),
                "contextLimit": last.get("contextLimit", 0),
            }
            self._notify(entry, closing, request)
        try:
            if proposal_ids and self.proposals.mode() == "direct":
                await self.proposals.apply_directly(proposal_ids)
            if request.background:
                self._report_background(result, error, proposal_ids)
        finally:
            progress.end("Failed" if stop == "error" else "Done")
        out = {"sessionId": entry.id, "stopReason": stop, "proposalIds": proposal_ids, "usage": usage}
        if stop == "error" and error is not None:
            out["error"] = error  # what failed and the fix, as the `error` update said it
        return out

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
        self.sessions.save(entry)

    def _report_background(
        self, result: TurnResult | None, error: str | None, proposal_ids: list[str]
    ) -> None:
        if error is not None:
            self.client.show_message(f"Skiff: {error}", lsp.MessageType.Error)
        elif result is not None and not proposal_ids and result.text.strip():
            self.client.show_message(result.text.strip(), lsp.MessageType.Info)
