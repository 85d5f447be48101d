"""SkiffLanguageServer: the pygls server, its handler registrations and `serve()` (stdio or TCP)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.workspace import Workspace

from skiff import __version__
from skiff.agent.config import ConfigError
from skiff.agent.proposal import ProposalConflict
from skiff.agent.redact import install_log_redaction
from skiff.server import params as p
from skiff.server import pygls_compat
from skiff.server.chat import ChatService, TurnRequest
from skiff.server.code_actions import (
    ASK,
    CANCEL,
    PRESETS,
    RESOLVE,
    SHOW,
    UNDO,
    ActionSupport,
    build_actions,
    resolve_action,
)
from skiff.server.documents import Buffers, uri_to_path
from skiff.server.proposals import EditCapabilities, EditUnsupported, ProposalStore, Record, ResolveError
from skiff.server.review import (
    PRESET_TIMEOUT,
    REPLY_GAP,
    announcement,
    can_ask,
    diff_message,
    effective_mode,
    supports_show_document,
    write_diff,
)
from skiff.server.settings import InvalidSettings, SettingsManager
from skiff.server.stats import HandlerStats

log = logging.getLogger(__name__)


class SkiffLanguageServer(LanguageServer):
    def __init__(self, model: str | None = None) -> None:
        super().__init__("skiff", __version__, protocol_cls=pygls_compat.SkiffProtocol)
        self.startup_errors: list[str] = []
        self.documents = Buffers(self.workspace_or_none)
        self.settings = SettingsManager()
        self.proposals = ProposalStore(self.documents)
        self.stats = HandlerStats()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.background: set[asyncio.Task[None]] = set()
        self.chat = ChatService(self)
        self.cli_model = model
        self.told_presets = False  # said once that the presets are code actions (the client cannot ask)
        self.cannot_ask = False  # the client failed to answer a showMessageRequest
        if model:
            self._set_model(model, "--model")

    # -- helpers -----------------------------------------------------------------------------------

    def workspace_or_none(self) -> Workspace | None:
        """pygls' workspace, None before `initialize`."""
        try:
            return self.workspace
        except RuntimeError:
            return None

    def show_message(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def supports_progress(self) -> bool:
        caps = self.client_capabilities
        return bool(caps and caps.window and caps.window.work_done_progress)

    def supports_configuration(self) -> bool:
        caps = self.client_capabilities
        return bool(caps and caps.workspace and caps.workspace.configuration)

    def edit_caps(self) -> EditCapabilities:
        return EditCapabilities.of(self.client_capabilities)

    def proposal_mode(self) -> str:
        """`review` or `direct` for this client (see review.effective_mode)."""
        current = self.settings.current
        return effective_mode(current.proposals.mode, current.skiff_ui, self.client_capabilities)

    def plain_review(self) -> bool:
        """Proposals wait and are reviewed through diff files and code actions (no Skiff UI)."""
        return not self.settings.current.skiff_ui and self.proposal_mode() == "review"

    def can_ask(self) -> bool:
        return not self.cannot_ask and can_ask(self.client_capabilities)

    def _set_model(self, ref: str, key: str) -> bool:
        try:
            self.chat.set_model(ref)
            return True
        except ConfigError as exc:
            where = key if key.startswith("--") else f"invalid configuration: key '{key}'"
            self.startup_errors.append(f"Skiff: {where}: {exc}")
            return False

    def apply_settings(self, raw: Any, source: str) -> None:
        """Validate and apply a configuration object; report errors and keep the last good one."""
        before = self.settings.current.model
        try:
            if source == "initializationOptions":
                current = self.settings.set_initial(raw)
            else:
                current = self.settings.set_workspace(raw)
        except InvalidSettings as exc:
            self.startup_errors.append(f"Skiff: invalid configuration: {exc}")
            return
        if current.model and current.model != before:
            self._set_model(current.model, "model")

    def flush_errors(self) -> None:
        while self.startup_errors:
            self.show_message(self.startup_errors.pop(0), lsp.MessageType.Error)

    async def pull_configuration(self) -> None:
        if not self.supports_configuration():
            return
        try:
            values = await self.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="skiff")])
            )
        except Exception as exc:
            log.warning("workspace/configuration failed: %s", exc)
            return
        raw = p.to_plain(values[0]) if values else None
        if raw is not None:
            self.apply_settings(raw, "workspace/configuration")
        self.flush_errors()

    async def apply_edit(self, edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        result = await self.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label=label))
        if result is None:
            return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="no answer")
        return result

    def record(self, proposal_id: str) -> Record:
        record = self.proposals.get(proposal_id)
        if record is None:
            raise JsonRpcInvalidParams(f"invalid params: key 'id': unknown proposal '{proposal_id}'")
        return record

    async def resolve_proposal(self, params: p.ResolveParams) -> dict[str, Any]:
        record = self.record(params.id)
        try:
            result = await self.proposals.resolve(record, params.accept, self.edit_caps(), self.apply_edit)
        except ValueError as exc:  # unknown hunk ids (ProposalConflict is not a ValueError)
            raise JsonRpcInvalidParams(f"invalid params: key 'accept': {exc}") from None
        except (ProposalConflict, EditUnsupported, ResolveError) as exc:
            raise p.RequestFailed(f"cannot apply proposal {record.id}: {exc}") from None
        except JsonRpcException as exc:  # the client answered applyEdit with an error (Eglot's "no")
            if self.settings.current.skiff_ui:
                raise
            result = {"status": "pending", "message": f"the editor did not apply the edit: {exc.message}"}
        if result["status"] == "pending" and result.get("message") and not self.settings.current.skiff_ui:
            return await self._declined(record, str(result["message"]))
        return result

    async def _declined(self, record: Record, reason: str) -> dict[str, Any]:
        """A plain client declined the edit: the proposal is rejected (it leaves the code actions)."""
        result = await self.proposals.resolve(record, "none", self.edit_caps(), self.apply_edit)
        self.show_message(f"Skiff: proposal {record.id} rejected: {reason}", lsp.MessageType.Info)
        return {**result, "message": reason}

    async def show_proposal(self, params: p.IdParams) -> dict[str, Any]:
        """`skiff.showProposal`: write the diff file and open it (showDocument) or show it in a message."""
        record = self.record(params.id)
        path = write_diff(record)
        shown = False
        if supports_show_document(self.client_capabilities):
            try:
                result = await self.window_show_document_async(
                    lsp.ShowDocumentParams(uri=path.as_uri(), take_focus=True)
                )
                shown = bool(result and result.success)
            except Exception as exc:
                log.warning("window/showDocument failed: %s", exc)
        if not shown:
            self.show_message(diff_message(record, path))
        return {"id": record.id, "uri": path.as_uri(), "path": str(path), "shown": shown}

    def announce(self, proposal_ids: list[str]) -> None:
        """Plain review: write each waiting proposal's diff and say where it is and how to resolve it."""
        for pid in proposal_ids:
            record = self.proposals.get(pid)
            if record is not None and record.status == "pending":
                self.show_message(announcement(record, write_diff(record)))

    async def undo_proposal(self, params: p.IdParams) -> dict[str, Any]:
        record = self.record(params.id)
        try:
            return await self.proposals.undo(record, self.edit_caps(), self.apply_edit)
        except (ProposalConflict, EditUnsupported, ResolveError) as exc:
            raise p.RequestFailed(f"cannot undo proposal {record.id}: {exc}") from None

    async def apply_directly(self, proposal_ids: list[str]) -> None:
        """Direct mode: send every hunk to the editor at once (it asks for confirmation per annotation)."""
        for pid in proposal_ids:
            try:
                result = await self.resolve_proposal(p.ResolveParams(id=pid, accept="all"))
            except JsonRpcException as exc:
                self.show_message(f"Skiff: {exc.message}", lsp.MessageType.Error)
                continue
            self.report_resolution(pid, result, quiet=True)

    def report_resolution(self, pid: str, result: dict[str, Any], quiet: bool = False) -> None:
        """Tell a plain client what resolving did (a decline was already reported by _declined)."""
        status = str(result.get("status", ""))
        if status in ("pending", "conflict") and result.get("message"):
            self.show_message(f"Skiff: proposal {pid}: {result['message']}", lsp.MessageType.Warning)
        elif not quiet and not result.get("message"):
            self.show_message(f"Skiff: proposal {pid} {status.replace('_', ' ')}")

    def session_entry(self, session_id: str | None, key: str = "sessionId") -> Any:
        try:
            return self.chat.get_or_create(session_id)
        except KeyError:
            raise JsonRpcInvalidParams(
                f"invalid params: key '{key}': unknown session '{session_id}'"
            ) from None

    def ask(self, args: p.AskArgs) -> dict[str, Any]:
        """`skiff.ask`: start a background turn and answer with its session id at once. A synchronous
        handler, so the answer is sent before the turn task runs (and before any question it asks)."""
        entry = self.chat.get_or_create(None)

        async def run() -> None:
            await asyncio.sleep(REPLY_GAP)  # the answer goes out on its own (review.REPLY_GAP)
            prompt = args.prompt
            if prompt is None and args.preset is None:
                preset = await self._pick_preset()
                if preset is None:
                    return
                args.preset = preset
            if args.preset is not None and args.preset not in PRESETS:
                self.show_message(f"Skiff: unknown preset '{args.preset}'", lsp.MessageType.Error)
                return
            if prompt is None:
                prompt = PRESETS[args.preset or "fix"].prompt
            context = self.chat.build_context(args.uri, args.range, args.diagnostics)
            request = TurnRequest(prompt, context, None, self.settings.current.skiff_ui, background=True)
            if not self.supports_progress() and not self.settings.current.skiff_ui:
                self.show_message(f'Skiff: working on "{entry.title}" (the result comes as a message)')
            try:
                result = await self.chat.start(entry, request)
            except asyncio.CancelledError:
                return
            except JsonRpcException as exc:
                self.show_message(f"Skiff: {exc.message}", lsp.MessageType.Error)
                return
            if self.plain_review():
                self.announce(result.get("proposalIds", []))

        entry.title = args.prompt or (PRESETS[args.preset].title if args.preset in PRESETS else "Ask agent")
        task = asyncio.create_task(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return {"sessionId": entry.id}

    async def _pick_preset(self) -> str | None:
        """Ask for a preset where the client can answer, with a timeout; else point to the preset actions."""
        titles = {preset.title: name for name, preset in PRESETS.items()}
        if not self.can_ask():
            self._tell_presets()
            return None
        try:
            item = await asyncio.wait_for(
                self.window_show_message_request_async(
                    lsp.ShowMessageRequestParams(
                        type=lsp.MessageType.Info,
                        message="Skiff: what should the agent do with the selection?",
                        actions=[lsp.MessageActionItem(title=t) for t in titles],
                    )
                ),
                PRESET_TIMEOUT,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an error answer, or no answer in time
            log.warning("window/showMessageRequest failed: %s", exc or type(exc).__name__)
            self._tell_presets(cannot_ask=True)
            return None
        if item is None:
            self.show_message("Skiff: nothing chosen, nothing runs")
            return None
        return titles.get(getattr(item, "title", ""))

    def _tell_presets(self, cannot_ask: bool = False) -> None:
        """Say once that this client gets the presets as separate code actions."""
        if cannot_ask:
            self.cannot_ask = True
        if self.told_presets:
            return
        self.told_presets = True
        names = ", ".join(p.title for p in PRESETS.values())
        self.show_message(
            "Skiff: this editor cannot offer a choice here, so the presets are separate code actions: "
            f"{names} (or define your own `actions`)"
        )


def build_server(model: str | None = None) -> SkiffLanguageServer:
    server = SkiffLanguageServer(model)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: SkiffLanguageServer, params: lsp.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.chat.loop_thread = threading.get_ident()
        ls.apply_settings(p.to_plain(params.initialization_options), "initializationOptions")

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: SkiffLanguageServer, params: lsp.InitializedParams) -> None:
        ls.flush_errors()
        await ls.pull_configuration()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: SkiffLanguageServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        settings = p.to_plain(params.settings)
        if isinstance(settings, dict) and "skiff" in settings:
            ls.apply_settings(settings["skiff"], "didChangeConfiguration")
            ls.flush_errors()
        else:
            await ls.pull_configuration()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SkiffLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.documents.opened(params.text_document.uri)  # pygls' workspace holds it (and syncs changes)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SkiffLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.documents.closed(params.text_document.uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                lsp.CodeActionKind.RefactorRewrite,
                lsp.CodeActionKind.Source,
            ],
            resolve_provider=True,
        ),
    )
    def code_action(ls: SkiffLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        with ls.stats.timed(lsp.TEXT_DOCUMENT_CODE_ACTION):
            support = ActionSupport.of(ls.client_capabilities)
            if ls.plain_review():  # every waiting proposal, wherever the cursor is (new files included)
                support.review = True
                pending = [r.id for r in ls.proposals.records.values() if r.status == "pending"]
            else:
                path = uri_to_path(params.text_document.uri)
                pending = [r.id for r in ls.proposals.pending_for(path)] if path is not None else []
            support.presets_anywhere = not ls.can_ask()
            return build_actions(params, support, ls.settings.current.actions, pending)

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: SkiffLanguageServer, params: lsp.CodeAction) -> lsp.CodeAction:
        with ls.stats.timed(lsp.CODE_ACTION_RESOLVE):
            return resolve_action(params)

    @server.command(ASK)
    def cmd_ask(ls: SkiffLanguageServer, *args: Any) -> dict[str, Any]:
        return ls.ask(p.parse(p.AskArgs, args[0] if args else None))

    @server.command(SHOW)
    async def cmd_show(ls: SkiffLanguageServer, *args: Any) -> dict[str, Any]:
        return await ls.show_proposal(p.parse(p.IdParams, args[0] if args else None))

    @server.command(RESOLVE)
    async def cmd_resolve(ls: SkiffLanguageServer, *args: Any) -> dict[str, Any]:
        params = p.parse(p.ResolveArgs, args[0] if args else None)
        result = await ls.resolve_proposal(params)
        if not ls.settings.current.skiff_ui:  # a plain client shows nothing of the result otherwise
            ls.report_resolution(params.id, result)
        return result

    @server.command(UNDO)
    async def cmd_undo(ls: SkiffLanguageServer, *args: Any) -> dict[str, Any]:
        return await ls.undo_proposal(p.parse(p.IdParams, args[0] if args else None))

    @server.command(CANCEL)
    def cmd_cancel(ls: SkiffLanguageServer, *args: Any) -> dict[str, Any]:
        params = p.parse(p.CancelArgs, args[0] if args else None)
        ls.session_entry(params.session_id)
        return {"cancelled": ls.chat.cancel(params.session_id)}

    @server.feature("skiff/chat")
    async def chat(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        args = p.parse(p.ChatParams, params)
        entry = ls.session_entry(args.session_id)
        ctx = args.context
        context = ls.chat.build_context(ctx.uri, ctx.range, ctx.diagnostics) if ctx is not None else None
        request = TurnRequest(args.prompt, context, args.work_done_token, send_updates=True)
        return await ls.chat.start(entry, request)

    @server.feature("skiff/cancel")
    def cancel(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        args = p.parse(p.SessionParams, params)
        ls.session_entry(args.session_id)
        return {"cancelled": ls.chat.cancel(args.session_id)}

    @server.feature("skiff/proposal")
    def proposal(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        args = p.parse(p.IdParams, params)
        return ls.proposals.wire(ls.record(args.id), full=True)

    @server.feature("skiff/resolveProposal")
    async def resolve_proposal(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        return await ls.resolve_proposal(p.parse(p.ResolveParams, params))

    @server.feature("skiff/undoProposal")
    async def undo_proposal(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        return await ls.undo_proposal(p.parse(p.IdParams, params))

    @server.feature("skiff/sessions")
    def sessions(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        return {"sessions": [ls.chat.describe(e) for e in ls.chat.sessions.values()]}

    @server.feature("skiff/session")
    def session(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        args = p.parse(p.SessionParams, params)
        return ls.chat.history(ls.session_entry(args.session_id))

    @server.feature("skiff/models")
    async def models(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        await ls.chat.catalog.discover()  # local servers' models (0.3 s at most, cached a few seconds)
        return {"current": ls.chat.model_ref(), "models": ls.chat.catalog.rows()}

    @server.feature("skiff/setModel")
    async def set_model(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        args = p.parse(p.SetModelParams, params)
        if args.session_id is not None:
            ls.session_entry(args.session_id)
        try:
            await ls.chat.catalog.resolve_async(args.model)  # a local server's model: probed first
            return {"model": ls.chat.set_model(args.model, args.session_id)}
        except ConfigError as exc:
            raise JsonRpcInvalidParams(f"invalid params: key 'model': {exc}") from None

    @server.feature("skiff/status")
    async def status(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        if p.parse(p.StatusParams, params).check_model:
            await ls.chat.check_model()
        return ls.chat.status()

    @server.feature("skiff/debugStats")
    def debug_stats(ls: SkiffLanguageServer, params: Any) -> dict[str, Any]:
        args = p.parse(p.DebugStatsParams, params)
        out = {"handlers": ls.stats.summary()}
        if args.reset:
            ls.stats.reset()
        return out

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: SkiffLanguageServer, params: Any) -> None:
        ls.chat.cancel_all()
        for task in list(ls.background):
            task.cancel()

    return server


class _ExpectedErrors(logging.Filter):
    """pygls logs every error answer with a traceback; params and state errors are the client's, not ours."""

    CODES = {-32602, -32002, -32803, -32800}

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, JsonRpcException) and exc.code in self.CODES)


def serve(tcp: str | None = None, model: str | None = None) -> int:
    """Run the language server on stdio, or on TCP when `tcp` is HOST:PORT. Logs go to stderr."""
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("SKIFF_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedErrors())
    install_log_redaction()  # pygls logs whole messages at INFO: no secret in them reaches the log
    pygls_compat.check_pygls()
    server = build_server(model)
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not host or not port.isdigit():
            print(f"skiff: --tcp expects HOST:PORT, got '{tcp}'", file=sys.stderr)
            return 2
        pygls_compat.run_tcp(server, host, int(port))
    else:
        pygls_compat.run_stdio(server)
    return 0
