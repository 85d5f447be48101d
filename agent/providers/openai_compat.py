"""OpenAI-compatible chat streaming over HTTP (llama-server, Ollama, LM Studio, cloud), with SSE parsing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from skiff.agent.providers.base import ChatRequest, Delta, ProviderError, Tokenizer, ToolCallDelta, Usage
from skiff.agent.redact import redact
from skiff.agent.tokens import cl100k, count_messages

# Local servers may spend minutes on prompt processing before the first byte: that wait is generous.
DEFAULT_TIMEOUT = 600.0
# Once a reply streams, a model server that goes this long without a byte has stalled.
DEFAULT_IDLE_TIMEOUT = 45.0
MAX_REPLY_CHARS = 2_000_000  # text, reasoning and tool-call arguments of one reply (about 500k tokens)
MAX_TOOL_CALLS = 64  # native tool calls in one reply
MAX_ERROR_BODY = 64 * 1024  # bytes of an error reply read for its message
CONNECT_TIMEOUT = 10.0
TOKENIZE_TIMEOUT = 10.0
TOKENIZE_CACHE_SIZE = 512
_SSE_FIELDS = ("data", "event", "id", "retry", "error")


def server_root(base_url: str) -> str:
    """`base_url` without a trailing slash or `/v1`: where llama.cpp serves /tokenize."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")


def _shorten(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "..."


def error_message(body: bytes) -> str:
    """The message of an error body: `{"error": {"message"}}`, `{"error": str}`, `detail`, or the text."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return _shorten(text) or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            for key in ("message", "detail", "error"):
                if isinstance(err.get(key), str):
                    return str(err[key])
            if "detail" in data:
                return _shorten(json.dumps(data["detail"]))
        elif isinstance(err, str):
            return err
    return _shorten(text)


class SSEDecoder:
    """Incremental server-sent-events decoder: feed lines, get each event's joined `data` payload."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self.saw_field = False  # at least one valid SSE field line arrived

    def line(self, line: str) -> str | None:
        """Consume one line (without its terminator); return the event's data when the line ends an event."""
        if line == "":
            return self.flush()
        if line.startswith(":"):  # comment / keep-alive
            self.saw_field = True
            return None
        name, sep, value = line.partition(":")
        if not sep or name not in _SSE_FIELDS:
            raise ValueError(line)
        self.saw_field = True
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "error":  # some servers send `error: {...}` lines
            self._data.append(json.dumps({"error": _loads_or_text(value)}))
        return None

    def flush(self) -> str | None:
        if not self._data:
            return None
        data = "\n".join(self._data)
        self._data = []
        return data


def _loads_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def chunk_to_delta(chunk: dict[str, Any]) -> Delta | None:
    """One OpenAI `chat.completion.chunk` as a Delta; None when it carries nothing."""
    out = Delta()
    choices = chunk.get("choices") or []
    if choices:
        choice = choices[0]
        delta = choice.get("delta") or choice.get("message") or {}
        out.text = delta.get("content") or ""
        out.reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
        for position, call in enumerate(delta.get("tool_calls") or []):
            function = call.get("function") or {}
            arguments = function.get("arguments")
            if arguments is not None and not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            index = call.get("index")
            out.tool_calls.append(
                ToolCallDelta(
                    index=index if isinstance(index, int) else position,
                    id=call.get("id") or None,
                    name=function.get("name") or None,
                    arguments=arguments or "",
                )
            )
        out.finish_reason = choice.get("finish_reason") or None
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        out.usage = Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )
    if not (out.text or out.reasoning or out.tool_calls or out.finish_reason or out.usage):
        return None
    return out


