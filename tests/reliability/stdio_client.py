"""A raw JSON-RPC client for the real server over stdio (it sends any bytes, malformed framing included,
collects every frame the server writes, answers the server's own requests with null and keeps stderr),
and the models.json of the reliability suite."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

TEST_PROFILE = {"mechanisms": [], "turnCap": 4, "retries": 0, "toolCallFormat": "native"}


def models_file(folder: Path, extra_providers: dict[str, Any] | None = None) -> Path:
    data = {
        "default": "test/hello",
        "profiles": {"test": TEST_PROFILE},
        "providers": {
            "test": {
                "api": "scripted",
                "models": [{"id": "hello", "replies": ["Hello."] * 50, "profile": "test"}],
            },
            **(extra_providers or {}),
        },
    }
    path = folder / "models.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def frame(body: bytes | dict[str, Any] | list[Any]) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n" % len(raw) + raw


class StdioServer:
    """`python -m skiff.server` in a child process. `messages` receives every decoded frame it writes."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skiff.server"],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.responses: dict[Any, dict[str, Any]] = {}
        self.null_id_errors: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.stderr = bytearray()
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        with self._write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def request(self, msg_id: int | str, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(frame(message))
        return self.wait_for(msg_id, timeout)

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(frame(message))

    def wait_for(self, msg_id: int | str, timeout: float) -> dict[str, Any] | None:
        """The response to `msg_id`, or None when none came within `timeout` seconds (or the server died)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and msg_id not in self.responses):
                    return None
                self._cond.wait(min(left, 0.2))
            return self.responses[msg_id]

    def close(self, timeout: float = 20.0) -> int:
        """Close stdin and wait for the exit code (killing the process if it does not exit)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def _read_stdout(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif line in (b"\r\n", b"\n") and length is not None:
                    break
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # a request from the server: answer null
                self.send(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            with self._cond:
                if "method" not in message:
                    if message.get("id") is None:
                        self.null_id_errors.append(message)
                    else:
                        self.responses[message["id"]] = message
                elif "id" not in message:
                    self.notifications.append(message)
                self._cond.notify_all()
            self.messages.put(message)

    def _read_stderr(self) -> None:
        err = self.proc.stderr
        assert err is not None
        while chunk := err.read1(65536):  # type: ignore[attr-defined]
            self.stderr += chunk
