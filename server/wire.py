"""The JSON-RPC wire: bounded, self-resynchronising `Content-Length` framing and JSON decoding.

pygls 2.1.1 reads frames with an unbounded `Content-Length` (a header of 99999999999999 is a MemoryError),
never answers a body that is not JSON, and loses its place for good after a frame whose length is wrong.
`FrameReader` replaces its reader: header lines and bodies are bounded, a frame over the limit is skipped
(answered with -32600 when it can be), garbage between frames is skipped up to the next `Content-Length`
header, and a body that is not JSON is answered with -32700 and searched for a frame that its wrong
length swallowed. Every problem costs one log line; nothing here raises on client input.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_HEADER_LINE = 8192  # a longer header line is garbage
READ_CHUNK = 65536
MAX_JSON_DEPTH = 512  # deeper nesting is a parse error, not a RecursionError somewhere later

_HEADER = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,20})[ \t]*\r?\n", re.IGNORECASE)
_HEADER_AT_END = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,20})[ \t]*\r?\n\Z", re.IGNORECASE)
_OTHER_HEADER = re.compile(rb"[A-Za-z0-9-]+[ \t]*:[^\r\n]*\r?\n")
_HEADER_IN_BODY = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER_NAME = b"content-length:"


def max_message_bytes() -> int:
    """The body size limit: `$SKIFF_MAX_MESSAGE_BYTES` when it is a positive integer, else 64 MiB."""
    raw = os.environ.get("SKIFF_MAX_MESSAGE_BYTES", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    if raw:
        log.warning("ignoring SKIFF_MAX_MESSAGE_BYTES=%r (not a positive integer)", raw)
    return DEFAULT_MAX_MESSAGE_BYTES


class ByteSource(Protocol):
    async def read_some(self, n: int) -> bytes:
        """Up to `n` bytes, at least one; b"" at end of stream."""
        ...


class StdinSource:
    """A binary pipe read in a worker thread (stdin blocks)."""

    def __init__(self, stream: BinaryIO, executor: Executor | None) -> None:
        self.stream = stream
        self.executor = executor
        read1 = getattr(stream, "read1", None)
        self._read: Callable[[int], bytes] = read1 if read1 is not None else stream.read

    async def read_some(self, n: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._read, n)


class StreamSource:
    """An asyncio stream (TCP)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    async def read_some(self, n: int) -> bytes:
        try:
            return await self.reader.read(n)
        except (ConnectionError, OSError):
            return b""


@dataclass
class TooLarge:
    """A frame whose declared body is over the limit; its bytes were skipped, not read."""

    length: int


class FrameReader:
    """Frames off a byte stream: `next_frame` returns a body, a TooLarge, or None at end of stream."""

    def __init__(self, source: ByteSource, max_bytes: int | None = None) -> None:
        self.source = source
        self.max_bytes = max_bytes if max_bytes is not None else max_message_bytes()
        self._buf = bytearray()
        self._eof = False
        self._skipped = 0  # garbage bytes skipped since the last good frame
        self._in_large = False  # the last frame was over the limit

    async def _fill(self) -> bool:
        if self._eof:
            return False
        data = await self.source.read_some(READ_CHUNK)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    async def readline(self, limit: int) -> bytes:
        """The next line with its `\\n`, or at most `limit` bytes of a longer one; b"" at end of stream."""
        while True:
            end = self._buf.find(b"\n", 0, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buf) >= limit or not await self._fill():
                return self._take(min(limit, len(self._buf)))

    async def readexactly(self, n: int) -> bytes:
        """`n` bytes, or fewer at end of stream."""
        while len(self._buf) < n and await self._fill():
            pass
        return self._take(min(n, len(self._buf)))

    def unread(self, data: bytes) -> None:
        self._buf[:0] = data

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    async def next_frame(self) -> bytes | TooLarge | None:
        length: int | None = None
        tail = b""  # the end of an over-long line, where a header glued to garbage may start
        while True:
            line = await self.readline(MAX_HEADER_LINE)
            if not line:
                self._report_skipped("at end of stream")
                return None
            if not line.endswith(b"\n"):  # part of an over-long line: garbage, but keep its end
                self._skipped += len(line)
                tail = (tail + line)[-64:]
                length = None
                continue
            if tail:  # the end of an over-long line: only a header glued to its end counts
                glued = _HEADER_AT_END.search(tail + line)
                tail = b""
                self._skipped += len(line) - (len(glued.group(0)) if glued else 0)
                length = int(glued.group(1)) if glued else None
                continue
            if not line.strip():
                if length is None:
                    continue  # blank lines between frames are harmless
                break
            match = _HEADER.fullmatch(line)
            if match is not None:
                length = int(match.group(1))
                continue
            glued = _HEADER_AT_END.search(line)
            if glued is None and _OTHER_HEADER.fullmatch(line):
                continue  # Content-Type and friends
            self._skipped += len(line) - (len(glued.group(0)) if glued else 0)
            length = int(glued.group(1)) if glued else None
        self._report_skipped("before a frame")
        assert length is not None
        if length > self.max_bytes:
            log.warning("skipping a frame of %d bytes (the limit is %d bytes)", length, self.max_bytes)
            self._in_large = True  # its body, if it comes, is skipped as garbage without another line
            return TooLarge(length)
        self._in_large = False
        return await self.readexactly(length)

    def _report_skipped(self, where: str) -> None:
        if self._skipped > 0 and self._in_large:
            log.debug("skipped %d bytes of an over-long frame", self._skipped)
        elif self._skipped > 0:
            log.warning("skipped %d bytes of malformed framing %s", self._skipped, where)
        self._skipped = 0

    def resync(self, body: bytes) -> None:
        """After a body that is not JSON: a frame header inside it (its declared length was too long and
        it swallowed the start of the next frame) goes back on the stream, even a header cut short."""
        found = _HEADER_IN_BODY.search(body, 1)
        if found is not None:
            self.unread(body[found.start() :])
            return
        end = body[-len(_HEADER_NAME) :].lower()
        for k in range(min(len(end), len(_HEADER_NAME) - 1), 0, -1):
            if end.endswith(_HEADER_NAME[:k]):
                self.unread(body[-k:])
                return


