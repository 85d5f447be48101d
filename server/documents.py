"""The agent's buffer source over pygls' workspace: open documents by path, URI <-> path, positions.

pygls keeps the open documents (didOpen, incremental didChange in the negotiated position encoding,
didClose). `Buffers` only indexes them by path for the agent's `DocumentSource` protocol (`get(path)`,
`open_paths()`), so the agent's read/grep/glob tools see unsaved buffers of open documents and the disk
for everything else. `offset_at` / `position_at` convert LSP positions of texts that are not open
documents (a proposal's base text, a selection) with pygls' position codec; lines are split here by the
LSP's rule (`\\n`, `\\r\\n`, `\\r`), since Python's `splitlines`, which pygls uses, also splits at form
feeds and U+2028.
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.workspace import PositionCodec, TextDocument, Workspace

from skiff.agent.workspace import buffer_or_disk

Encoding = Literal["utf-8", "utf-16", "utf-32"]
ENCODINGS: dict[str, Encoding] = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


def uri_to_path(uri: str) -> Path | None:
    """The absolute, resolved file system path of a `file:` URI; None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    raw = unquote(parsed.path)
    if parsed.netloc and parsed.netloc != "localhost":  # UNC path
        raw = f"//{parsed.netloc}{raw}"
    return Path(raw).resolve()


def path_to_uri(path: Path) -> str:
    return path.resolve().as_uri()


@functools.cache
def _codec(encoding: Encoding) -> PositionCodec:
    return PositionCodec(lsp.PositionEncodingKind(encoding))


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts; lines end with \\n, \\r\\n or \\r (the LSP definition)."""
    starts = [0]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            starts.append(i + 1)
        elif c == "\r":
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
            starts.append(i + 1)
        i += 1
    return starts


def _line_content_end(text: str, starts: list[int], line: int) -> int:
    """Offset of the end of `line`'s content (before its line ending)."""
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    while end > starts[line] and text[end - 1] in "\r\n":
        end -= 1
    return end


def offset_at(
    text: str, line: int, character: int, encoding: Encoding = "utf-16", starts: list[int] | None = None
) -> int:
    """Code-point offset of an LSP position. A line past the end maps to the end of the text; a character
    past the end of its line maps to the end of the line (as the LSP specification asks)."""
    starts = starts if starts is not None else line_starts(text)
    if line >= len(starts):
        return len(text)
    start = starts[line]
    end = _line_content_end(text, starts, line)
    content = text[start:end]
    if encoding == "utf-32" or content.isascii():
        return min(start + character, end)
    codec = _codec(encoding)
    if character >= codec.client_num_units(content):
        return end
    return start + codec.position_from_client_units([content], lsp.Position(0, character)).character


def position_at(
    text: str, offset: int, encoding: Encoding = "utf-16", starts: list[int] | None = None
) -> tuple[int, int]:
    """The LSP position (line, character in `encoding` units) of a code-point offset."""
    starts = starts if starts is not None else line_starts(text)
    offset = max(0, min(offset, len(text)))
    line = bisect.bisect_right(starts, offset) - 1
    segment = text[starts[line] : offset]
    if encoding == "utf-32" or segment.isascii():
        return line, len(segment)
    return line, _codec(encoding).client_num_units(segment)


class Buffers:
    """The open documents of pygls' workspace by path (the agent's DocumentSource); readable from worker
    threads. `opened` / `closed` keep the index (the document sync feature calls them after pygls)."""

    def __init__(self, workspace: Callable[[], Workspace | None]) -> None:
        self.workspace_of = workspace  # pygls' workspace; None before `initialize`
        self._by_path: dict[Path, str] = {}
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the workspace is known (after `initialize`)."""
        return self.workspace_of() is not None

    @property
    def encoding(self) -> Encoding:
        """The negotiated position encoding (utf-16 until `initialize`)."""
        ws = self.workspace_of()
        kind = ws.position_encoding if ws is not None else None
        return ENCODINGS.get(str(getattr(kind, "value", kind)), "utf-16")

    def root(self) -> Path:
        """The workspace root: rootUri/rootPath, else the first folder, else the current directory."""
        ws = self.workspace_of()
        if ws is not None:
            if ws.root_path:
                return Path(ws.root_path)
            for folder in ws.folders.values():
                path = uri_to_path(folder.uri)
                if path is not None:
                    return path
        return Path.cwd()

    def opened(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is not None:
            with self._lock:
                self._by_path[path] = uri

    def closed(self, uri: str) -> None:
        path = uri_to_path(uri)
        with self._lock:
            if path is not None and self._by_path.get(path) == uri:
                del self._by_path[path]

    def by_uri(self, uri: str) -> TextDocument | None:
        ws = self.workspace_of()
        return ws.text_documents.get(unquote(uri)) if ws is not None else None  # pygls' key

    def by_path(self, path: Path) -> TextDocument | None:
        uri = self._by_path.get(path)
        return self.by_uri(uri) if uri is not None else None

    # DocumentSource protocol (skiff.agent.workspace)
    def get(self, path: Path) -> str | None:
        doc = self.by_path(path)
        return doc.source if doc is not None else None

    def open_paths(self) -> list[Path]:
        with self._lock:
            return list(self._by_path)

    def text_of(self, path: Path) -> str | None:
        """The buffer text if open, else the file on disk, None if neither exists."""
        return buffer_or_disk(self, path)

    def uri_for(self, path: Path) -> str:
        """The URI the editor uses for `path` when it is open (its spelling wins), else a file URI."""
        doc = self.by_path(path)
        return doc.uri if doc is not None else path_to_uri(path)
