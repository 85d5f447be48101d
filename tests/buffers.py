"""Editor buffers for unit tests: a pygls workspace, filled as the server's document sync fills it, behind
Skiff's `Buffers` (server/documents.py)."""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.workspace import Workspace

from skiff.server.documents import Buffers, Encoding


def make_buffers(encoding: Encoding = "utf-16") -> Buffers:
    workspace = Workspace(None, position_encoding=lsp.PositionEncodingKind(encoding))
    return Buffers(lambda: workspace)


def _workspace(buffers: Buffers) -> Workspace:
    workspace = buffers.workspace_of()
    assert workspace is not None
    return workspace


def open_doc(buffers: Buffers, uri: str, text: str, version: int, language_id: str = "python") -> None:
    """didOpen: pygls stores the document, the server indexes it by path."""
    item = lsp.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
    _workspace(buffers).put_text_document(item)
    buffers.opened(uri)


def change_doc(
    buffers: Buffers,
    uri: str,
    version: int,
    text: str,
    start: tuple[int, int] | None = None,
    end: tuple[int, int] | None = None,
) -> None:
    """didChange with one change: the range start..end (positions in the negotiated encoding) replaced
    by `text`, or the whole document when no range is given."""
    change: lsp.TextDocumentContentChangeEvent
    if start is None or end is None:
        change = lsp.TextDocumentContentChangeWholeDocument(text=text)
    else:
        rng = lsp.Range(lsp.Position(*start), lsp.Position(*end))
        change = lsp.TextDocumentContentChangePartial(range=rng, text=text)
    ident = lsp.VersionedTextDocumentIdentifier(uri=uri, version=version)
    _workspace(buffers).update_text_document(ident, change)


def close_doc(buffers: Buffers, uri: str) -> None:
    _workspace(buffers).remove_text_document(uri)
    buffers.closed(uri)