class ParseError(ValueError):
    """A body that is not one JSON value."""


def decode(body: bytes) -> Any:
    """The JSON value of a frame body; ParseError for anything else (bad UTF-8, bad JSON, too deep)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise ParseError("the body nests too deep") from None
    except ValueError as exc:
        raise ParseError(str(exc)[:200]) from None
    if _too_deep(value):
        raise ParseError(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def _too_deep(value: Any) -> bool:
    """Whether containers nest deeper than MAX_JSON_DEPTH (handlers walk params recursively)."""
    level: list[Any] = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


PARSE_ERROR = -32700
INVALID_REQUEST = -32600

MsgId = int | str


def valid_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def envelope_problem(data: Any) -> str | None:
    """Why `data` is not a JSON-RPC 2.0 request, notification or response; None when it is one."""
    if isinstance(data, list):
        return "batches are not supported by the Language Server Protocol"
    if not isinstance(data, dict):
        return "a message must be a JSON object"
    if data.get("jsonrpc") != "2.0":
        return "'jsonrpc' must be \"2.0\""
    if "method" in data:
        if not isinstance(data["method"], str) or not data["method"]:
            return "'method' must be a non-empty string"
        if "id" in data and not valid_id(data["id"]):
            return "'id' must be an integer or a string"
        if "params" in data and not isinstance(data["params"], dict | list):
            return "'params' must be an object or an array"
        return None
    if "result" in data or "error" in data:
        if not (valid_id(data.get("id")) or data.get("id", 0) is None):
            return "a response needs an integer or string 'id'"
        error = data.get("error")
        if "error" in data and not (
            isinstance(error, dict)
            and isinstance(error.get("code"), int)
            and not isinstance(error.get("code"), bool)
            and isinstance(error.get("message"), str)
        ):
            return "'error' must be an object with an integer 'code' and a string 'message'"
        return None
    return "a message needs a 'method' (a request or notification) or a 'result' or 'error' (a response)"


def answer_id(data: Any) -> tuple[bool, MsgId | None]:
    """Whether an invalid message gets an answer, and with which id: requests with a usable id get one
    with it, things that are no message at all get one with id null, responses never get one."""
    if not isinstance(data, dict):
        return True, None
    if "method" not in data and ("result" in data or "error" in data):
        return False, None
    msg_id = data.get("id")
    return True, msg_id if "method" in data and valid_id(msg_id) else None


class Receiver(Protocol):
    def receive(self, data: Any) -> None:
        """Dispatch one decoded message."""
        ...

    def send_error(self, msg_id: MsgId | None, code: int, message: str) -> None: ...


async def serve_frames(frames: FrameReader, receiver: Receiver, stopped: Callable[[], bool]) -> None:
    """Read frames until end of stream (or `stopped()`), answering what cannot be decoded."""
    while not stopped():
        frame = await frames.next_frame()
        if frame is None:
            return
        if isinstance(frame, TooLarge):
            limit = frames.max_bytes
            receiver.send_error(
                None, INVALID_REQUEST, f"Invalid request: a message of {frame.length} bytes (limit {limit})"
            )
            continue
        try:
            data = decode(frame)
        except ParseError as exc:
            log.warning("answering -32700 to a frame of %d bytes: %s", len(frame), exc)
            receiver.send_error(None, PARSE_ERROR, f"Parse error: {exc}")
            frames.resync(frame)
            continue
        receiver.receive(data)
