"""The editor's open documents: incremental sync, versions, URI <-> path and position-encoding conversion.

The store implements the agent's DocumentSource protocol (`get(path)`, `open_paths()`), so the agent's
read/grep/glob tools see unsaved buffers of open documents and the disk for everything else. Positions are
LSP positions in the negotiated encoding (`utf-16` unless the client offered another); Python strings are
indexed by code point, so every position goes through `offset_at` / `position_at`.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from skiff.agent.workspace import buffer_or_disk

Encoding = Literal["utf-8", "utf-16", "utf-32"]


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


def _units(char: str, encoding: Encoding) -> int:
    if encoding == "utf-32":
        return 1
    code = ord(char)
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    return 3 if code < 0x10000 else 4


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
    if encoding == "utf-32" or text.isascii():
        return min(start + character, end)
    units = 0
    i = start
    while i < end and units < character:
        units += _units(text[i], encoding)
        i += 1
    return i


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
    return line, sum(_units(c, encoding) for c in segment)


@dataclass
class Document:
    uri: str
    path: Path | None
    text: str
    version: int | None
    language_id: str = ""
    _starts: list[int] | None = field(default=None, repr=False)

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = line_starts(self.text)
        return self._starts

    def offset(self, line: int, character: int, encoding: Encoding) -> int:
        return offset_at(self.text, line, character, encoding, self.starts)

    def position(self, offset: int, encoding: Encoding) -> tuple[int, int]:
        return position_at(self.text, offset, encoding, self.starts)

    def replace(self, start: int, end: int, new_text: str) -> None:
        self.text = self.text[:start] + new_text + self.text[end:]
        self._starts = None


Change = tuple[tuple[tuple[int, int], tuple[int, int]] | None, str]
"""One content change: ((start line, char), (end line, char)) or None for a full replacement, and text."""


class DocumentStore:
    """Open documents by URI, also looked up by path. Safe to read from worker threads."""

    def __init__(self, encoding: Encoding = "utf-16") -> None:
        self.encoding: Encoding = encoding
        self._docs: dict[str, Document] = {}
        self._by_path: dict[Path, str] = {}
        self._lock = threading.Lock()

    def open(self, uri: str, text: str, version: int | None, language_id: str = "") -> Document:
        doc = Document(uri, uri_to_path(uri), text, version, language_id)
        with self._lock:
            self._docs[uri] = doc
            if doc.path is not None:
                self._by_path[doc.path] = uri
        return doc

    def change(self, uri: str, version: int | None, changes: list[Change]) -> Document:
        """Apply incremental (or full) changes in order. Raises KeyError for a document that is not open."""
        with self._lock:
            doc = self._docs[uri]
            for rng, text in changes:
                if rng is None:
                    doc.replace(0, len(doc.text), text)
                    continue
                (sl, sc), (el, ec) = rng
                start = doc.offset(sl, sc, self.encoding)
                end = doc.offset(el, ec, self.encoding)
                doc.replace(start, max(start, end), text)
            doc.version = version
        return doc

    def close(self, uri: str) -> None:
        with self._lock:
            doc = self._docs.pop(uri, None)
            if doc is not None and doc.path is not None:
                self._by_path.pop(doc.path, None)

    def by_uri(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def by_path(self, path: Path) -> Document | None:
        uri = self._by_path.get(path)
        return self._docs.get(uri) if uri is not None else None

    # DocumentSource protocol (skiff.agent.workspace)
    def get(self, path: Path) -> str | None:
        doc = self.by_path(path)
        return doc.text if doc is not None else None

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
