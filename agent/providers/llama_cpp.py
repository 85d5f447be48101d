"""In-process GGUF models through llama-cpp-python: a worker thread streams tokens to the event loop."""

from __future__ import annotations

import asyncio
import atexit
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.agent.providers.base import ChatRequest, Delta, ProviderError, Tokenizer, Usage
from skiff.agent.providers.openai_compat import chunk_to_delta
from skiff.agent.tokens import count_messages

DEFAULT_SEED = 42
# Sampling options of Llama.create_chat_completion that `request.extra` may set directly.
_PASSTHROUGH = (
    "top_p",
    "top_k",
    "min_p",
    "typical_p",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "logit_bias",
    "response_format",
    "tool_choice",
)


@dataclass
class LoadedModel:
    """A Llama loaded once per (file, n_ctx) and shared by every provider for that file."""

    llama: Any  # llama_cpp.Llama
    path: Path
    n_ctx: int
    load_seconds: float
    template: str | None  # the GGUF chat template, when the model uses it
    template_uses_tools: bool
    generation_lock: threading.Lock = field(default_factory=threading.Lock)  # one generation at a time
    _formatter: Any = None
    _good_grammars: set[str] = field(default_factory=set)

    def count(self, text: str) -> int:
        if not text:
            return 0
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def check_grammar(self, gbnf: str) -> None:
        """Raise ProviderError unless llama.cpp accepts `gbnf` (llama-cpp-python segfaults on a bad one)."""
        if gbnf in self._good_grammars:
            return
        import llama_cpp

        sampler = llama_cpp.llama_sampler_init_grammar(self.llama._model.vocab, gbnf.encode("utf-8"), b"root")
        if not sampler:
            first = gbnf.strip().splitlines()[0] if gbnf.strip() else ""
            raise ProviderError(
                f"the GBNF grammar does not parse (llama.cpp logs why on stderr); it starts: {first[:120]!r}"
            )
        llama_cpp.llama_sampler_free(sampler)
        self._good_grammars.add(gbnf)

    def prompt_tokens(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int | None:
        """Tokens of the prompt as the chat template renders it; None when the model has no GGUF template."""
        if self.template is None:
            return None
        if self._formatter is None:
            from llama_cpp import llama_chat_format

            llama = self.llama
            eos, bos = llama.token_eos(), llama.token_bos()
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=self.template,
                eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            )
        rendered = self._formatter(messages=messages, tools=tools).prompt
        return self.count(rendered)


