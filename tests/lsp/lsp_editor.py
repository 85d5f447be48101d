"""The test editor: a pytest-lsp client that mirrors open documents (with pygls' own TextDocument, an
implementation independent of the server's), applies workspace edits like an editor, answers the server's
requests (applyEdit, skiff/requestPermission, showMessageRequest) and records skiff/update."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Union

from lsprotocol import types as lsp
from pygls.workspace.position_codec import PositionCodec
from pygls.workspace.text_document import TextDocument
from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client


class Editor:
    """Open documents and scripted answers of the test client."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.root = Path(".")
        self.encoding = "utf-16"
        self.docs: dict[str, TextDocument] = {}
        self.log: list[tuple[str, Any]] = []  # ("update", params) | ("response", id) in arrival order
        self.apply_answer: bool | str = True  # "error": answer applyEdit with an error, as Eglot's "no"
        self.applied: list[lsp.ApplyWorkspaceEditParams] = []
        self.permission_answer: dict[str, Any] = {
            "outcome": {"outcome": "selected", "optionId": "allow_once"}
        }
        self.permission_requests: list[dict[str, Any]] = []
        self.permission_gate: asyncio.Event | None = None  # set: answer permission requests only then
        self.message_answer: str | None = None
        self.message_requests: list[lsp.ShowMessageRequestParams] = []
        self._ids = itertools.count(1)
        self.init_result: lsp.InitializeResult | None = None

    async def reset(self) -> None:
        """Close every open document and restore the default answers (between tests)."""
        for uri in list(self.docs):
            self.client.text_document_did_close(
                lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
            )
        self.docs.clear()
        self.log.clear()
        self.applied.clear()
        self.client.shown_documents.clear()
        self.apply_answer = True
        self.permission_answer = {"outcome": {"outcome": "selected", "optionId": "allow_once"}}
        self.permission_requests.clear()
        self.permission_gate = None
        self.message_answer = None
        self.message_requests.clear()

    # -- documents -------------------------------------------------------------------------------

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str | None = None, version: int = 1) -> str:
        uri = self.uri(name)
        text = (self.root / name).read_text() if text is None else text
        self.docs[uri] = TextDocument(
            uri, text, version, "python", position_codec=PositionCodec(self.encoding)
        )
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )
        return uri

    def find(self, uri: str, needle: str) -> tuple[int, int]:
        """The position of `needle` in the buffer, in the negotiated encoding's units."""
        for line_no, line in enumerate(self.docs[uri].lines):
            col = line.find(needle)
            if col >= 0:
                return line_no, self.docs[uri].position_codec.client_num_units(line[:col])
        raise AssertionError(f"{needle!r} is not in {uri}")

    def text(self, uri: str) -> str:
        return self.docs[uri].source

    def version(self, uri: str) -> int:
        return int(self.docs[uri].version or 0)

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """Type into the buffer: apply locally and send an incremental didChange."""
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(*start), lsp.Position(*end)), text=text
        )
        doc = self.docs[uri]
        doc.apply_change(change)
        doc.version = self.version(uri) + 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                content_changes=[change],
            )
        )

    def apply_workspace_edit(self, edit: lsp.WorkspaceEdit) -> lsp.ApplyWorkspaceEditResult:
        for change in edit.document_changes or []:
            if isinstance(change, lsp.TextDocumentEdit):
                uri = change.text_document.uri
                if uri in self.docs and change.text_document.version not in (None, self.version(uri)):
                    return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
        for change in edit.document_changes or []:
            if isinstance(change, lsp.CreateFile):
                path = Path(lsp_path(change.uri))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
            elif isinstance(change, lsp.DeleteFile):
                Path(lsp_path(change.uri)).unlink(missing_ok=True)
            elif isinstance(change, lsp.TextDocumentEdit):
                self._apply_text_edits(change.text_document.uri, list(change.edits))
        for uri, edits in (edit.changes or {}).items():
            self._apply_text_edits(uri, list(edits))
        return lsp.ApplyWorkspaceEditResult(applied=True)

    def _apply_text_edits(self, uri: str, edits: list[Any]) -> None:
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        if uri in self.docs:
            for e in ordered:  # bottom-up: each range stays valid
                self.edit(
                    uri,
                    (e.range.start.line, e.range.start.character),
                    (e.range.end.line, e.range.end.character),
                    e.new_text,
                )
            return
        path = Path(lsp_path(uri))
        doc = TextDocument(
            uri, path.read_text() if path.exists() else "", 0, position_codec=PositionCodec(self.encoding)
        )
        for e in ordered:
            doc.apply_change(lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text))
        path.write_text(doc.source)

    # -- requests --------------------------------------------------------------------------------

    async def request(self, method: str, params: Any, msg_id: str | None = None) -> Any:
        """Send a request; record its response in the log after the notifications that preceded it."""
        msg_id = msg_id or f"t{next(self._ids)}-{uuid.uuid4().hex[:6]}"
        try:
            return await self.client.protocol.send_request_async(method, params, msg_id=msg_id)
        finally:
            self.log.append(("response", msg_id))

    async def raw_request(self, method: str, params: Any) -> Any:
        """Send params exactly as given (bypassing lsprotocol's types), e.g. malformed ones."""
        msg_id = f"raw{next(self._ids)}"
        future: Future[Any] = Future()
        self.client.protocol._request_futures[msg_id] = future
        self.client.protocol._result_types[msg_id] = None
        self.client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await asyncio.wrap_future(future)

    def start(self, method: str, params: Any, msg_id: str | None = None) -> asyncio.Task[Any]:
        return asyncio.create_task(self.request(method, params, msg_id))

    def updates(self, session_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        out = []
        for what, params in self.log:
            if what != "update":
                continue
            if session_id is not None and params["sessionId"] != session_id:
                continue
            if kind is not None and params["update"]["sessionUpdate"] != kind:
                continue
            out.append(params["update"])
        return out

    async def wait_for(self, predicate: Any, what: str, timeout: float = 20.0) -> None:
        """Poll until predicate() is true (a deadline, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            await asyncio.sleep(0.01)


def ed(client: LanguageClient) -> Editor:
    return client.editor  # type: ignore[attr-defined]


async def chat(client: LanguageClient, prompt: str, **params: Any) -> dict[str, Any]:
    """One skiff/chat request; returns the result as a dict."""
    return plain(await ed(client).request("skiff/chat", {"prompt": prompt, **params}))


async def set_model(client: LanguageClient, model: str, session_id: str | None = None) -> None:
    params = {"model": model} if session_id is None else {"model": model, "sessionId": session_id}
    await ed(client).request("skiff/setModel", params)


def lsp_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)


def plain(value: Any) -> Any:
    """Namedtuples (pygls' view of custom JSON) as dicts, recursively."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def make_client() -> LanguageClient:
    client = make_test_lsp_client()
    editor = Editor(client)
    client.editor = editor  # type: ignore[attr-defined]

    converter = client.protocol._converter

    def command_or_action(obj: Any, _: Any) -> Any:
        # lsprotocol's union hook would turn a CodeAction carrying a command into a bare Command.
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, lsp.Command)
        return converter.structure(obj, lsp.CodeAction)

    converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], command_or_action)  # noqa: UP007

    @client.feature("skiff/update")
    def on_update(params: Any) -> None:
        editor.log.append(("update", plain(params)))

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def on_apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        editor.applied.append(params)
        if editor.apply_answer == "error":
            raise RuntimeError("User cancelled server edit")
        if not editor.apply_answer:
            return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="the user declined")
        return editor.apply_workspace_edit(params.edit)

    @client.feature("skiff/requestPermission")
    async def on_permission(params: Any) -> dict[str, Any]:
        editor.permission_requests.append(plain(params))
        if editor.permission_gate is not None:
            await editor.permission_gate.wait()
        return editor.permission_answer

    @client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def on_message_request(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
        editor.message_requests.append(params)
        editor.log.append(("message_request", params.message))
        return lsp.MessageActionItem(title=editor.message_answer) if editor.message_answer else None

    return client
