"""Finds the local model servers a user already runs (llama.cpp, Ollama, LM Studio) and the models they serve.

Each endpoint's model list is asked for concurrently with a short timeout (`/v1/models`, or Ollama's
`/api/tags`), never blocking the event loop, and the answers are cached for a few seconds. Which endpoints
are probed: `$SKIFF_DISCOVER` (`off`, or `NAME=URL,NAME=URL`), else the models file's `discover` key,
else the three default ports.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

DiscoveryApi = Literal["openai", "ollama"]
PROBE_TIMEOUT = 0.3  # seconds per endpoint; the probes run concurrently
CACHE_SECONDS = 5.0
ENV = "SKIFF_DISCOVER"


@dataclass(frozen=True)
class Endpoint:
    """A place a local model server may listen: `name` becomes the provider part of its models' refs."""

    name: str
    url: str  # the server's root, e.g. http://127.0.0.1:11434 (no /v1)
    api: DiscoveryApi = "openai"

    @property
    def list_url(self) -> str:
        return f"{self.url}/api/tags" if self.api == "ollama" else f"{self.url}/v1/models"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL chat requests go to (Ollama serves one under /v1 too)."""
        return f"{self.url}/v1"


DEFAULT_ENDPOINTS = (
    Endpoint("llamacpp", "http://127.0.0.1:8080"),
    Endpoint("ollama", "http://127.0.0.1:11434", "ollama"),
    Endpoint("lmstudio", "http://127.0.0.1:1234"),
)


@dataclass
class FoundModel:
    id: str
    params_b: float | None = None  # parameters in billions, when the server or the name says it


@dataclass
class FoundServer:
    """One endpoint's answer: its models, or why it did not answer (`error`)."""

    endpoint: Endpoint
    models: list[FoundModel] = field(default_factory=list)
    error: str | None = None

    @property
    def up(self) -> bool:
        return self.error is None


class DiscoveryConfigError(ValueError):
    """A malformed endpoint list ($SKIFF_DISCOVER or the models file's `discover` key)."""


def _root(url: str) -> str:
    return url.strip().rstrip("/").removesuffix("/v1")


def _api_for(name: str) -> DiscoveryApi:
    return "ollama" if name.lower().startswith("ollama") else "openai"


def parse_env(value: str) -> tuple[Endpoint, ...]:
    """`off` (or empty) → none; `NAME=URL,NAME=URL` → those (an `ollama…` name asks Ollama's /api/tags)."""
    value = value.strip()
    if value.lower() in ("", "off", "0", "false", "no", "none"):
        return ()
    out = []
    for item in value.split(","):
        name, sep, url = item.strip().partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise DiscoveryConfigError(
                f"${ENV}: expected 'off' or NAME=URL items separated by commas, got {item.strip()!r}"
            )
        out.append(Endpoint(name.strip(), _root(url), _api_for(name.strip())))
    return tuple(out)


def parse_setting(value: Any, where: str) -> tuple[Endpoint, ...] | None:
    """The models file's `discover` key: false (none), true/absent (the defaults, None here), or a list
    of {"name", "url", "api"?: "openai" | "ollama"}."""
    if value is None or value is True:
        return None
    if value is False:
        return ()
    if not isinstance(value, list):
        raise DiscoveryConfigError(f"{where}: key 'discover' must be true, false or a list of endpoints")
    out = []
    for i, item in enumerate(value):
        ok = isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("url"), str)
        api = item.get("api") if isinstance(item, dict) else None
        if not ok or api not in (None, "openai", "ollama"):
            raise DiscoveryConfigError(
                f'{where}: key \'discover.{i}\': expected {{"name": ..., "url": ..., '
                f'"api": "openai" | "ollama"}}'
            )
        out.append(Endpoint(item["name"], _root(item["url"]), api or _api_for(item["name"])))
    return tuple(out)


def endpoints(setting: Any = None, where: str = "models.json") -> tuple[Endpoint, ...]:
    """The endpoints to probe: $SKIFF_DISCOVER, else the `discover` setting, else the defaults."""
    env = os.environ.get(ENV)
    if env is not None:
        return parse_env(env)
    chosen = parse_setting(setting, where)
    return DEFAULT_ENDPOINTS if chosen is None else chosen