_MODELS: dict[tuple[str, int], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def model_key(path: Path, n_ctx: int) -> tuple[str, int]:
    return (str(path.expanduser().resolve()), n_ctx)


def load_model(
    path: Path,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    seed: int | None = DEFAULT_SEED,
    chat_format: str | None = None,
    verbose: bool = False,
) -> LoadedModel:
    """The model at `path`, loaded on first use and cached by (resolved path, n_ctx). Blocking."""
    path = Path(path).expanduser()
    key = model_key(path, n_ctx)
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        if not path.is_file():
            raise ProviderError(f"model file not found: {path}")
        try:
            import llama_cpp
        except ImportError as exc:
            raise ProviderError(
                f"cannot load {path}: llama-cpp-python is not installed (pip install 'skiff-ls[embedded]')"
            ) from exc
        kwargs: dict[str, Any] = {"model_path": str(path), "n_ctx": n_ctx, "verbose": verbose}
        if n_threads is not None:
            kwargs["n_threads"] = n_threads
        if seed is not None:
            kwargs["seed"] = seed
        if chat_format is not None:
            kwargs["chat_format"] = chat_format
        started = time.perf_counter()
        try:
            llama = llama_cpp.Llama(**kwargs)
        except Exception as exc:  # llama-cpp-python raises ValueError/RuntimeError for bad files
            raise ProviderError(f"cannot load the model file {path}: {exc}") from exc
        elapsed = time.perf_counter() - started
        template = None
        if llama.chat_handler is None and llama.chat_format == "chat_template.default":
            template = llama.metadata.get("tokenizer.chat_template")
        # A named chat_format (e.g. chatml-function-calling) handles `tools` itself; a GGUF template only
        # sees them when it mentions them. Skiff describes tools in the system prompt otherwise.
        uses_tools = chat_format is not None or (template is not None and "tools" in template)
        loaded = LoadedModel(llama, path, n_ctx, elapsed, template, uses_tools)
        _MODELS[key] = loaded
        return loaded


@atexit.register
def free_models() -> None:
    """Free every cached model while the interpreter is still whole. Left to garbage collection at exit,
    llama-cpp-python's finalizer runs after its module globals are gone and prints a `TypeError:
    'NoneType' object is not callable` traceback for each model."""
    with _MODELS_LOCK:
        models = list(_MODELS.values())
        _MODELS.clear()
    for loaded in models:
        loaded.llama.close()


def loaded_models() -> list[LoadedModel]:
    with _MODELS_LOCK:
        return list(_MODELS.values())


class LlamaTokenizer:
    """The model's own tokenizer (loads the model on first use: call it off the event loop)."""

    def __init__(self, provider: LlamaCppProvider) -> None:
        self._provider = provider

    def count(self, text: str) -> int:
        return self._provider.model().count(text)


@dataclass(eq=False)
class GenerationRun:
    """One stream's worker state. `generated` counts tokens pulled from llama (text chunks), also those
    pulled after the consumer went away; `done` is set when the worker has stopped and freed the model."""

    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    generated: int = 0
    delivered: int = 0
    finish_reason: str | None = None


class LlamaCppProvider:
    """Runs a GGUF model in-process with llama-cpp-python.

    The Llama is loaded lazily (off the event loop) and shared per (file, n_ctx). `stream` runs
    `create_chat_completion(stream=True)` in a worker thread that hands chunks over through an asyncio.Queue;
    when the consumer is cancelled or closes the stream, the worker stops within one token. Generations on
    one model are serialized: a new stream waits until a cancelled one has wound down.

    `request.extra`: `grammar` (GBNF text), `json_schema` (dict or JSON text) or `response_format` constrain
    the output; sampling options (top_p, top_k, min_p, repeat_penalty, seed, ...) pass through.
    """

    name = "llama-cpp"

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int | None = DEFAULT_SEED,
        chat_format: str | None = None,
        verbose: bool = False,
    ) -> None:
        self.model_path = Path(model_path).expanduser()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.chat_format = chat_format
        self.verbose = verbose
        self._key = model_key(self.model_path, n_ctx)
        self.last_run: GenerationRun | None = None
        self._runs: set[GenerationRun] = set()
        self._tokenizer = LlamaTokenizer(self)

    def model(self) -> LoadedModel:
        """The loaded model (loads it on first call; blocking)."""
        return load_model(
            self.model_path, self.n_ctx, self.n_threads, self.seed, self.chat_format, self.verbose
        )

    async def load(self) -> LoadedModel:
        """The loaded model; a first load runs in a worker thread, off the event loop."""
        cached = _MODELS.get(self._key)
        return cached if cached is not None else await asyncio.to_thread(self.model)

    async def stream(self, request: ChatRequest) -> AsyncIterator[Delta]:
        loaded = await self.load()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        run = GenerationRun()
        self.last_run = run
        self._runs.add(run)
        worker = threading.Thread(
            target=self._work, args=(loaded, request, run, loop, queue), name="skiff-llama", daemon=True
        )
        worker.start()
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "delta":
                    yield payload
                elif kind == "error":
                    raise payload
                else:
                    return
        finally:
            run.cancel.set()  # no-op after a normal end; otherwise the worker stops at the next token
            self._runs.discard(run)

    def _kwargs(self, loaded: LoadedModel, request: ChatRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "messages": [m.to_openai() for m in request.messages],
            "stream": True,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stop": list(request.stop) or None,
        }
        if self.seed is not None:
            kwargs["seed"] = self.seed
        if request.tools and loaded.template_uses_tools:
            kwargs["tools"] = request.tools
        extra = request.extra
        for key in _PASSTHROUGH:
            if key in extra:
                kwargs[key] = extra[key]
        if extra.get("grammar") or extra.get("json_schema"):
            from llama_cpp import LlamaGrammar

            if extra.get("grammar"):
                grammar = LlamaGrammar.from_string(str(extra["grammar"]), verbose=self.verbose)
            else:
                schema = extra["json_schema"]
                text = schema if isinstance(schema, str) else json.dumps(schema)
                try:
                    grammar = LlamaGrammar.from_json_schema(text, verbose=self.verbose)
                except Exception as exc:
                    raise ProviderError(f"cannot turn the JSON schema into a grammar: {exc}") from exc
            loaded.check_grammar(grammar._grammar)
            kwargs["grammar"] = grammar
        return kwargs

    def _work(
        self,
        loaded: LoadedModel,
        request: ChatRequest,
        run: GenerationRun,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[tuple[str, Any]],
    ) -> None:
        def emit(kind: str, payload: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, payload))
            except RuntimeError:  # the event loop is closed: nobody is listening any more
                run.cancel.set()

        try:
            with loaded.generation_lock:
                if run.cancel.is_set():
                    return
                try:
                    kwargs = self._kwargs(loaded, request)
                    chunks: Iterator[dict[str, Any]] = loaded.llama.create_chat_completion(**kwargs)
                    try:
                        for chunk in chunks:
                            delta = chunk_to_delta(chunk)
                            if delta is None:
                                continue
                            if delta.text or delta.reasoning or delta.tool_calls:
                                run.generated += 1
                            if run.cancel.is_set():
                                return
                            if delta.finish_reason:
                                run.finish_reason = delta.finish_reason
                                delta.finish_reason = None
                                if not (delta.text or delta.reasoning or delta.tool_calls):
                                    continue
                            run.delivered += 1
                            emit("delta", delta)
                    finally:
                        close = getattr(chunks, "close", None)
                        if close is not None:
                            close()  # GeneratorExit runs down llama's generator chain: sampling stops here
                    prompt = loaded.prompt_tokens(kwargs["messages"], kwargs.get("tools"))
                    if prompt is None:
                        prompt = count_messages(loaded, request.messages)
                    usage = Usage(prompt_tokens=prompt, completion_tokens=run.generated)
                    emit("delta", Delta(finish_reason=run.finish_reason or "stop", usage=usage))
                except ProviderError as exc:
                    emit("error", exc)
                except Exception as exc:
                    emit("error", ProviderError(f"llama.cpp failed on {loaded.path.name}: {exc}"))
        finally:
            run.done.set()
            emit("end", None)

    def tokenizer(self) -> Tokenizer:
        return self._tokenizer

    async def aclose(self) -> None:
        """Stop this provider's running generations and wait for their workers; the model stays cached."""
        runs = list(self._runs)
        for run in runs:
            run.cancel.set()
        for run in runs:
            await asyncio.to_thread(run.done.wait, 30)
