"""Local model servers found on loopback ports the tests start (never the real default ports), their models
merged into the registry with a profile from their size, and models.json re-read when it changes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sse_server import SSEServer, free_port, json_reply

from skiff.agent import discovery
from skiff.agent.catalog import ModelCatalog, merge
from skiff.agent.config import ConfigError, Registry
from skiff.agent.discovery import Endpoint, FoundModel, FoundServer

OLLAMA_TAGS = {
    "models": [
        {"name": "qwen2.5-coder:1.5b", "model": "qwen2.5-coder:1.5b", "details": {"parameter_size": "1.5B"}},
        {"name": "llama3.2:latest", "model": "llama3.2:latest", "details": {"parameter_size": "3.2B"}},
        {"name": "mystery:latest", "model": "mystery:latest", "details": {}},
    ]
}
LLAMACPP_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "/models/Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf",
            "object": "model",
            "meta": {"n_params": 32_763_876_352, "n_ctx_train": 32768},
        }
    ],
}


@pytest.fixture
def ollama() -> Iterator[SSEServer]:
    with SSEServer() as server:
        server.always("/api/tags", json_reply(OLLAMA_TAGS))
        yield server


@pytest.fixture
def llamacpp() -> Iterator[SSEServer]:
    with SSEServer() as server:
        server.always("/v1/models", json_reply(LLAMACPP_MODELS))
        yield server


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("qwen2.5-coder:1.5b", 1.5),
        ("Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf", 7.0),
        ("smollm2-135m", 0.135),
        ("qwen3-coder-30b-a3b", 30.0),
        ("135M", 0.135),
        ("llama3.2:latest", None),
        ("phi4-mini", None),
        ("model_q4_k_m", None),
    ],
)
def test_size_from_name(text: str, size: float | None) -> None:
    assert discovery.size_from_text(text) == size


@pytest.mark.parametrize(
    ("size", "profile"),
    [
        (0.135, "tiny"),
        (1.5, "small"),
        (7, "small"),
        (14, "medium"),
        (32.7, "medium"),
        (70, "large"),
        (None, None),
    ],
)
def test_profile_for_size(size: float | None, profile: str | None) -> None:
    assert discovery.profile_for_size(size) == profile


def test_endpoints_from_env_setting_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIFF_DISCOVER", "ollama=http://127.0.0.1:5/,mine=http://127.0.0.1:6/v1")
    assert discovery.endpoints() == (
        Endpoint("ollama", "http://127.0.0.1:5", "ollama"),
        Endpoint("mine", "http://127.0.0.1:6", "openai"),
    )
    monkeypatch.setenv("SKIFF_DISCOVER", "off")
    assert discovery.endpoints([{"name": "x", "url": "http://h:1"}]) == ()
    monkeypatch.setenv("SKIFF_DISCOVER", "nonsense")
    with pytest.raises(discovery.DiscoveryConfigError, match="NAME=URL"):
        discovery.endpoints()
    monkeypatch.delenv("SKIFF_DISCOVER")
    assert discovery.endpoints(None) == discovery.DEFAULT_ENDPOINTS
    assert [e.url for e in discovery.DEFAULT_ENDPOINTS] == [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:11434",
        "http://127.0.0.1:1234",
    ]
    assert discovery.endpoints(False) == ()
    assert discovery.endpoints([{"name": "lab", "url": "http://10.0.0.2:11434", "api": "ollama"}]) == (
        Endpoint("lab", "http://10.0.0.2:11434", "ollama"),
    )
    with pytest.raises(discovery.DiscoveryConfigError, match=r"discover\.0"):
        discovery.endpoints([{"name": "lab"}], "me.json")


async def test_probe_reads_ollama_and_llamacpp_and_reports_down(
    ollama: SSEServer, llamacpp: SSEServer
) -> None:
    down = Endpoint("lmstudio", f"http://127.0.0.1:{free_port()}")
    targets = (Endpoint("ollama", ollama.url, "ollama"), Endpoint("llamacpp", llamacpp.url), down)
    found = await discovery.probe(targets, max_age=0)
    by_name = {f.endpoint.name: f for f in found}
    assert [(m.id, m.params_b) for m in by_name["ollama"].models] == [
        ("qwen2.5-coder:1.5b", 1.5),
        ("llama3.2:latest", 3.2),
        ("mystery:latest", None),
    ]
    assert by_name["llamacpp"].models[0].params_b == pytest.approx(32.76, abs=0.01)
    assert not by_name["lmstudio"].up and "cannot reach" in (by_name["lmstudio"].error or "")
    assert [r.path for r in ollama.requests] == ["/api/tags"]
    assert [r.path for r in llamacpp.requests] == ["/v1/models"]


async def test_probe_caches_answers_briefly(ollama: SSEServer) -> None:
    targets = (Endpoint("ollama", ollama.url, "ollama"),)
    first = await discovery.probe(targets, max_age=0)
    again = await discovery.probe(targets)  # within the cache age: the same answer, no new request
    assert again is first and len(ollama.requests) == 1
    await discovery.probe(targets, max_age=0)
    assert len(ollama.requests) == 2


async def test_probe_gives_up_on_a_server_that_never_answers() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        found = await discovery.probe((Endpoint("llamacpp", f"http://127.0.0.1:{port}"),), max_age=0)
    assert not found[0].up and "no answer" in (found[0].error or "")


def _registry(tmp_path: Path, providers: dict[str, object]) -> Registry:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"providers": providers}))
    return Registry(user=path)


def test_merge_joins_the_provider_at_the_same_url_and_picks_profiles_by_size(tmp_path: Path) -> None:
    registry = _registry(
        tmp_path,
        {
            "ollama": {
                "baseUrl": "http://localhost:11434/v1",
                "models": [{"id": "qwen2.5-coder:1.5b", "profile": "small-routed"}],
            }
        },
    )
    ep = Endpoint("ollama", "http://127.0.0.1:11434", "ollama")
    models = [FoundModel("qwen2.5-coder:1.5b", 1.5), FoundModel("llama3.2:3b", 3.0), FoundModel("odd", None)]
    merged, served = merge(registry, [FoundServer(ep, models)])
    ids = [m.id for m in merged.providers["ollama"].models]
    assert ids == ["qwen2.5-coder:1.5b", "llama3.2:3b", "odd"]  # the registry's entry is kept, not doubled
    assert merged.resolve("ollama/qwen2.5-coder:1.5b").profile == registry.profiles["small-routed"]
    assert merged.resolve("ollama/llama3.2:3b").profile == registry.profiles["small"]
    assert merged.resolve("ollama/odd").profile == registry.profiles["default"]
    assert served == {"ollama/qwen2.5-coder:1.5b", "ollama/llama3.2:3b", "ollama/odd"}
    assert [m.id for m in registry.providers["ollama"].models] == ["qwen2.5-coder:1.5b"]  # not mutated


def test_merge_gives_a_server_elsewhere_its_own_provider(tmp_path: Path) -> None:
    registry = _registry(tmp_path, {})  # the shipped `llamacpp` provider points at port 8080
    ep = Endpoint("llamacpp", "http://127.0.0.1:9999")
    merged, _ = merge(registry, [FoundServer(ep, [FoundModel("/m/tiny-0.5b.gguf", 0.5)])])
    spec = merged.resolve("llamacpp-9999//m/tiny-0.5b.gguf")
    assert spec.provider.base_url == "http://127.0.0.1:9999/v1"
    assert spec.model.id == "/m/tiny-0.5b.gguf"
    assert spec.profile == registry.profiles["tiny"]
    assert merged.sources["llamacpp-9999"] == "discovered at http://127.0.0.1:9999"
    down = FoundServer(Endpoint("lmstudio", "http://127.0.0.1:1"), error="cannot reach")
    assert merge(registry, [down])[0].providers.keys() == registry.providers.keys()


async def test_catalog_lists_discovered_models_and_resolves_them_on_demand(
    ollama: SSEServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKIFF_DISCOVER", f"ollama={ollama.url}")
    monkeypatch.setenv("SKIFF_MODELS_FILE", str(tmp_path / "none.json"))
    (tmp_path / "none.json").write_text("{}")
    catalog = ModelCatalog()
    port = ollama.url.rsplit(":", 1)[-1]
    ref = f"ollama-{port}/llama3.2:latest"
    with pytest.raises(ConfigError):
        catalog.resolve(ref)  # not probed yet
    spec = await catalog.resolve_async(ref)  # probes, then finds it
    assert spec.provider.base_url == f"{ollama.url}/v1" and spec.model.id == "llama3.2:latest"
    row = next(r for r in catalog.rows() if r["id"] == ref)
    assert row["discovered"] is True and row["served"] is True and row["profile"] == "small"
    assert row["source"] == f"discovered at {ollama.url}"
    shipped = next(r for r in catalog.rows() if r["id"] == "embedded/smollm2-135m")
    assert shipped["discovered"] is False and shipped["served"] is False
    with pytest.raises(ConfigError, match=r"serves: qwen2\.5-coder:1\.5b.*ollama pull nope"):
        await catalog.resolve_async(f"ollama-{port}/nope")
    with pytest.raises(ConfigError):
        await catalog.resolve_async("test/nope")  # not a discovered provider: no probe
    assert len(ollama.requests) == 2


def test_catalog_rereads_models_json_when_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "models.json"
    monkeypatch.setenv("SKIFF_MODELS_FILE", str(path))

    def write(models: list[dict[str, object]]) -> None:
        path.write_text(json.dumps({"providers": {"t": {"api": "scripted", "models": models}}}))

    write([{"id": "a", "replies": ["hi"]}])
    errors: list[str] = []
    catalog = ModelCatalog(on_error=errors.append)
    assert [r["id"] for r in catalog.rows() if r["provider"] == "t"] == ["t/a"]
    write([{"id": "a", "replies": ["hi"]}, {"id": "added-later", "replies": ["hello"]}])
    assert catalog.resolve("t/added-later").model.id == "added-later"  # no restart
    path.write_text('{"providers": {"t": ')  # a half-saved file
    assert catalog.resolve("t/added-later").model.id == "added-later"  # the last good registry stays
    assert catalog.resolve("t/a") is not None
    assert len(errors) == 1 and str(path) in errors[0] and "invalid JSON" in errors[0]
    write([{"id": "b", "replies": ["x"]}])
    assert [r["id"] for r in catalog.rows() if r["provider"] == "t"] == ["t/b"]
    assert len(errors) == 1


def test_catalog_starts_with_the_shipped_models_when_the_user_file_is_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "models.json"
    path.write_text("{oops")
    monkeypatch.setenv("SKIFF_MODELS_FILE", str(path))
    errors: list[str] = []
    catalog = ModelCatalog(on_error=errors.append)
    assert catalog.resolve(None).ref == "embedded/smollm2-135m" and len(errors) == 1
    with pytest.raises(ConfigError):
        ModelCatalog(strict=True)
    path.write_text(
        json.dumps({"default": "t/a", "providers": {"t": {"api": "scripted", "models": [{"id": "a"}]}}})
    )
    assert catalog.resolve(None).ref == "t/a"  # fixed: picked up


async def test_a_malformed_endpoint_list_is_reported_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "m.json").write_text("{}")
    monkeypatch.setenv("SKIFF_MODELS_FILE", str(tmp_path / "m.json"))
    monkeypatch.setenv("SKIFF_DISCOVER", "ollama:11434")
    errors: list[str] = []
    catalog = ModelCatalog(on_error=errors.append)
    assert await catalog.discover() == [] and await catalog.discover() == []
    assert not catalog.discoverable("ollama/x")
    assert len(errors) == 1 and "SKIFF_DISCOVER" in errors[0] and "not looking for local servers" in errors[0]
