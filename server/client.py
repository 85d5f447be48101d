"""The narrow view of the editor that features get: notify, request, show a message, progress, edits.

Features never hold the server object: they get this facade and the stores they need. Errors found before
`initialize` (an invalid `--model`, a models file that does not parse) wait in `errors` until the client
can show them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.progress import Progress as ProgressTracker

log = logging.getLogger(__name__)

PROGRESS_CREATE_TIMEOUT = 10.0  # seconds to wait for window/workDoneProgress/create before going without


class Client:
    """The editor on the other end of the connection."""

    def __init__(self, server: LanguageServer) -> None:
        self._ls = server
        self.ready = False  # `initialize` arrived: messages can be shown
        self.errors: list[str] = []  # to show once the client is initialized (see flush_errors)

    @property
    def capabilities(self) -> lsp.ClientCapabilities | None:
        return self._ls.client_capabilities

    def supports_progress(self) -> bool:
        caps = self.capabilities
        return bool(caps and caps.window and caps.window.work_done_progress)

    def supports_configuration(self) -> bool:
        caps = self.capabilities
        return bool(caps and caps.workspace and caps.workspace.configuration)

    # -- messages ----------------------------------------------------------------------------------

    def notify(self, method: str, params: Any) -> None:
        self._ls.protocol.notify(method, params)

    async def request(self, method: str, params: Any) -> Any:
        """A server -> client request that is cancelled on the client when the awaiting task is cancelled."""
        msg_id = f"skiff-{uuid.uuid4().hex[:12]}"
        try:
            return await self._ls.protocol.send_request_async(method, params, msg_id=msg_id)
        except asyncio.CancelledError:
            self.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=msg_id))
            raise

    def show_message(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self._ls.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    async def show_message_request(self, params: lsp.ShowMessageRequestParams) -> Any:
        return await self._ls.window_show_message_request_async(params)

    def error(self, message: str) -> None:
        """Show an error now, or once the client is initialized."""
        if self.ready:
            self.show_message(message, lsp.MessageType.Error)
        else:
            self.errors.append(message)

    def flush_errors(self) -> None:
        while self.errors:
            self.show_message(self.errors.pop(0), lsp.MessageType.Error)

    # -- workspace ---------------------------------------------------------------------------------

    async def configuration(self, section: str) -> Sequence[Any] | None:
        params = lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=section)])
        result: Sequence[Any] | None = await self._ls.workspace_configuration_async(params)
        return result

    async def apply_edit(self, edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        result = await self._ls.workspace_apply_edit_async(
            lsp.ApplyWorkspaceEditParams(edit=edit, label=label)
        )
        if result is None:
            return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="no answer")
        return result

    async def show_document(self, uri: str) -> bool:
        result = await self._ls.window_show_document_async(lsp.ShowDocumentParams(uri=uri, take_focus=True))
        return bool(result and result.success)

    def progress(self, token: str | int | None) -> Progress:
        """Work-done progress with the client's token, or a fresh one created when the client supports it."""
        return Progress(self._ls.work_done_progress, token, self.supports_progress())


class Progress:
    """Work-done progress of one turn: the client's token, or a fresh server-created one when supported."""

    def __init__(self, tracker: ProgressTracker, token: str | int | None, supported: bool) -> None:
        self.tracker = tracker
        self.token = token
        self.supported = supported
        self.active = False

    async def begin(self, title: str) -> None:
        if self.token is None:
            if not self.supported:
                return
            token = f"skiff-{uuid.uuid4().hex}"  # pygls never forgets a token: always a fresh one
            try:
                await asyncio.wait_for(self.tracker.create_async(token), PROGRESS_CREATE_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # includes a client that never answers
                log.warning("window/workDoneProgress/create failed: %s", exc)
                return
            self.token = token
        self.tracker.begin(
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
        future = self.tracker.tokens.get(self.token)
        if future is None:
            return
        loop = asyncio.get_running_loop()

        def cancelled(f: Any) -> None:
            if f.cancelled() and not task.done():
                loop.call_soon_threadsafe(task.cancel)

        future.add_done_callback(cancelled)

    def report(self, message: str) -> None:
        if self.active and self.token is not None:
            self.tracker.report(self.token, lsp.WorkDoneProgressReport(message=message[:80]))

    def end(self, message: str) -> None:
        if self.active and self.token is not None:
            self.active = False
            self.tracker.end(self.token, lsp.WorkDoneProgressEnd(message=message))
            self.tracker.tokens.pop(self.token, None)