# -- sizes and profiles -----------------------------------------------------------------------------------

# "1.5b", "7B", "135m", "30b-a3b" (the first number is the total); not "q4", "v2.5" or "a3b".
_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z0-9])", re.IGNORECASE)


def size_from_text(text: str) -> float | None:
    """Parameters in billions as a model name or Ollama's `parameter_size` says it ("1.5B", "135M")."""
    m = _SIZE.search(text.replace("_", "-"))
    if not m:
        return None
    number = float(m.group(1))
    return number / 1000 if m.group(2).lower() == "m" else number


def profile_for_size(params_b: float | None) -> str | None:
    """The shipped profile for a model of this size (docs/configuration.md: tiny under 1B, small 1B-9B,
    medium 10B-35B, large above); None when the size is unknown."""
    if params_b is None:
        return None
    if params_b < 1:
        return "tiny"
    if params_b < 10:
        return "small"
    if params_b <= 35:
        return "medium"
    return "large"


# -- probing ----------------------------------------------------------------------------------------------


def parse_models(endpoint: Endpoint, data: Any) -> list[FoundModel]:
    """The models in a `/v1/models` (`data[].id`) or `/api/tags` (`models[].name`) answer."""
    out: list[FoundModel] = []
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    if endpoint.api == "ollama":
        for item in data.get("models") or []:
            if isinstance(item, dict) and isinstance(item.get("name") or item.get("model"), str):
                name = item.get("name") or item["model"]
                details: dict[str, Any] = item["details"] if isinstance(item.get("details"), dict) else {}
                size = size_from_text(str(details.get("parameter_size") or "")) or size_from_text(name)
                out.append(FoundModel(name, size))
        return out
    for item in data.get("data") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            meta: dict[str, Any] = item["meta"] if isinstance(item.get("meta"), dict) else {}
            n_params = meta.get("n_params")  # llama.cpp's server
            size = n_params / 1e9 if isinstance(n_params, int | float) and n_params > 0 else None
            out.append(FoundModel(item["id"], size or size_from_text(item["id"].rsplit("/", 1)[-1])))
    return out


async def probe_one(client: httpx.AsyncClient, endpoint: Endpoint) -> FoundServer:
    try:
        response = await client.get(endpoint.list_url)
    except httpx.TimeoutException:
        return FoundServer(endpoint, error=f"no answer from {endpoint.list_url} within {PROBE_TIMEOUT} s")
    except httpx.HTTPError as exc:
        return FoundServer(endpoint, error=f"cannot reach {endpoint.list_url}: {type(exc).__name__}")
    if response.status_code >= 400:
        return FoundServer(endpoint, error=f"{endpoint.list_url} answered HTTP {response.status_code}")
    try:
        return FoundServer(endpoint, parse_models(endpoint, response.json()))
    except ValueError as exc:
        return FoundServer(endpoint, error=f"{endpoint.list_url} sent an unexpected answer: {exc}")


_CACHE: dict[tuple[Endpoint, ...], tuple[float, list[FoundServer]]] = {}


async def probe(
    targets: tuple[Endpoint, ...], timeout: float = PROBE_TIMEOUT, max_age: float = CACHE_SECONDS
) -> list[FoundServer]:
    """Every endpoint's answer, asked concurrently; answers younger than `max_age` seconds are reused."""
    if not targets:
        return []
    cached = _CACHE.get(targets)
    if cached is not None and time.monotonic() - cached[0] < max_age:
        return cached[1]
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), trust_env=False) as client:
        found = list(await asyncio.gather(*(probe_one(client, e) for e in targets)))
    _CACHE[targets] = (time.monotonic(), found)
    return found


def probe_sync(targets: tuple[Endpoint, ...], timeout: float = PROBE_TIMEOUT) -> list[FoundServer]:
    """`probe` for code without an event loop (the CLI)."""
    return asyncio.run(probe(targets, timeout))
