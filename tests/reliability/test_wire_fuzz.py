"""A seeded, bounded fuzzer over the real server's JSON-RPC wire: malformed framing, bodies that are not
JSON-RPC, and real methods with random params. After every burst a valid request must still be answered;
the process must never die and stderr must never show a traceback."""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

from stdio_client import StdioServer, frame

SEED = int(os.environ.get("SKIFF_FUZZ_SEED", "20261129"))
ROUNDS = int(os.environ.get("SKIFF_FUZZ_ROUNDS", "400"))  # 1 to 3 hostile messages and one probe each
PROBE_TIMEOUT = 20.0  # a liveness bound (a hang), not a speed check

METHODS = [
    "initialize",
    "initialized",
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "textDocument/didSave",
    "textDocument/codeAction",
    "codeAction/resolve",
    "textDocument/hover",
    "textDocument/completion",
    "workspace/executeCommand",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWorkspaceFolders",
    "$/cancelRequest",
    "$/setTrace",
    "$/progress",
    "window/workDoneProgress/cancel",
    "skiff/chat",
    "skiff/cancel",
    "skiff/proposal",
    "skiff/resolveProposal",
    "skiff/undoProposal",
    "skiff/sessions",
    "skiff/session",
    "skiff/models",
    "skiff/setModel",
    "skiff/status",
    "skiff/debugStats",
    "no/such/method",
    "$/unknownNotification",
]
COMMANDS = ["skiff.ask", "skiff.resolveProposal", "skiff.undoProposal", "skiff.cancel", "skiff.showProposal"]


