"""Models over the wire: `skiff/models` lists what a (loopback) Ollama serves beside the registry,
`skiff/setModel` picks it and a turn runs on it, models.json edits need no restart, `skiff/status`
`checkModel` tries the model for real, and a failed turn says why and what fixes it."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from conftest import reset_workspace
from lsp_editor import chat, ed, make_client, plain
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from sse_server import TEXT_STREAM, Reply, SSEServer, free_port, json_reply, sse

pytestmark = pytest.mark.asyncio(loop_scope="module")

# A loopback Ollama (its /api/tags and OpenAI-compatible chat), probed instead of the real default ports.
OLLAMA = SSEServer().start()
atexit.register(OLLAMA.close)
OLLAMA.always(
    "/api/tags",
    json_reply({"models": [{"name": "coder:1.5b", "details": {"parameter_size": "1.5B"}}]}),
)
OLLAMA.always("/v1/chat/completions", Reply(chunks=sse(*TEXT_STREAM)))
PORT = OLLAMA.url.rsplit(":", 1)[-1]
DISCOVERED = f"ollama-{PORT}/coder:1.5b"
DOWN_URL = f"http://127.0.0.1:{free_port()}/v1"

DIR = Path(tempfile.mkdtemp(prefix="skiff-lsp-models-"))
atexit.register(shutil.rmtree, DIR, True)
MODELS_FILE = DIR / "models.json"


def write_models(extra: list[dict[str, object]] | None = None) -> None:
    scripted = [{"id": "hello", "replies": ["Hello."]}, *(extra or [])]
    MODELS_FILE.write_text(
        json.dumps(
            {
                "default": "t/hello",
                "providers": {
                    "t": {"api": "scripted", "models": scripted},
                    "down": {"baseUrl": DOWN_URL, "models": [{"id": "m"}]},
                    "local": {"api": "llama-cpp", "models": [{"id": "gone", "path": str(DIR / "gone.gguf")}]},
                },
            }
        )
    )


write_models()

SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "skiff.server"],
    client_factory=make_client,
    server_env={
        **os.environ,
        "SKIFF_MODELS_FILE": str(MODELS_FILE),
        "SKIFF_DISCOVER": f"ollama={OLLAMA.url}",
    },
)


INIT_OPTIONS = {"model": "t/hello", "skiffUi": True}  # conftest's `fresh` picks this model before each test


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workspace: Path):
    reset_workspace(workspace)
    ed(lsp_client).root = workspace
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("neovim"),
            root_uri=workspace.as_uri(),
            initialization_options=INIT_OPTIONS,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_discovered_models_are_listed_and_pickable(client: LanguageClient) -> None:
    editor = ed(client)
    listed = plain(await editor.request("skiff/models", {}))
    entry = next(m for m in listed["models"] if m["id"] == DISCOVERED)
    assert entry["discovered"] is True and entry["served"] is True
    assert entry["source"] == f"discovered at {OLLAMA.url}" and entry["profile"] == "small"
    assert next(m for m in listed["models"] if m["id"] == "t/hello")["discovered"] is False
    assert plain(await editor.request("skiff/setModel", {"model": DISCOVERED})) == {"model": DISCOVERED}
    result = await chat(client, "say hello")
    assert result["stopReason"] == "end_turn", result
    sent = OLLAMA.requests_to("/v1/chat/completions")
    assert sent and sent[-1].body["model"] == "coder:1.5b"
    with pytest.raises(JsonRpcException) as missing:
        await editor.request("skiff/setModel", {"model": f"ollama-{PORT}/not-pulled"})
    assert missing.value.code == -32602
    assert "serves: coder:1.5b" in missing.value.message and "ollama pull not-pulled" in missing.value.message


async def test_models_json_edits_need_no_restart(client: LanguageClient) -> None:
    editor = ed(client)
    write_models([{"id": "added", "replies": ["Added without a restart."]}])
    listed = plain(await editor.request("skiff/models", {}))
    assert "t/added" in [m["id"] for m in listed["models"]]
    await editor.request("skiff/setModel", {"model": "t/added"})
    assert (await chat(client, "hi"))["stopReason"] == "end_turn"
    write_models()


async def test_status_check_model_and_failed_turns_say_what_to_fix(client: LanguageClient) -> None:
    editor = ed(client)
    await editor.request("skiff/setModel", {"model": "local/gone"})
    status = plain(await editor.request("skiff/status", {"checkModel": True}))
    check = status["modelCheck"]
    assert check["ok"] is False and check["model"] == "local/gone"
    assert "gone.gguf does not exist" in check["summary"] and "path" in check["fix"]
    assert plain(await editor.request("skiff/status", {}))["modelCheck"] == check  # kept until asked again

    await editor.request("skiff/setModel", {"model": "down/m"})
    status = plain(await editor.request("skiff/status", {"checkModel": True}))
    assert status["modelCheck"]["ok"] is False and "nothing answers" in status["modelCheck"]["summary"]
    result = await chat(client, "hi")
    assert result["stopReason"] == "error"
    assert DOWN_URL in result["error"] and " Fix: start the model server" in result["error"]
    errors = editor.updates(result["sessionId"], "error")
    assert errors and errors[-1]["message"] == result["error"]

    await editor.request("skiff/setModel", {"model": "t/hello"})
    status = plain(await editor.request("skiff/status", {"checkModel": True}))
    assert status["modelCheck"]["ok"] is True
