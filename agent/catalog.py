"""The models a session can pick: the registry as the models files say now, plus what local servers serve.

`ModelCatalog` re-reads `models.json` when a file's mtime or size changed (checked each time the registry
is read, so an added model needs no restart; an invalid edit keeps the last good registry and is reported
once), and merges the models that discovery found (agent/discovery.py) into it: a server's models join the
registry provider of the same name and URL (`ollama/qwen2.5-coder:7b`), or a provider of their own.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from skiff.agent import discovery
from skiff.agent.config import (
    ConfigError,
    ModelEntry,
    ModelSpec,
    ProviderEntry,
    Registry,
    models_files_stamp,
)
from skiff.agent.discovery import Endpoint, FoundServer

log = logging.getLogger(__name__)


def _same_server(a: str | None, b: str) -> bool:
    def norm(url: str) -> str:
        return url.rstrip("/").removesuffix("/v1").replace("://localhost", "://127.0.0.1")

    return a is not None and norm(a) == norm(b)


def _port_name(endpoint: Endpoint) -> str:
    return f"{endpoint.name}-{endpoint.url.rsplit(':', 1)[-1]}"


def merge(registry: Registry, found: list[FoundServer]) -> tuple[Registry, set[str]]:
    """`registry` plus the found servers' models (marked `discovered` with the server's URL), and the refs
    a running server serves right now."""
    merged = copy.copy(registry)
    merged.providers = dict(registry.providers)
    merged.sources = dict(registry.sources)
    served: set[str] = set()
    for server in found:
        if not server.up:
            continue
        ep = server.endpoint
        name = ep.name
        existing = merged.providers.get(name)
        if existing is not None and not _same_server(existing.base_url, ep.url):
            name = _port_name(ep)  # the registry's provider of that name points elsewhere
            existing = merged.providers.get(name)
        if existing is None:
            provider = ProviderEntry(api="openai-completions", baseUrl=ep.base_url, models=[])
            merged.sources[name] = f"discovered at {ep.url}"
        else:
            provider = existing.model_copy(update={"models": list(existing.models)})
        known = {m.id for m in provider.models}
        for model in server.models:
            served.add(f"{name}/{model.id}")
            if model.id in known:
                continue
            profile = discovery.profile_for_size(model.params_b)
            entry: dict[str, Any] = {"id": model.id, "name": f"{model.id} ({ep.name}, discovered)"}
            if profile in registry.profiles:
                entry["profile"] = profile
            entry["discovered"] = ep.url
            provider.models.append(ModelEntry.model_validate(entry))
            known.add(model.id)
        merged.providers[name] = provider
    return merged, served


class ModelCatalog:
    """The registry (reloaded when its files change) merged with the models local servers serve."""

    def __init__(
        self,
        load: Callable[[], Registry] = Registry,
        on_error: Callable[[str], None] | None = None,
        stamp: Callable[[], Any] = models_files_stamp,
        strict: bool = False,
    ) -> None:
        """`strict`: an invalid models file at the start raises ConfigError (the CLI stops with it);
        otherwise it is reported through `on_error` and the shipped models are used."""
        self._load = load
        self._stamp = stamp
        self._on_error = on_error or (lambda message: log.error("%s", message))
        self.found: list[FoundServer] = []
        self._endpoint_error: str | None = None
        self._merged: tuple[Registry, set[str]] | None = None
        self._read = stamp()
        try:
            self._base = load()
        except ConfigError as exc:  # a broken user file: the shipped models, until the file is fixed
            if strict:
                raise
            self._on_error(f"invalid models file, using the shipped models only: {exc}")
            self._base = Registry(user=None)

    # -- the registry --------------------------------------------------------------------------------

    def base(self) -> Registry:
        """The registry from the files, read again when one changed (an invalid file is reported once,
        and the previous registry stays)."""
        now = self._stamp()
        if now != self._read:
            self._read = now
            try:
                fresh = self._load()
            except ConfigError as exc:
                self._on_error(f"the models file changed but is invalid, keeping the previous models: {exc}")
                return self._base
            log.info("a models file changed: registry read again")
            self._base, self._merged = fresh, None
        return self._base

    def registry(self) -> Registry:
        """The registry with the discovered models merged in."""
        base = self.base()
        if self._merged is None:
            self._merged = merge(base, self.found)
        return self._merged[0]

    def served(self) -> set[str]:
        self.registry()
        return self._merged[1] if self._merged else set()

    def resolve(self, ref: str | None) -> ModelSpec:
        return self.registry().resolve(ref)

    # -- discovery -----------------------------------------------------------------------------------

    def endpoints(self) -> tuple[Endpoint, ...]:
        base = self.base()
        try:
            return discovery.endpoints(base.discover, base.discover_source)
        except discovery.DiscoveryConfigError as exc:
            if str(exc) != self._endpoint_error:  # said once, not at every listing
                self._endpoint_error = str(exc)
                self._on_error(f"{exc}; not looking for local servers")
            return ()

    async def discover(self, max_age: float = discovery.CACHE_SECONDS) -> list[FoundServer]:
        """Ask the local servers for their models (answers younger than `max_age` s are reused)."""
        found = await discovery.probe(self.endpoints(), max_age=max_age)
        if found is not self.found:
            self.found, self._merged = found, None
        return found

    def discoverable(self, ref: str | None) -> bool:
        """Whether `ref` names a provider that discovery probes (so probing may make it known)."""
        provider = (ref or "").partition("/")[0]
        return any(provider == e.name or provider.startswith(f"{e.name}-") for e in self.endpoints())

    async def resolve_async(self, ref: str | None) -> ModelSpec:
        """`resolve`, probing the local servers first when `ref` is unknown but could be served by one."""
        try:
            return self.resolve(ref)
        except ConfigError:
            if not self.discoverable(ref):
                raise
        await self.discover(max_age=0)
        try:
            return self.resolve(ref)
        except ConfigError as exc:
            raise ConfigError(f"{exc}{self._served_hint(ref)}") from None

    def _served_hint(self, ref: str | None) -> str:
        provider, _, model = (ref or "").partition("/")
        for server in self.found:
            if provider not in (server.endpoint.name, _port_name(server.endpoint)):
                continue
            if not server.up:
                return f" (and nothing answers at {server.endpoint.url}: {server.error})"
            names = ", ".join(m.id for m in server.models) or "no models"
            pull = f" Fix: ollama pull {model}" if server.endpoint.api == "ollama" else ""
            return f" (the server at {server.endpoint.url} serves: {names}).{pull}"
        return ""

    # -- listing -------------------------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        """Every model as `skiff/models` lists it (`discovered`: found on a local server, not in a file;
        `served`: a local server answered with it just now)."""
        reg = self.registry()
        served = self.served()
        out = []
        for name, provider in reg.providers.items():
            for m in provider.models:
                ref = f"{name}/{m.id}"
                found_at = (m.model_extra or {}).get("discovered")
                try:
                    context = reg.resolve(ref).context_limit
                except ConfigError:
                    context = m.context_window
                out.append(
                    {
                        "id": ref,
                        "name": m.name or m.id,
                        "provider": name,
                        "api": provider.api,
                        "contextWindow": m.context_window,
                        "contextLimit": context,
                        "profile": m.profile
                        if isinstance(m.profile, str)
                        else "inline"
                        if m.profile
                        else "default",
                        "source": f"discovered at {found_at}" if found_at else reg.sources[name],
                        "discovered": bool(found_at),
                        "served": ref in served,
                    }
                )
        return out
