"""The `scratchpad` tool: the model's plan/TODO list for the session, shown back to it on every call."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from skiff.agent.events import PlanUpdate
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult

STATE_KEY = "scratchpad"
MAX_ITEMS = 30
MAX_ITEM_CHARS = 300
MARKS = {"pending": "[ ]", "in_progress": "[>]", "completed": "[x]"}

Status = Literal["pending", "in_progress", "completed"]


# One step. Unknown keys (a model's "id" or "priority") are ignored rather than refused. No docstring:
# pydantic would put it in the schema sent to the model.
class PlanItem(BaseModel):
    content: str
    status: Status = "pending"


class ScratchpadArgs(ToolArgs):
    items: list[PlanItem] = Field(description="The whole plan, in order")


def render_scratchpad(state: dict[str, Any]) -> str | None:
    """The current plan as a compact checklist, or None when there is none."""
    items = state.get(STATE_KEY) or []
    if not items:
        return None
    lines = [f"{MARKS.get(i['status'], '[ ]')} {i['content']}" for i in items]
    done = sum(1 for i in items if i["status"] == "completed")
    return f"Plan ({done}/{len(items)} done):\n" + "\n".join(lines)


def _inline_refs(schema: Any, defs: dict[str, Any]) -> Any:
    """Replace `$ref`s by their definitions: fewer tokens, and simpler for small models' grammars."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline_refs(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(v, defs) for v in schema]
    return schema


class ScratchpadTool(Tool[ScratchpadArgs]):
    name = "scratchpad"
    description = "Write your step-by-step plan; resend the full list as steps progress."
    Args = ScratchpadArgs
    example = {
        "items": [
            {"content": "Find the failing test", "status": "completed"},
            {"content": "Fix the parser", "status": "in_progress"},
            {"content": "Run the tests", "status": "pending"},
        ]
    }
    kind = "think"
    category = "plan"

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        schema = super().parameters()
        return dict(_inline_refs(schema, schema.get("$defs", {})))

    async def run(self, args: ScratchpadArgs, ctx: ToolContext) -> ToolResult:
        entries = [
            {"content": " ".join(i.content.split())[:MAX_ITEM_CHARS], "status": i.status}
            for i in args.items[:MAX_ITEMS]
            if i.content.strip()
        ]
        ctx.state[STATE_KEY] = entries
        ctx.emit(PlanUpdate(entries=[dict(e) for e in entries]))
        rendered = render_scratchpad(ctx.state)
        if rendered is None:
            return ToolResult("Plan cleared.")
        note = f"\n[only the first {MAX_ITEMS} steps were kept]" if len(args.items) > MAX_ITEMS else ""
        return ToolResult(rendered + note)
