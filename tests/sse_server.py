"""A loopback HTTP server for provider tests: replays scripted (SSE) replies per path and records requests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted HTTP reply. SSE bodies go out with chunked transfer encoding, one chunk per item,
    as llama.cpp's server sends them."""

    chunks: list[bytes] = field(default_factory=list)
    status: int = 200
    content_type: str = "text/event-stream"
    delay: float = 0.0  # seconds to wait before each chunk after the first
    cut_off: bool = False  # drop the connection without ending the chunked body


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON


ReplySource = Reply | Callable[[RecordedRequest], Reply]


def sse(*events: dict[str, Any] | str, done: bool = True) -> list[bytes]:
    """SSE chunks `data: {json}\\n\\n` for each event, then `data: [DONE]` when `done`."""
    out = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events]
    if done:
        out.append(b"data: [DONE]\n\n")
    return out


def json_reply(obj: Any, status: int = 200) -> Reply:
    return Reply(chunks=[json.dumps(obj).encode()], status=status, content_type="application/json")


def free_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SSEServer:
    """Threaded HTTP/1.1 server on 127.0.0.1 (port 0). Replies queued with `add` are served once, in order;
    `always` sets a reply for every request to a path. Unscripted paths get a llama.cpp-style 404.

    `requests` records every request; `disconnected` is set when a client drops the connection while a
    reply is still being written.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()
        self._queued: dict[str, deque[ReplySource]] = defaultdict(deque)
        self._always: dict[str, ReplySource] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sse-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def add(self, path: str, reply: ReplySource) -> None:
        with self._lock:
            self._queued[path].append(reply)

    def always(self, path: str, reply: ReplySource) -> None:
        with self._lock:
            self._always[path] = reply

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> SSEServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SSEServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reply_for(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._queued.get(request.path)
            source = queue.popleft() if queue else self._always.get(request.path)
        if source is None:
            return json_reply(
                {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}, 404
            )
        return source(request) if callable(source) else source

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                request = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
                reply = server._reply_for(request)
                try:
                    self._write(reply)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    server.disconnected.set()
                    self.close_connection = True

            def _write(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                streaming = reply.content_type.startswith("text/event-stream") or reply.cut_off
                if streaming:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.send_header("Cache-Control", "no-cache")
                else:
                    self.send_header("Content-Length", str(sum(len(c) for c in reply.chunks)))
                self.end_headers()
                self.wfile.flush()
                for i, chunk in enumerate(reply.chunks):
                    if i and reply.delay:
                        time.sleep(reply.delay)
                    if streaming:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    else:
                        self.wfile.write(chunk)
                    self.wfile.flush()
                if reply.cut_off:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if streaming:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()

        return Handler


# --- Streams in the shape llama.cpp's server (tools/server, `--jinja`) sends them ------------------------
# Every chunk carries id/created/model/system_fingerprint/object; the first has the role delta; the finish
# chunk has an empty delta; with stream_options.include_usage the last chunk has `choices: []` and usage,
# plus timings; then `data: [DONE]`.

_ID = "chatcmpl-kR2vXo3u0c5Qe8w1Zl7mYb9TnHs4dAf6"
_FP = "b7083-5d8bb900"


def llama_chunk(
    delta: dict[str, Any] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    model: str = "qwen2.5-coder-1.5b",
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "choices": [] if usage else [{"finish_reason": finish_reason, "index": 0, "delta": delta or {}}],
        "created": 1763760000,
        "id": _ID,
        "model": model,
        "system_fingerprint": _FP,
        "object": "chat.completion.chunk",
    }
    if usage:
        chunk["usage"] = usage
        chunk["timings"] = {
            "cache_n": 0,
            "prompt_n": usage["prompt_tokens"],
            "prompt_ms": 812.4,
            "prompt_per_token_ms": 29.0,
            "prompt_per_second": 34.4,
            "predicted_n": usage["completion_tokens"],
            "predicted_ms": 402.7,
            "predicted_per_token_ms": 67.1,
            "predicted_per_second": 14.9,
        }
    return chunk


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "completion_tokens": completion,
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
    }


ROLE = {"role": "assistant", "content": None}

TEXT_STREAM: list[dict[str, Any]] = [
    llama_chunk(ROLE),
    llama_chunk({"content": "Hello"}),
    llama_chunk({"content": ","}),
    llama_chunk({"content": " world"}),
    llama_chunk({"content": "!"}),
    llama_chunk({}, finish_reason="stop"),
    llama_chunk(usage=_usage(28, 4)),
]

# Qwen3-style thinking: reasoning_content deltas first, then content.
REASONING_STREAM: list[dict[str, Any]] = [
    llama_chunk(ROLE, model="qwen3-8b"),
    llama_chunk({"reasoning_content": "The user"}, model="qwen3-8b"),
    llama_chunk({"reasoning_content": " wants a greeting."}, model="qwen3-8b"),
    llama_chunk({"content": "Hi"}, model="qwen3-8b"),
    llama_chunk({"content": " there"}, model="qwen3-8b"),
    llama_chunk({}, finish_reason="stop", model="qwen3-8b"),
    llama_chunk(usage=_usage(15, 9), model="qwen3-8b"),
]

# Two native tool calls; the first chunk of each call has index, id, type and the name, then the
# arguments arrive in fragments that only parse once joined.
TOOL_CALL_STREAM: list[dict[str, Any]] = [
    llama_chunk(ROLE),
    llama_chunk({"content": "Reading both."}),
    llama_chunk(
        {
            "tool_calls": [
                {"index": 0, "id": "call_Xq1", "type": "function", "function": {"name": "read_file"}}
            ]
        }
    ),
    llama_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"pa'}}]}),
    llama_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'th": "src/ap'}}]}),
    llama_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'p.py"}'}}]}),
    llama_chunk(
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": "call_Zr7",
                    "type": "function",
                    "function": {"name": "grep", "arguments": '{"pattern": '},
                }
            ]
        }
    ),
    llama_chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"def main"}'}}]}),
    llama_chunk({}, finish_reason="tool_calls"),
    llama_chunk(usage=_usage(311, 38)),
]
