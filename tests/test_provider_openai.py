"""OpenAICompatProvider against a real loopback HTTP server replaying llama.cpp-shaped SSE streams."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sse_server import (
    REASONING_STREAM,
    ROLE,
    TEXT_STREAM,
    TOOL_CALL_STREAM,
    RecordedRequest,
    Reply,
    SSEServer,
    free_port,
    json_reply,
    llama_chunk,
    sse,
)

from skiff.agent.config import ConfigError, Registry
from skiff.agent.messages import Message, ToolCall
from skiff.agent.providers.base import ChatRequest, Delta, Provider, ProviderError
from skiff.agent.providers.factory import make_provider
from skiff.agent.providers.openai_compat import OpenAICompatProvider
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tokens import cl100k

CHAT = "/v1/chat/completions"


def request(text: str = "Say hello.", **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message("system", "Be brief."), Message("user", text)], **kw)  # type: ignore[arg-type]


async def collect(stream: AsyncIterator[Delta]) -> list[Delta]:
    return [d async for d in stream]


@pytest.fixture
async def provider(sse_server: SSEServer) -> AsyncIterator[OpenAICompatProvider]:
    p = OpenAICompatProvider(sse_server.base_url, "qwen2.5-coder-1.5b", api_key="sk-local")
    yield p
    await p.aclose()


def test_is_a_provider(provider: OpenAICompatProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "openai"


async def test_streams_text_and_usage(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, Reply(sse(*TEXT_STREAM)))
    deltas = await collect(provider.stream(request()))
    assert [d.text for d in deltas if d.text] == ["Hello", ",", " world", "!"]
    assert [d.finish_reason for d in deltas if d.finish_reason] == ["stop"]
    usage = [d.usage for d in deltas if d.usage]
    assert len(usage) == 1 and usage[0].prompt_tokens == 28 and usage[0].completion_tokens == 4
    sent = sse_server.requests_to(CHAT)[0]
    assert sent.headers["Authorization"] == "Bearer sk-local"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["model"] == "qwen2.5-coder-1.5b"
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello."},
    ]
    assert "tools" not in sent.body and "stop" not in sent.body


async def test_reasoning_deltas(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, Reply(sse(*REASONING_STREAM)))
    # Some servers (Ollama, vLLM) name the field `reasoning`.
    sse_server.add(CHAT, Reply(sse(llama_chunk({"reasoning": "hmm"}), llama_chunk({}, finish_reason="stop"))))
    deltas = await collect(provider.stream(request()))
    assert "".join(d.reasoning for d in deltas) == "The user wants a greeting."
    assert "".join(d.text for d in deltas) == "Hi there"
    deltas = await collect(provider.stream(request()))
    assert "".join(d.reasoning for d in deltas) == "hmm"
    # That server sent no usage chunk: the provider estimates it with its tokenizer (cl100k here).
    assert deltas[-1].usage is not None and deltas[-1].usage.completion_tokens == cl100k().count("hmm")
    assert deltas[-1].usage.prompt_tokens > 0


async def test_native_tool_calls_reassemble(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, Reply(sse(*TOOL_CALL_STREAM)))
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]
    history = [
        Message("user", "Open app.py"),
        Message("assistant", "", tool_calls=[ToolCall("call_1", "read_file", {"path": "a.py"})]),
        Message("tool", "print(1)", tool_call_id="call_1", name="read_file"),
    ]
    deltas = await collect(provider.stream(ChatRequest(messages=history, tools=tools, stop=["</s>"])))
    calls: dict[int, dict[str, str]] = {}
    for d in deltas:
        for frag in d.tool_calls:
            call = calls.setdefault(frag.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = frag.id or call["id"]
            call["name"] = frag.name or call["name"]
            call["arguments"] += frag.arguments
    assert calls[0]["id"] == "call_Xq1" and calls[0]["name"] == "read_file"
    assert json.loads(calls[0]["arguments"]) == {"path": "src/app.py"}
    assert calls[1]["id"] == "call_Zr7" and calls[1]["name"] == "grep"
    assert json.loads(calls[1]["arguments"]) == {"pattern": "def main"}
    assert "".join(d.text for d in deltas) == "Reading both."
    assert [d.finish_reason for d in deltas if d.finish_reason] == ["tool_calls"]
    sent = sse_server.requests_to(CHAT)[0].body
    assert sent["tools"] == tools and sent["stop"] == ["</s>"]
    assert sent["messages"][1]["tool_calls"][0]["function"] == {
        "name": "read_file",
        "arguments": '{"path": "a.py"}',
    }
    assert sent["messages"][2] == {
        "role": "tool",
        "content": "print(1)",
        "tool_call_id": "call_1",
        "name": "read_file",
    }


async def test_extra_body_fields_pass_through(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, Reply(sse(*TEXT_STREAM)))
    extra = {
        "chat_template_kwargs": {"enable_thinking": False},
        "response_format": {"type": "json_object"},
        "grammar": 'root ::= "yes" | "no"',
    }
    await collect(provider.stream(request(temperature=0.0, max_tokens=7, extra=extra)))
    sent = sse_server.requests_to(CHAT)[0].body
    for key, value in extra.items():
        assert sent[key] == value
    assert sent["temperature"] == 0.0 and sent["max_tokens"] == 7


async def test_stream_cut_off_midway(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, Reply(sse(*TEXT_STREAM[:3], done=False), cut_off=True))
    got: list[str] = []
    with pytest.raises(ProviderError, match="cut the reply off") as info:
        async for d in provider.stream(request()):
            got.append(d.text)
    assert got == ["Hello", ","]  # what arrived before the cut stays delivered
    assert sse_server.base_url in str(info.value)


async def test_stream_ending_without_finish_or_done(
    sse_server: SSEServer, provider: OpenAICompatProvider
) -> None:
    # A body that ends cleanly (terminating chunk sent) but mid-reply: no finish_reason, no [DONE].
    sse_server.add(CHAT, Reply(sse(*TEXT_STREAM[:4], done=False)))
    got: list[str] = []
    with pytest.raises(ProviderError, match="cut the reply off"):
        async for d in provider.stream(request()):
            got.append(d.text)
    assert "".join(got) == "Hello, world"


async def test_garbage_body(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, Reply([b"<html><body>It works!</body></html>\n"], content_type="text/html"))
    sse_server.add(CHAT, Reply(sse("{not json", done=False)))
    with pytest.raises(ProviderError, match="not an SSE stream") as info:
        await collect(provider.stream(request()))
    assert "It works!" in str(info.value) and sse_server.base_url in str(info.value)
    with pytest.raises(ProviderError, match="not JSON"):
        await collect(provider.stream(request()))


async def test_http_500_with_json_error(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    message = "the request exceeds the available context size (8192 tokens), try increasing it"
    sse_server.add(
        CHAT, json_reply({"error": {"code": 500, "message": message, "type": "server_error"}}, 500)
    )
    with pytest.raises(ProviderError) as info:
        await collect(provider.stream(request()))
    text = str(info.value)
    assert "500" in text and message in text and sse_server.base_url in text


async def test_error_event_mid_stream(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    error = {"error": {"code": 500, "message": "slot unavailable", "type": "server_error"}}
    sse_server.add(CHAT, Reply(sse(*TEXT_STREAM[:2], error, done=False)))
    got: list[str] = []
    with pytest.raises(ProviderError, match="slot unavailable"):
        async for d in provider.stream(request()):
            got.append(d.text)
    assert got == ["Hello"]


async def test_server_down_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    provider = OpenAICompatProvider(url, "m")
    with pytest.raises(ProviderError, match="cannot reach the model server") as info:
        await collect(provider.stream(request()))
    assert url in str(info.value) and "is it running" in str(info.value)
    await provider.aclose()


async def test_read_timeout_is_a_provider_error(sse_server: SSEServer) -> None:
    sse_server.add(CHAT, Reply(sse(llama_chunk(ROLE), llama_chunk({"content": "late"})), delay=3))
    provider = OpenAICompatProvider(sse_server.base_url, "m", timeout=0.5)
    with pytest.raises(ProviderError, match="timed out") as info:
        await collect(provider.stream(request()))
    assert sse_server.base_url in str(info.value)
    await provider.aclose()


def _slow_stream() -> Reply:
    words = [llama_chunk({"content": f" w{i}"}) for i in range(200)]
    return Reply(sse(llama_chunk({"role": "assistant", "content": None}), *words), delay=0.05)


async def test_aclose_closes_the_connection(sse_server: SSEServer, provider: OpenAICompatProvider) -> None:
    sse_server.add(CHAT, _slow_stream())
    stream = provider.stream(request())
    first = [await anext(stream), await anext(stream)]
    assert [d.text for d in first] == [" w0", " w1"]
    await stream.aclose()  # type: ignore[attr-defined]
    # The server is still writing (200 chunks, 50 ms apart): it must see the client go away.
    assert await asyncio.to_thread(sse_server.disconnected.wait, 10)


async def test_task_cancellation_closes_the_connection(
    sse_server: SSEServer, provider: OpenAICompatProvider
) -> None:
    sse_server.add(CHAT, _slow_stream())
    sse_server.add(CHAT, Reply(sse(*TEXT_STREAM)))
    received: list[str] = []
    first = asyncio.Event()

    async def consume() -> None:
        async for d in provider.stream(request()):
            received.append(d.text)
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(sse_server.disconnected.wait, 10)
    assert 1 <= len(received) < 200
    # The provider is usable right after.
    deltas = await collect(provider.stream(request()))
    assert "".join(d.text for d in deltas) == "Hello, world!"


async def test_non_streaming_json_reply_is_accepted(
    sse_server: SSEServer, provider: OpenAICompatProvider
) -> None:
    # A server that ignores `stream: true` and answers with one chat.completion object.
    sse_server.add(
        CHAT,
        json_reply(
            {
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1},
            }
        ),
    )
    deltas = await collect(provider.stream(request()))
    assert deltas[0].text == "Hi" and deltas[0].finish_reason == "stop"
    assert deltas[0].usage is not None and deltas[0].usage.prompt_tokens == 5


def test_tokenizer_uses_server_tokenize(sse_server: SSEServer) -> None:
    def tokenize(req: RecordedRequest) -> Reply:
        return json_reply({"tokens": list(range(len(req.body["content"])))})  # one "token" per character

    sse_server.always("/tokenize", tokenize)
    tokenizer = OpenAICompatProvider(sse_server.base_url, "m").tokenizer()
    assert tokenizer.count("hello world") == 11
    assert tokenizer.count("hello world") == 11
    assert tokenizer.count("") == 0
    assert tokenizer.count("abc") == 3
    calls = sse_server.requests_to("/tokenize")
    assert [c.body for c in calls] == [{"content": "hello world"}, {"content": "abc"}]  # second count cached


def test_tokenizer_falls_back_to_cl100k_on_404(sse_server: SSEServer) -> None:
    tokenizer = OpenAICompatProvider(sse_server.base_url, "m").tokenizer()
    text = "def main():\n    return 42\n"
    assert tokenizer.count(text) == cl100k().count(text)
    assert tokenizer.count("another text") == cl100k().count("another text")
    assert len(sse_server.requests_to("/tokenize")) == 1  # the fallback is permanent


def test_tokenizer_falls_back_when_server_down() -> None:
    tokenizer = OpenAICompatProvider(f"http://127.0.0.1:{free_port()}/v1", "m").tokenizer()
    assert tokenizer.count("hello world") == cl100k().count("hello world")


# --- The real llama-cpp-python server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"]
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("wb")  # a file, not a pipe: the server logs a lot and would block on a full pipe
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                err = log_path.read_text(errors="replace")
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}: {err[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not answer /v1/models within 120 s")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def test_real_llama_cpp_server_streams(llama_server: str) -> None:
    provider = OpenAICompatProvider(llama_server, "smollm2")
    try:
        deltas = await collect(provider.stream(request("What is 2+2?", temperature=0.0, max_tokens=16)))
    finally:
        await provider.aclose()
    text = "".join(d.text for d in deltas)
    assert text.strip()
    assert len([d for d in deltas if d.text]) >= 2  # streamed in pieces, not one block
    assert any(d.finish_reason in ("stop", "length") for d in deltas)
    # llama-cpp-python's server ignores stream_options (no usage chunk) and has no /tokenize: the provider
    # estimates usage with cl100k.
    usage = [d.usage for d in deltas if d.usage]
    assert len(usage) == 1 and usage[0].prompt_tokens > 0 and usage[0].completion_tokens > 0


# --- The factory ---------------------------------------------------------------------------------------


def test_factory_builds_openai_provider_from_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLAMACPP_API_KEY", "k-123")
    provider = make_provider(Registry(user=None).resolve("llamacpp/qwen2.5-coder-1.5b"))
    assert isinstance(provider, OpenAICompatProvider)
    assert provider.url == "http://127.0.0.1:8080/v1/chat/completions"
    assert provider.model == "qwen2.5-coder-1.5b"
    assert provider.headers["Authorization"] == "Bearer k-123"


def test_factory_scripted_needs_replies(tmp_path: Path) -> None:
    user = tmp_path / "models.json"
    user.write_text(json.dumps({"providers": {"fake": {"api": "scripted", "models": [{"id": "echo"}]}}}))
    spec = Registry(user=user).resolve("fake/echo")
    with pytest.raises(ConfigError, match="scripted"):
        make_provider(spec)
    provider = make_provider(spec, replies=["hello"])
    assert isinstance(provider, ScriptedProvider) and provider.replies == ["hello"]
