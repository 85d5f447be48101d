"""The scratchpad tool: replaces the session plan, emits PlanUpdate, and renders it for the model."""

from __future__ import annotations

from pathlib import Path

from skiff.agent.events import Event, PlanUpdate
from skiff.agent.tools.base import ToolContext
from skiff.agent.tools.scratchpad import MAX_ITEMS, ScratchpadArgs, ScratchpadTool, render_scratchpad
from skiff.agent.workspace import Overlay, Workspace


def make_ctx(root: Path, events: list[Event]) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws), emit=events.append)


async def test_replaces_plan_emits_and_renders(tmp_path: Path) -> None:
    events: list[Event] = []
    ctx = make_ctx(tmp_path, events)
    assert render_scratchpad(ctx.state) is None
    args = ScratchpadArgs.model_validate(ScratchpadTool.example)
    result = await ScratchpadTool().run(args, ctx)
    expected = "Plan (1/3 done):\n[x] Find the failing test\n[>] Fix the parser\n[ ] Run the tests"
    assert result.ok and result.output == expected
    assert render_scratchpad(ctx.state) == expected
    assert events == [
        PlanUpdate(
            entries=[
                {"content": "Find the failing test", "status": "completed"},
                {"content": "Fix the parser", "status": "in_progress"},
                {"content": "Run the tests", "status": "pending"},
            ]
        )
    ]
    second = ScratchpadArgs.model_validate({"items": [{"content": "Only   step\nnow"}]})
    result = await ScratchpadTool().run(second, ctx)
    assert result.output == "Plan (0/1 done):\n[ ] Only step now"
    assert ctx.state["scratchpad"] == [{"content": "Only step now", "status": "pending"}]


async def test_empty_list_clears_and_long_lists_are_capped(tmp_path: Path) -> None:
    events: list[Event] = []
    ctx = make_ctx(tmp_path, events)
    many = ScratchpadArgs.model_validate({"items": [{"content": f"s{i}"} for i in range(MAX_ITEMS + 5)]})
    result = await ScratchpadTool().run(many, ctx)
    assert len(ctx.state["scratchpad"]) == MAX_ITEMS
    assert f"only the first {MAX_ITEMS} steps" in result.output
    cleared = await ScratchpadTool().run(ScratchpadArgs(items=[]), ctx)
    assert cleared.output == "Plan cleared."
    assert render_scratchpad(ctx.state) is None
    assert isinstance(events[-1], PlanUpdate) and events[-1].entries == []


def test_schema_is_inlined() -> None:
    params = ScratchpadTool.parameters()
    assert "$defs" not in params and "$ref" not in str(params)
    item = params["properties"]["items"]["items"]
    assert item["properties"]["status"]["enum"] == ["pending", "in_progress", "completed"]
