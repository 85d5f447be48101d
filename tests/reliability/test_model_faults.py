"""Model faults injected by a loopback model server, driven through `skiff/chat` on the real server over
stdio and through `skiff run`: every fault ends its turn with an error that says what happened, and the
server keeps serving the next request."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sse_server import ROLE, RecordedRequest, Reply, SSEServer, free_port, json_reply, llama_chunk, sse
from stdio_client import StdioServer, models_file

FIRST_BYTE_SECONDS = 3.0  # the provider's `timeout` in this suite
IDLE_SECONDS = 1.0  # its `idleTimeout`


def _hang(request: RecordedRequest) -> Reply:
    time.sleep(FIRST_BYTE_SECONDS * 4)  # accept, read the request, answer nothing
    return Reply(sse(llama_chunk({"content": "too late"})))


def _huge() -> Reply:
    piece = "All work and no play. " * 3000  # 66 kB of content per event
    events = [llama_chunk({"content": piece}) for _ in range(40)]  # 2.6 MB: over the 2 MB cap
    return Reply(sse(llama_chunk(ROLE), *events, llama_chunk({}, finish_reason="stop")))


def _many_calls() -> Reply:
    calls = [
        {"index": i, "id": f"c{i}", "type": "function", "function": {"name": "read", "arguments": "{}"}}
        for i in range(100)
    ]
    return Reply(sse(llama_chunk(ROLE), llama_chunk({"tool_calls": calls}), llama_chunk({}, "tool_calls")))


# fault name -> (the reply, or None for a port nobody listens on; words the error must contain)
FAULTS: dict[str, tuple[Reply | Any, str]] = {
    "refused": (None, "cannot reach the model server"),
    "http500": (
        json_reply({"error": {"message": "llama_decode failed"}}, 500),
        "HTTP 500: llama_decode failed",
    ),
    "http429": (json_reply({"error": {"message": "too many requests"}}, 429), "HTTP 429: too many requests"),
    "garbage_sse": (Reply([b"<html>bad gateway</html>\n\n"]), "not an SSE stream"),
    "bad_json_event": (Reply([b"data: {not json\n\n"]), "not JSON"),
    "cut_stream": (
        Reply(sse(llama_chunk(ROLE), llama_chunk({"content": "Hel"}), done=False), cut_off=True),
        "cut",
    ),
    "silent_mid_stream": (
        Reply(sse(llama_chunk(ROLE), llama_chunk({"content": "a"}), llama_chunk({"content": "b"})), delay=8),
        f"nothing for {IDLE_SECONDS:g} s",
    ),
    "hang_before_headers": (_hang, "timed out"),
    "huge_reply": (_huge(), "more than 2,000,000 characters"),
    "too_many_tool_calls": (_many_calls(), "more than 64 tool calls"),
}


@pytest.fixture(scope="module")
def fault_server() -> Iterator[SSEServer]:
    with SSEServer() as server:
        for name, (reply, _) in FAULTS.items():
            if reply is not None:
                server.always(f"/{name}/v1/chat/completions", reply)
        yield server


@pytest.fixture(scope="module")
def fault_models(fault_server: SSEServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    providers = {
        name: {
            "api": "openai-completions",
            "baseUrl": dead if reply is None else f"{fault_server.url}/{name}/v1",
            "timeout": FIRST_BYTE_SECONDS,
            "idleTimeout": IDLE_SECONDS,
            "models": [{"id": "m", "profile": "test"}],
        }
        for name, (reply, _) in FAULTS.items()
    }
    return models_file(tmp_path_factory.mktemp("faults"), providers)


@pytest.fixture(scope="module")
def chat_server(fault_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioServer]:
    root = tmp_path_factory.mktemp("ws")
    (root / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    env = {"SKIFF_MODELS_FILE": str(fault_models), "XDG_DATA_HOME": str(root.parent / "data")}
    server = StdioServer(root, env)
    init = server.request("init", "initialize", {"capabilities": {}, "rootUri": root.as_uri()})
    assert init is not None and "result" in init, server.stderr_text
    server.notify("initialized", {})
    yield server
    server.close()


RESULTS: dict[str, str] = {}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_model_fault_ends_the_turn_with_a_clear_error_and_the_server_keeps_serving(
    chat_server: StdioServer, fault: str
) -> None:
    _, expected = FAULTS[fault]
    srv = chat_server
    assert srv.request(f"set-{fault}", "skiff/setModel", {"model": f"{fault}/m"}) is not None
    answer = srv.request(f"chat-{fault}", "skiff/chat", {"prompt": "hello?"}, timeout=60)
    assert answer is not None and "result" in answer, (answer, srv.stderr_text[-2000:])
    result = answer["result"]
    assert result["stopReason"] == "error", result
    assert expected in result["error"], result["error"]
    RESULTS[fault] = result["error"]
    # the server still serves: another model answers, and nothing was logged as a traceback
    assert srv.request(f"back-{fault}", "skiff/setModel", {"model": "test/hello"}) is not None
    again = srv.request(f"again-{fault}", "skiff/chat", {"prompt": "still there?"}, timeout=60)
    assert again is not None and again["result"]["stopReason"] == "end_turn", again
    assert srv.proc.poll() is None and "Traceback" not in srv.stderr_text


def test_skiff_run_reports_a_silent_model_server_within_its_timeout(
    fault_models: Path, tmp_path: Path
) -> None:
    (tmp_path / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    env = {**os.environ, "SKIFF_MODELS_FILE": str(fault_models), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "skiff", "run", "say hello", "--model", "hang_before_headers/m"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "timed out" in done.stderr and "Traceback" not in done.stderr


def test_fault_figures_are_printed(chat_server: StdioServer) -> None:
    """The summary docs/reliability.md quotes (run with -s)."""
    print(
        "\n" + json.dumps({"faults": len(FAULTS), "clear_errors": len(RESULTS), "errors": RESULTS}, indent=1)
    )
    assert chat_server.proc.poll() is None


def test_token_counting_never_asks_a_slow_tokenize_endpoint_from_the_event_loop() -> None:
    from skiff.agent.providers.openai_compat import ServerTokenizer

    with SSEServer() as server:
        server.always("/tokenize", json_reply({"tokens": [1, 2, 3]}))
        tokenizer = ServerTokenizer(server.url)

        async def on_loop() -> tuple[int, int]:
            here = tokenizer.count("counted on the event loop")  # cl100k, no HTTP
            there = await asyncio.to_thread(tokenizer.count, "counted in a worker thread")
            return here, there

        here, there = asyncio.run(on_loop())
        tokenizer.close()
        assert [r.body for r in server.requests_to("/tokenize")] == [
            {"content": "counted in a worker thread"}
        ]
        assert here > 0 and there == 3
