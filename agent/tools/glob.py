"""The `glob` tool: workspace files by name pattern, .gitignore respected, this turn's new files included."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import Field

from skiff.agent.text.ignore import IgnoreMatcher, compile_path_glob
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from skiff.agent.tools.read import inside, is_dir, not_found, rel, virtual_texts

MAX_FILES = 200


class GlobArgs(ToolArgs):
    pattern: str = Field(description='e.g. "**/*.py"; without "/" it matches names at any depth')
    path: str = Field(".", description="Folder to search")


class GlobTool(Tool[GlobArgs]):
    name = "glob"
    description = "List files matching a glob pattern, sorted by path."
    Args = GlobArgs
    example = {"pattern": "*.py", "path": "src"}
    kind = "search"
    category = "search"

    async def run(self, args: GlobArgs, ctx: ToolContext) -> ToolResult:
        base = ctx.workspace.resolve(args.path)
        if not is_dir(ctx, base):
            if ctx.overlay.exists(base):
                return ToolResult.fail("invalid_args", f"{rel(ctx, base)} is a file; path must be a folder.")
            return await not_found(ctx, base)
        regex = compile_path_glob(args.pattern)
        root = ctx.workspace.root
        matcher = IgnoreMatcher(root)
        virtual = virtual_texts(ctx)

        def scan() -> set[Path]:
            return set(matcher.walk(base)) if base.is_dir() else set()

        found = await asyncio.to_thread(scan)
        for path, text in virtual.items():
            if text is None:
                found.discard(path)
            elif base in path.parents and (
                path in ctx.overlay.current or not matcher.is_ignored(rel(ctx, path))
            ):
                found.add(path)
        hits = sorted(
            rel(ctx, p) for p in found if inside(ctx, p) and regex.fullmatch(p.relative_to(base).as_posix())
        )
        where = rel(ctx, base)
        if not hits:
            return ToolResult(f"No files match {args.pattern!r} under {where}/.")
        out = "\n".join(hits[:MAX_FILES])
        if len(hits) > MAX_FILES:
            out += f"\n... and {len(hits) - MAX_FILES} more; narrow the pattern or path."
        return ToolResult(out)
