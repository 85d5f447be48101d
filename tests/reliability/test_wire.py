"""The wire's answers to malformed input, on the real server over stdio, and FrameReader's resync rules."""

from __future__ import annotations

import asyncio
import json

import pytest
from stdio_client import StdioServer, frame

from skiff.server.wire import FrameReader, ParseError, TooLarge, decode, envelope_problem


class Bytes:
    def __init__(self, data: bytes, chunk: int = 7) -> None:
        self.data = data
        self.chunk = chunk

    async def read_some(self, n: int) -> bytes:
        out, self.data = self.data[: min(n, self.chunk)], self.data[min(n, self.chunk) :]
        return out


def frames_of(data: bytes, max_bytes: int = 1000) -> list[object]:
    async def run() -> list[object]:
        reader = FrameReader(Bytes(data), max_bytes)
        out: list[object] = []
        while (got := await reader.next_frame()) is not None:
            if isinstance(got, bytes):
                try:
                    out.append(decode(got))
                except ParseError:
                    out.append("parse-error")
                    reader.resync(got)
            else:
                out.append(got)
        return out

    return asyncio.run(run())


GOOD = {"jsonrpc": "2.0", "id": 1, "method": "m"}


@pytest.mark.parametrize(
    "prefix",
    [
        b"garbage without a newline",
        b"Content-Length: abc\r\n\r\ntrue",
        b"Content-Length: -5\r\n\r\n{}",
        b"x" * 20000,
        b"\r\n\r\n\r\n",
        b"Content-Type: text/plain\r\n\r\n",
    ],
)
def test_garbage_before_a_frame_is_skipped(prefix: bytes) -> None:
    assert frames_of(prefix + frame(GOOD))[-1] == GOOD


def test_a_frame_over_the_limit_is_skipped_not_read() -> None:
    got = frames_of(b"Content-Length: 99999999999999\r\n\r\n" + b"{}" * 10 + frame(GOOD))
    assert got == [TooLarge(99999999999999), GOOD]


@pytest.mark.parametrize("extra", [1, 5, 14, 15, 16, 30])
def test_a_length_too_long_swallows_part_of_the_next_frame_which_is_recovered(extra: int) -> None:
    body = json.dumps({"jsonrpc": "2.0", "method": "n"}).encode()
    data = b"Content-Length: %d\r\n\r\n" % (len(body) + extra) + body + frame(GOOD)
    assert frames_of(data) == ["parse-error", GOOD]


def test_a_length_too_short_and_a_missing_blank_line_are_recovered() -> None:
    body = json.dumps({"jsonrpc": "2.0", "method": "n"}).encode()
    short = b"Content-Length: %d\r\n\r\n" % (len(body) - 4) + body
    no_blank = b"Content-Length: %d\r\n" % len(body) + body
    assert frames_of(short + frame(GOOD)) == ["parse-error", GOOD]
    assert frames_of(no_blank + frame(GOOD)) == [GOOD]


def test_headers_are_case_insensitive_and_content_type_is_ignored() -> None:
    body = json.dumps(GOOD).encode()
    data = b"content-type: application/json\r\ncontent-length:%d\r\n\r\n" % len(body) + body
    assert frames_of(data) == [GOOD]


def test_decode_refuses_deep_nesting_bad_utf8_and_huge_numbers() -> None:
    for body in (b"[" * 600 + b"]" * 600, b"\xff{}", b"1" * 5000, b"", b"[" * 100000):
        with pytest.raises(ParseError):
            decode(body)


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ([GOOD], "batches"),
        (5, "JSON object"),
        ({"id": 1, "method": "m"}, "jsonrpc"),
        ({"jsonrpc": "2.0", "id": 1.5, "method": "m"}, "'id'"),
        ({"jsonrpc": "2.0", "id": 1, "method": 7}, "'method'"),
        ({"jsonrpc": "2.0", "id": 1, "method": "m", "params": "x"}, "'params'"),
        ({"jsonrpc": "2.0", "id": 1}, "a 'method'"),
        ({"jsonrpc": "2.0", "id": 1, "error": {"code": "x", "message": "m"}}, "'error'"),
    ],
)
def test_envelope_problems_are_named(message: object, problem: str) -> None:
    found = envelope_problem(message)
    assert found is not None and problem in found
    assert envelope_problem(GOOD) is None
    assert envelope_problem({"jsonrpc": "2.0", "id": None, "result": None}) is None


def test_the_server_answers_malformed_messages_and_keeps_serving(server: StdioServer) -> None:
    server.send(b"Content-Length: 99999999999999\r\n\r\n")
    server.send(frame(b"{not json"))
    server.send(frame([GOOD]))
    assert server.request(1, "skiff/status") is not None  # still serving after the three
    codes = [m["error"]["code"] for m in server.null_id_errors]
    assert codes == [-32600, -32700, -32600]
    invalid = server.request(2, "skiff/status", params="not params")  # type: ignore[arg-type]
    assert invalid is not None and invalid["error"]["code"] == -32600
    assert "Traceback" not in server.stderr_text


def test_requests_without_params_are_accepted_where_the_method_allows(server: StdioServer) -> None:
    for n, method in enumerate(["skiff/sessions", "skiff/status", "skiff/models", "skiff/debugStats"]):
        answer = server.request(n, method)
        assert answer is not None and "result" in answer, (method, answer)
    needs_params = server.request("ca", "textDocument/codeAction")
    assert needs_params is not None and needs_params["error"]["code"] == -32602


def test_requests_after_shutdown_get_invalid_request(server: StdioServer) -> None:
    assert server.request("s", "shutdown") == {"jsonrpc": "2.0", "id": "s", "result": None}
    late = server.request("late", "skiff/sessions")
    assert late is not None and late["error"]["code"] == -32600
    server.notify("exit")
    assert server.close() == 0