class Fuzzer:
    def __init__(self, rng: random.Random, uri: str) -> None:
        self.rng = rng
        self.uri = uri
        self.next_id = 0

    def fresh_id(self) -> int | str:
        self.next_id += 1
        return self.next_id if self.rng.random() < 0.5 else f"f{self.next_id}"

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        kind = r.randrange(10 if depth < 3 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return r.choice([True, False])
        if kind == 2:
            return r.choice([0, -1, 1, 2**31, -(2**63), 10**30, 3, 7])
        if kind == 3:
            return r.choice([0.5, -1e308, 1e-9])
        if kind in (4, 5):
            strings = ["", "x", "a" * 300, "\u0000", "é\u2028😀", self.uri, "file:///etc/passwd", "../.."]
            return r.choice(strings)
        if kind in (6, 7):
            key = r.choice(["uri", "id", "text", "range", "sessionId", "prompt", "k"])
            return {key: self.value(depth + 1)}
        if kind == 8:
            return [self.value(depth + 1) for _ in range(r.randrange(4))]
        return self.plausible_params()

    def plausible_params(self) -> dict[str, Any]:
        """Params close to valid ones, then mutated: deep enough to reach the handlers' own checks."""
        r = self.rng
        pos = {"line": r.choice([0, 1, 5, -1, 10**9]), "character": r.choice([0, 3, -2, 10**9])}
        base: dict[str, Any] = r.choice(
            [
                {"textDocument": {"uri": self.uri, "languageId": "python", "version": 1, "text": "x = 1\n"}},
                {
                    "textDocument": {"uri": self.uri, "version": r.randrange(9)},
                    "contentChanges": [
                        {"range": {"start": pos, "end": pos}, "text": "y"},
                        {"text": "whole\n"},
                    ],
                },
                {
                    "textDocument": {"uri": self.uri},
                    "range": {"start": pos, "end": pos},
                    "context": {"diagnostics": []},
                },
                {"command": r.choice(COMMANDS), "arguments": [self.value(2)]},
                {"settings": {"skiff": {"model": r.choice(["test/hello", "x/y", 5]), "bash": self.value(2)}}},
                {"prompt": r.choice(["hi", "", 5]), "sessionId": r.choice([None, "s1", 7])},
                {"sessionId": r.choice(["s1", "", None, 3])},
                {"id": r.choice(["p1", 1, None]), "accept": r.choice(["all", "none", ["h1"], 3])},
                {"model": r.choice(["test/hello", "", "x/y"])},
                {"reset": r.choice([True, "yes"])},
                {"id": r.choice([1, "x", None])},
                {"value": r.choice(["off", "verbose", 3])},
            ]
        )
        if r.random() < 0.5:
            key = r.choice(list(base))
            base[key] = self.value(2)
        return base

    def message(self) -> dict[str, Any] | list[Any] | Any:
        r = self.rng
        method = r.choice(METHODS)
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if r.random() < 0.7:
            msg["id"] = self.fresh_id()
        roll = r.random()
        if roll < 0.6:
            msg["params"] = self.plausible_params()
        elif roll < 0.8:
            msg["params"] = self.value()
        # else: no params at all
        mutation = r.randrange(14)
        if mutation == 0:
            msg["jsonrpc"] = r.choice(["1.0", 2, None])
        elif mutation == 1:
            msg["method"] = r.choice([5, None, "", ["x"]])
        elif mutation == 2:
            msg["id"] = r.choice([1.5, True, None, {"a": 1}, [1]])
        elif mutation == 3:
            return [msg, msg]
        elif mutation == 4:
            return r.choice([None, 1, "str", [], True])
        elif mutation == 5:  # a response to nothing, or a malformed one
            return {
                "jsonrpc": "2.0",
                "id": r.choice([999999, "nope", None]),
                r.choice(["result", "error"]): self.value(),
            }
        elif mutation == 6:
            del msg["jsonrpc"]
        return msg

    def garbage(self) -> bytes:
        """One hostile write: framing errors half the time, a framed hostile message otherwise."""
        r = self.rng
        if r.random() < 0.5:
            return frame(json.dumps(self.message()).encode())
        body = json.dumps(self.message()).encode()
        kind = r.randrange(16)
        if kind == 0:
            return b"Content-Length: 99999999999999\r\n\r\n"
        if kind == 1:
            return b"Content-Length: %d\r\n\r\n" % (64 * 1024 * 1024 + 1)
        if kind == 2:
            return b"Content-Length: -5\r\n\r\n" + body
        if kind == 3:
            return b"Content-Length: abc\r\n\r\n" + body
        if kind == 4:
            return b"Content-Length: %d\r\n" % len(body) + body  # no blank line
        if kind == 5:
            return b"Content-Length: %d\r\n\r\n" % max(0, len(body) - r.randrange(1, 20)) + body  # too short
        if kind == 6:
            return b"Content-Length: %d\r\n\r\n" % (len(body) + r.randrange(1, 40)) + body  # too long
        if kind == 7:
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 200)))
        if kind == 8:
            return b"x" * r.choice([9000, 70000])  # an over-long header line
        if kind == 9:
            return frame(b"")
        if kind == 10:
            return frame(b"\xff\xfe" + body)  # not UTF-8
        if kind == 11:
            return frame(b"[" * 100000 + b"]" * 100000)  # nesting
        if kind == 12:
            return frame(body[: len(body) // 2])  # truncated JSON
        if kind == 13:
            return b"\r\n\r\n" + b"content-length:%d\r\ncontent-type: x\r\n\r\n" % len(body) + body
        if kind == 14:
            return frame(b"NaN") + frame(b'{"jsonrpc": "2.0", "id": 1e400, "method": "x"}')
        return frame(b"1" * 5000)  # a number past int's digit limit


def test_fuzzed_wire_never_kills_hangs_or_tracebacks(server: StdioServer, workspace) -> None:
    rng = random.Random(SEED)
    fuzz = Fuzzer(rng, (workspace / "stats.py").as_uri())
    sent = probes = hangs = 0
    started = time.monotonic()
    for n in range(ROUNDS):
        for _ in range(rng.randrange(1, 4)):
            server.send(fuzz.garbage())
            sent += 1
        probe = f"probe-{n}"
        answer = server.request(probe, "skiff/status", timeout=PROBE_TIMEOUT)
        probes += 1
        if answer is None or "result" not in answer:
            hangs += 1
            died = server.proc.poll() is not None
            assert not died, f"the server died after round {n}:\n{server.stderr_text[-3000:]}"
            raise AssertionError(f"probe {probe} got {answer!r}; stderr:\n{server.stderr_text[-3000:]}")
    elapsed = time.monotonic() - started
    # Then a clean end: shutdown is answered, a request after it gets -32600, exit ends with 0.
    assert server.request("bye", "shutdown") == {"jsonrpc": "2.0", "id": "bye", "result": None}
    late = server.request("late", "skiff/status")
    assert late is not None and late["error"]["code"] == -32600
    server.notify("exit")
    assert server.close() == 0
    stderr = server.stderr_text
    print(
        f"\nfuzz seed {SEED}: {sent} hostile writes + {probes} probes = {sent + probes} messages in "
        f"{elapsed:.1f} s; deaths 0, hangs {hangs}; {len(server.null_id_errors)} id-null error answers; "
        f"{len(stderr.splitlines())} stderr lines"
    )
    assert "Traceback" not in stderr, stderr[-5000:]
