"""LlamaCppProvider with the real SmolLM2-135M GGUF in-process: streaming, reuse, cancellation, grammars."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from skiff.agent.config import Registry
from skiff.agent.messages import Message
from skiff.agent.providers.base import ChatRequest, Delta, Provider, ProviderError
from skiff.agent.providers.factory import make_provider
from skiff.agent.providers.llama_cpp import LlamaCppProvider, free_models, load_model, loaded_models

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

N_CTX = 2048


def ask(text: str, max_tokens: int = 12, **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message("user", text)], temperature=0.0, max_tokens=max_tokens, **kw)  # type: ignore[arg-type]


async def collect(stream: AsyncIterator[Delta]) -> list[Delta]:
    return [d async for d in stream]


@pytest.fixture
def provider(smollm2_path: Path) -> LlamaCppProvider:
    return LlamaCppProvider(smollm2_path, n_ctx=N_CTX)


async def test_streams_text_deltas_with_usage(provider: LlamaCppProvider) -> None:
    assert isinstance(provider, Provider) and provider.name == "llama-cpp"
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]
    deltas = await collect(provider.stream(ask("What is the capital of France?", tools=tools)))
    pieces = [d.text for d in deltas if d.text]
    assert len(pieces) >= 2 and "".join(pieces).strip()
    final = deltas[-1]
    assert final.finish_reason in ("stop", "length") and final.usage is not None
    assert final.usage.completion_tokens == len(pieces) <= 12
    # SmolLM2's template adds a default system prompt: the prompt is longer than the question alone.
    assert final.usage.prompt_tokens > provider.tokenizer().count("What is the capital of France?") + 10
    # Its GGUF template never mentions tools, so they are not handed to it (Skiff prompts them in text).
    assert provider.model().template_uses_tools is False


async def test_model_loaded_once_and_shared(
    provider: LlamaCppProvider, smollm2_path: Path, tmp_path: Path
) -> None:
    first = await provider.load()
    link = tmp_path / "same-model.gguf"
    link.symlink_to(smollm2_path)
    other = LlamaCppProvider(link, n_ctx=N_CTX)
    assert (await other.load()).llama is first.llama
    assert LlamaCppProvider(smollm2_path, n_ctx=N_CTX).model() is first
    deltas = await collect(other.stream(ask("Say hi.", max_tokens=4)))
    assert any(d.text for d in deltas)


async def test_cancellation_stops_generation_and_provider_is_reusable(provider: LlamaCppProvider) -> None:
    request = ask("Count from 1 to 100, one number per line.", max_tokens=200)
    loaded = await provider.load()
    stream = provider.stream(request)
    received = 0
    async for delta in stream:
        received += bool(delta.text)
        if received == 3:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    run = provider.last_run
    assert run is not None
    assert await asyncio.to_thread(run.done.wait, 30), "the worker did not stop"
    assert run.generated <= received + 2
    # The engine itself stopped: its context holds the prompt plus only the few tokens generated.
    prompt = loaded.prompt_tokens([m.to_openai() for m in request.messages], None)
    assert prompt is not None
    assert loaded.llama.n_tokens - prompt <= received + 3

    deltas = await collect(provider.stream(ask("Say hi.", max_tokens=4)))
    assert any(d.text for d in deltas) and deltas[-1].usage is not None


async def test_task_cancellation_then_immediate_new_stream(provider: LlamaCppProvider) -> None:
    started = asyncio.Event()
    texts: list[str] = []

    async def consume() -> None:
        async for delta in provider.stream(ask("Count from 1 to 100, one number per line.", max_tokens=200)):
            texts.append(delta.text)
            started.set()

    task = asyncio.create_task(consume())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    assert started.is_set() and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancelled_run = provider.last_run
    # A new stream right away waits for the cancelled worker to wind down, then runs normally.
    deltas = await collect(provider.stream(ask("Say hi.", max_tokens=4)))
    assert cancelled_run is not None and cancelled_run.done.is_set()
    assert cancelled_run.generated < 20
    assert any(d.text for d in deltas) and deltas[-1].finish_reason in ("stop", "length")


async def test_json_schema_constrains_output(provider: LlamaCppProvider) -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    }
    deltas = await collect(
        provider.stream(ask("Is water wet? Answer in JSON.", max_tokens=24, extra={"json_schema": schema}))
    )
    value = json.loads("".join(d.text for d in deltas))
    assert set(value) == {"ok"} and isinstance(value["ok"], bool)


async def test_gbnf_grammar_constrains_output(provider: LlamaCppProvider) -> None:
    grammar = 'root ::= "yes" | "no"'
    deltas = await collect(
        provider.stream(ask("Is the sky green?", max_tokens=6, extra={"grammar": grammar}))
    )
    assert "".join(d.text for d in deltas) in ("yes", "no")


async def test_invalid_grammar_is_a_provider_error(provider: LlamaCppProvider) -> None:
    # llama-cpp-python itself would crash the process on this grammar; the provider checks it first.
    with pytest.raises(ProviderError, match="does not parse"):
        await collect(provider.stream(ask("hi", extra={"grammar": "root ::= ( unclosed"})))
    deltas = await collect(provider.stream(ask("Say hi.", max_tokens=3)))
    assert any(d.text for d in deltas)


async def test_tokenizer_counts_with_the_model_vocabulary(provider: LlamaCppProvider) -> None:
    tokenizer = provider.tokenizer()
    counts = await asyncio.to_thread(lambda: [tokenizer.count(t) for t in ("", "Hello world", "<|im_end|>")])
    assert counts == [0, 2, 1]  # the chat-template marker is one special token


async def test_prompt_beyond_context_is_a_provider_error(smollm2_path: Path) -> None:
    small = LlamaCppProvider(smollm2_path, n_ctx=512)
    with pytest.raises(ProviderError, match="context window") as info:
        await collect(small.stream(ask("word " * 900)))
    assert smollm2_path.name in str(info.value)


async def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    provider = LlamaCppProvider(missing)
    with pytest.raises(ProviderError, match=r"nope\.gguf"):
        await collect(provider.stream(ask("hi")))
    with pytest.raises(ProviderError, match="not found"):
        provider.tokenizer().count("hi")


async def test_bad_gguf_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00garbage" * 64)
    with pytest.raises(ProviderError, match=r"broken\.gguf") as info:
        await collect(LlamaCppProvider(bad).stream(ask("hi")))
    assert "cannot load" in str(info.value)


def test_factory_builds_the_embedded_model(smollm2_path: Path) -> None:
    spec = Registry(user=None).resolve("embedded/smollm2-135m")
    provider = make_provider(spec)
    assert isinstance(provider, LlamaCppProvider)
    assert provider.model_path == smollm2_path
    assert provider.n_ctx == spec.context_limit == 4096


def test_cached_models_are_freed_before_the_interpreter_tears_down(smollm2_path: Path) -> None:
    """`free_models` runs at exit (atexit): left to garbage collection after the module globals are gone,
    each model's finalizer printed a TypeError traceback at the end of the test suite."""
    loaded = load_model(smollm2_path, n_ctx=256)
    assert loaded in loaded_models()
    free_models()
    assert loaded not in loaded_models()
    assert loaded.llama._stack is not None and not loaded.llama._stack._exit_callbacks  # closed
    assert load_model(smollm2_path, n_ctx=256) is not loaded  # loads afresh after