class ServerTokenizer:
    """Counts with the server's own tokenizer (llama.cpp `POST /tokenize`), falling back to cl100k for good
    after the first failure (404 on Ollama and cloud APIs, connection errors).

    Synchronous on purpose: callers run it off the event loop. Results are cached (LRU by text).
    """

    def __init__(self, root: str, headers: dict[str, str] | None = None, timeout: float = TOKENIZE_TIMEOUT):
        self.url = f"{root}/tokenize"
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._fallback = cl100k()
        self.uses_server: bool | None = None  # None until the first call decides
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self.uses_server is False:
            return self._fallback.count(text)
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        if _on_event_loop():  # never block the event loop on HTTP: count locally (an estimate)
            return self._fallback.count(text)
        n = self._ask_server(text)
        if n is None:
            return self._fallback.count(text)
        with self._lock:
            self._cache[text] = n
            while len(self._cache) > TOKENIZE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return n

    def _ask_server(self, text: str) -> int | None:
        try:
            if self._client is None:
                self._client = httpx.Client(headers=self._headers, timeout=self._timeout)
            response = self._client.post(self.url, json={"content": redact(text)})
            response.raise_for_status()
            tokens = response.json()["tokens"]
            if not isinstance(tokens, list):
                raise TypeError("tokens is not a list")
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            self.uses_server = False
            self.close()
            return None
        self.uses_server = True
        return len(tokens)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class OpenAICompatProvider:
    """Streams `POST {base_url}/chat/completions` from any OpenAI-compatible server.

    `request.extra` is merged into the JSON body (chat_template_kwargs, response_format, grammar, ...).
    Failures raise ProviderError naming the URL; cancelling the consumer closes the HTTP response.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        extra_headers: dict[str, str] | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_reply_chars: int = MAX_REPLY_CHARS,
        max_tool_calls: int = MAX_TOOL_CALLS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.url = f"{self.base_url}/chat/completions"
        self.timeout = httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout))
        self.first_byte_timeout = timeout  # until the reply's first line (prompt processing)
        self.idle_timeout = min(idle_timeout, timeout)  # between lines once the reply streams
        self.max_reply_chars = max_reply_chars
        self.max_tool_calls = max_tool_calls
        self.headers: dict[str, str] = {"Accept": "text/event-stream"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.headers.update(extra_headers or {})
        token_headers = {k: v for k, v in self.headers.items() if k != "Accept"}
        self._tokenizer = ServerTokenizer(server_root(self.base_url), token_headers)
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body sent for `request`."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_openai() for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.tools:
            body["tools"] = request.tools
        body.update(request.extra)
        return body

    def _http(self) -> httpx.AsyncClient:
        # An AsyncClient's connections belong to the loop that opened them: one client per running loop.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout, headers=self.headers)
            self._client_loop = loop
        return self._client

    async def stream(self, request: ChatRequest) -> AsyncIterator[Delta]:
        body = self.body(request)
        client = self._http()
        url = self.url
        try:
            async with client.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    raw = await _read_at_most(response, MAX_ERROR_BODY)
                    status = response.status_code
                    raise ProviderError(
                        f"the model server at {url} answered HTTP {status}: {error_message(raw)}"
                    )
                content_type = response.headers.get("content-type", "")
                if "text/event-stream" not in content_type and "application/json" in content_type:
                    # A server that ignored `stream: true` and sent one whole completion.
                    raw = await _read_at_most(response, 4 * self.max_reply_chars + 1)
                    if len(raw) > 4 * self.max_reply_chars:
                        raise ProviderError(self._too_big(url))
                    for delta in _whole_completion(raw, url):
                        yield delta
                    return
                produced: list[str] = []
                size = 0
                calls: set[int] = set()
                saw_usage = False
                async for delta in self._events(response, url):
                    saw_usage = saw_usage or delta.usage is not None
                    pieces = (delta.reasoning, delta.text, *(c.arguments for c in delta.tool_calls))
                    produced.extend(pieces)
                    size += sum(map(len, pieces))
                    calls.update(c.index for c in delta.tool_calls)
                    if size > self.max_reply_chars:
                        raise ProviderError(self._too_big(url))
                    if len(calls) > self.max_tool_calls:
                        raise ProviderError(
                            f"the model server at {url} sent more than {self.max_tool_calls} tool calls "
                            "in one reply; stopped reading it"
                        )
                    yield delta
            if not saw_usage:
                # Some servers (llama-cpp-python's, older Ollama) ignore stream_options: estimate usage.
                yield Delta(usage=await asyncio.to_thread(self._estimate_usage, request, "".join(produced)))
        except ProviderError:
            raise
        except httpx.ConnectError as exc:
            raise ProviderError(f"cannot reach the model server at {url}: {exc} - is it running?") from exc
        except httpx.TimeoutException as exc:
            raise ProviderError(
                f"the model server at {url} timed out ({type(exc).__name__}, limit {self.timeout.read} s)"
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"the request to the model server at {url} failed: {exc!r}") from exc

    def _too_big(self, url: str) -> str:
        return (
            f"the model server at {url} sent a reply of more than {self.max_reply_chars:,} characters; "
            "stopped reading it (is the model repeating itself?)"
        )

    async def _lines(self, response: httpx.Response, url: str) -> AsyncIterator[str]:
        """The body's lines; ProviderError when the first takes longer than `timeout` or a later one longer
        than `idle_timeout` (a server that accepted the request and went silent)."""
        lines = response.aiter_lines()
        limit, waiting_for = self.first_byte_timeout, "the first line of its reply"
        while True:
            try:
                async with asyncio.timeout(limit):
                    line = await anext(lines)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise ProviderError(
                    f"the model server at {url} timed out: nothing for {limit:g} s while Skiff waited "
                    f"for {waiting_for} (provider keys 'timeout' and 'idleTimeout')"
                ) from None
            limit, waiting_for = self.idle_timeout, "the rest of its reply"
            yield line

    async def _events(self, response: httpx.Response, url: str) -> AsyncIterator[Delta]:
        decoder = SSEDecoder()
        chunks = 0
        finished = False
        done = False
        try:
            async for line in self._lines(response, url):
                if done:
                    continue  # drain the body's end so the connection can be reused
                try:
                    payload_or_none = decoder.line(line)
                except ValueError:
                    what = f"a reply that is not an SSE stream: {_shorten(line)!r}"
                    raise ProviderError(f"the model server at {url} sent {what}") from None
                if payload_or_none is None:
                    continue
                if payload_or_none.strip() == "[DONE]":
                    done = True
                    continue
                chunks += 1
                delta = _parse_payload(payload_or_none, url)
                if delta is not None:
                    finished = finished or delta.finish_reason is not None
                    yield delta
            pending = None if done else decoder.flush()  # a last event without its blank line
            if pending is not None and pending.strip() != "[DONE]":
                chunks += 1
                delta = _parse_payload(pending, url)
                if delta is not None:
                    finished = finished or delta.finish_reason is not None
                    yield delta
            done = done or (pending is not None and pending.strip() == "[DONE]")
        except httpx.TimeoutException:
            if finished:
                return
            raise
        except httpx.TransportError as exc:
            if finished:
                return  # the reply was complete; only the trailer (usage, [DONE]) went missing
            raise ProviderError(
                f"the model server at {url} cut the reply off mid-stream after {chunks} chunk(s): {exc!r}"
            ) from exc
        if not (done or finished):
            if chunks == 0 and not decoder.saw_field:
                raise ProviderError(f"the model server at {url} sent an empty reply instead of an SSE stream")
            raise ProviderError(
                f"the model server at {url} cut the reply off mid-stream after {chunks} chunk(s) "
                "(no finish_reason and no [DONE])"
            )

    def _estimate_usage(self, request: ChatRequest, completion: str) -> Usage:
        return Usage(
            prompt_tokens=count_messages(self._tokenizer, request.messages),
            completion_tokens=self._tokenizer.count(completion),
        )

    def tokenizer(self) -> Tokenizer:
        return self._tokenizer

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            try:
                await client.aclose()
            except RuntimeError:
                pass  # its event loop is gone; the sockets went with it
        self._tokenizer.close()


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    """Up to `limit` bytes of the body (one more tells the caller it was longer)."""
    out = bytearray()
    async for chunk in response.aiter_bytes():
        out += chunk
        if len(out) > limit:
            break
    return bytes(out[: limit + 1])


def _parse_payload(payload: str, url: str) -> Delta | None:
    try:
        chunk = json.loads(payload)
    except ValueError:
        raise ProviderError(
            f"the model server at {url} sent an SSE event that is not JSON: {_shorten(payload)!r}"
        ) from None
    if not isinstance(chunk, dict):
        raise ProviderError(f"the model server at {url} sent an unexpected SSE event: {_shorten(payload)!r}")
    if "error" in chunk and not chunk.get("choices"):
        raise ProviderError(
            f"the model server at {url} reported an error mid-stream: "
            f"{error_message(json.dumps(chunk).encode())}"
        )
    return chunk_to_delta(chunk)


def _whole_completion(raw: bytes, url: str) -> Iterator[Delta]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProviderError(
            f"the model server at {url} sent a reply that is neither SSE nor JSON: "
            f"{_shorten(raw.decode('utf-8', errors='replace'))!r}"
        ) from None
    if not isinstance(data, dict) or not data.get("choices"):
        raise ProviderError(f"the model server at {url} sent an unexpected reply: {_shorten(raw.decode())!r}")
    delta = chunk_to_delta(data)
    if delta is not None:
        yield delta
