"""Builds the provider for a resolved model spec (OpenAI-compatible HTTP, in-process llama.cpp, scripted)."""

from __future__ import annotations

from typing import Any

from skiff.agent.config import ConfigError, ModelSpec
from skiff.agent.providers.base import Provider
from skiff.agent.providers.llama_cpp import LlamaCppProvider
from skiff.agent.providers.openai_compat import DEFAULT_IDLE_TIMEOUT, DEFAULT_TIMEOUT, OpenAICompatProvider
from skiff.agent.providers.scripted import ReplySpec, ScriptedProvider, from_model_entry


def _extra(entry: Any, *names: str) -> Any:
    """An optional key the schema does not declare (kept by `extra="allow"`), under any of `names`."""
    extra = getattr(entry, "model_extra", None) or {}
    return next((extra[n] for n in names if n in extra), None)


def _seconds(entry: Any, key: str, default: float, where: str) -> float:
    """An optional positive number of seconds under `key`."""
    value = _extra(entry, key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"{where}.{key} must be a positive number of seconds, got {value!r}")
    return float(value)


def make_provider(spec: ModelSpec, replies: list[ReplySpec] | None = None) -> Provider:
    """The provider for `spec`. A `scripted` model replays `replies` (given here, or in its models.json
    entry: that is how end-to-end tests drive the real server and CLI deterministically)."""
    api = spec.provider.api
    where = f"{spec.source}: providers.{spec.provider_name}"
    if api in ("openai-completions", "openai"):
        if not spec.provider.base_url:
            raise ConfigError(f"{where}.baseUrl is missing")
        headers = _extra(spec.provider, "headers")
        if headers is not None and not isinstance(headers, dict):
            raise ConfigError(f"{where}.headers must be an object of header names to values")
        return OpenAICompatProvider(
            base_url=spec.provider.base_url,
            model=spec.model.id,
            api_key=spec.api_key(),
            timeout=_seconds(spec.provider, "timeout", DEFAULT_TIMEOUT, where),
            idle_timeout=_seconds(spec.provider, "idleTimeout", DEFAULT_IDLE_TIMEOUT, where),
            extra_headers={str(k): str(v) for k, v in (headers or {}).items()},
        )
    if api == "llama-cpp":
        threads = _extra(spec.model, "nThreads", "threads")
        return LlamaCppProvider(
            spec.model_path(),
            n_ctx=spec.context_limit,
            n_threads=int(threads) if threads else None,
            chat_format=_extra(spec.model, "chatFormat"),
        )
    if api == "scripted":
        if replies is not None:
            return ScriptedProvider(replies)
        if _extra(spec.model, "replies") is None:
            raise ConfigError(f"{where}.models[{spec.model.id}]: a 'scripted' model needs a replies list")
        return from_model_entry(spec.model.model_extra or {})
    raise ConfigError(f"{where}.api: unknown api '{api}'")
