"""The `write` tool: creates a new file in the turn overlay; for existing files it points to `edit`."""

from __future__ import annotations

from pydantic import Field

from skiff.agent.textdiff import split_lines
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from skiff.agent.tools.edit import EditTool
from skiff.agent.tools.read import is_dir, rel


class WriteArgs(ToolArgs):
    path: str = Field(description="New file path")
    content: str = Field(description="Full text of the file")


class WriteTool(Tool[WriteArgs]):
    name = "write"
    description = "Create a new file. To change an existing file use edit."
    Args = WriteArgs
    example = {"path": "src/util.py", "content": "<the whole content of the new file>"}
    kind = "edit"
    category = "edit"

    async def run(self, args: WriteArgs, ctx: ToolContext) -> ToolResult:
        path = ctx.workspace.resolve(args.path)
        shown = rel(ctx, path)
        if path == ctx.workspace.root or path.is_dir() or is_dir(ctx, path):
            return ToolResult.fail("exists", f"{shown} is a folder. Give write a file path inside it.")
        if ctx.overlay.exists(path):
            return ToolResult.fail(
                "exists",
                f"{shown} already exists; write only creates new files. Change it with edit, quoting the "
                f"lines to replace. {EditTool.recipe()}",
            )
        for parent in path.parents:
            if parent == ctx.workspace.root:
                break
            if parent.is_file() or ctx.overlay.read(parent) is not None:
                return ToolResult.fail("failed", f"Cannot create {shown}: {rel(ctx, parent)} is a file.")
        content = args.content
        if content and not content.endswith(("\n", "\r")):
            content += "\n"
        ctx.overlay.write(path, content)
        return ToolResult(f"Created {shown} ({len(split_lines(content))} lines).")
