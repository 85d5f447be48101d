"""The `read` tool (numbered file lines or a folder listing) and the file helpers the other tools share.

Secret-looking files (`.env*`, `*.pem`, `*.key`, `id_rsa*`, credential files: agent/redact.py) and files
.gitignore excludes are opened only after the user allows it (`guard_private`); with nobody to ask, the
tool says so instead of reading.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from pydantic import Field

from skiff.agent.redact import is_secret_path
from skiff.agent.text.ignore import ALWAYS_SKIP, IgnoreMatcher
from skiff.agent.text.similarity import close_matches
from skiff.agent.textdiff import split_lines
from skiff.agent.tools.base import PermissionRequest, Tool, ToolArgs, ToolContext, ToolResult

MAX_LINES = 2000  # the most lines one call returns, whatever `limit` says
MAX_CHARS = 20_000  # output budget of one call
MAX_LINE_CHARS = 500  # longer lines are cut
MAX_ENTRIES = 200  # folder listing cap
SNIFF_BYTES = 8192
SUGGEST_SCAN = 20_000  # files looked at when suggesting a name for a missing path


def rel(ctx: ToolContext, path: Path) -> str:
    """The workspace-relative display form of a resolved path."""
    return ctx.workspace.relative(path)


def looks_binary(path: Path) -> bool:
    """A NUL byte in the first 8 KiB, as git and ripgrep decide."""
    try:
        with path.open("rb") as f:
            return b"\0" in f.read(SNIFF_BYTES)
    except OSError:
        return False


def inside(ctx: ToolContext, path: Path) -> bool:
    """Whether a resolved path is the workspace root or below it."""
    root = ctx.workspace.root
    return path == root or root in path.parents


def virtual_texts(ctx: ToolContext) -> dict[Path, str | None]:
    """Files whose text is not (only) on disk: open editor buffers, then this turn's overlay on top
    (None marks a file the turn deleted). Paths are resolved and inside the workspace."""
    out: dict[Path, str | None] = {}
    for p in ctx.workspace.documents.open_paths():
        path = Path(p).resolve()
        if inside(ctx, path):
            text = ctx.workspace.documents.get(p)
            if text is not None:
                out[path] = text
    for path, text in ctx.overlay.current.items():
        if inside(ctx, path):
            out[path] = text
    return out


async def suggest(ctx: ToolContext, path: Path, limit: int = 3) -> list[str]:
    """Workspace files whose names are closest to a path that does not exist."""
    matcher = IgnoreMatcher(ctx.workspace.root)
    virtual = virtual_texts(ctx)

    def scan() -> set[str]:
        return {rel(ctx, p) for p in itertools.islice(matcher.walk(ctx.workspace.root), SUGGEST_SCAN)}

    known = await asyncio.to_thread(scan)
    known |= {rel(ctx, p) for p, t in virtual.items() if t is not None}
    known -= {rel(ctx, p) for p, t in virtual.items() if t is None}
    wanted = rel(ctx, path)
    by_name: dict[str, list[str]] = {}
    for k in known:
        by_name.setdefault(k.rsplit("/", 1)[-1], []).append(k)
    names = close_matches(path.name, by_name, n=limit, cutoff=0.6)
    found = [p for n in names for p in sorted(by_name[n])]
    found += close_matches(wanted, sorted(known), n=limit, cutoff=0.6)
    return list(dict.fromkeys(found))[:limit]


async def not_found(ctx: ToolContext, path: Path, hint: str = "") -> ToolResult:
    """A not_found failure naming the closest existing files."""
    close = await suggest(ctx, path)
    msg = f"{rel(ctx, path)} does not exist."
    if close:
        msg += f" Did you mean: {', '.join(close)}?"
    return ToolResult.fail("not_found", msg + (f" {hint}" if hint else ""))


def private_reason(ctx: ToolContext, path: Path) -> str | None:
    """Why a file needs the user's leave before a tool opens it (secret-looking or .gitignored), or None.
    Files this turn wrote are the model's own and need none."""
    if path in ctx.overlay.current or not inside(ctx, path):
        return None
    shown = rel(ctx, path)
    if is_secret_path(shown):
        return f"{shown} looks like a secret file (keys, tokens, credentials)"
    if IgnoreMatcher(ctx.workspace.root).is_ignored(shown):
        return f"{shown} is excluded by .gitignore"
    return None


async def guard_private(ctx: ToolContext, path: Path, tool: str) -> ToolResult | None:
    """None when `tool` may open `path`; otherwise asks the user through the permission path (answers
    remembered per file for "allow always") and returns the refusal to give the model."""
    reason = private_reason(ctx, path)
    if reason is None:
        return None
    shown = rel(ctx, path)
    allowed = ctx.state.setdefault("files_always", [])
    if shown in allowed:
        return None
    if ctx.ask_permission is None:
        return ToolResult.fail(
            "denied",
            f"Not opened: {reason}, and nobody can approve reading it now. Work without it, or "
            "ask the user to share what you need from it.",
        )
    answer = await ctx.ask_permission(PermissionRequest(tool, shown, f"{tool} {reason}"))
    if answer == "reject":
        return ToolResult.fail(
            "denied", f"The user declined opening {shown} ({reason}). Do not retry; work without it."
        )
    if answer == "allow_always":
        allowed.append(shown)
    return None


def is_dir(ctx: ToolContext, path: Path) -> bool:
    """A folder on disk, or one that only this turn's new files make."""
    if path.is_dir():
        return True
    return any(path in p.parents and t is not None for p, t in ctx.overlay.current.items())


def list_dir(ctx: ToolContext, path: Path) -> str:
    entries: dict[str, bool] = {}
    if path.is_dir():
        for child in path.iterdir():
            if child.name not in ALWAYS_SKIP:
                entries[child.name] = child.is_dir()
    for p, text in virtual_texts(ctx).items():
        if path not in p.parents:
            continue
        first = p.relative_to(path).parts[0]
        if p.parent == path and text is None:
            entries.pop(first, None)
        elif text is not None:
            entries[first] = entries.get(first, False) or p.parent != path
    names = sorted(entries, key=lambda n: (not entries[n], n))
    shown = [n + "/" if entries[n] else n for n in names[:MAX_ENTRIES]]
    label = rel(ctx, path)
    head = f"{label}/ ({len(names)} entries)" if label != "." else f"./ ({len(names)} entries)"
    if not names:
        return f"{head}: empty folder"
    more = f"\n... and {len(names) - MAX_ENTRIES} more" if len(names) > MAX_ENTRIES else ""
    return head + "\n" + "\n".join(shown) + more


def numbered(lines: list[str], first: int) -> list[str]:
    """`{n}\t{line}` with line numbers right-aligned to the widest shown; long lines cut."""
    width = len(str(first + len(lines) - 1))
    out = []
    for k, line in enumerate(lines):
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f"... [{len(line) - MAX_LINE_CHARS} more chars]"
        out.append(f"{first + k:>{width}}\t{line}")
    return out


class ReadArgs(ToolArgs):
    path: str = Field(description="File or folder")
    offset: int = Field(1, description="First line (1-based)")
    limit: int = Field(400, description="Max lines")


class ReadTool(Tool[ReadArgs]):
    name = "read"
    description = "Read a file with line numbers, or list a folder."
    Args = ReadArgs
    example = {"path": "src/app.py"}
    kind = "read"
    category = "read"

    async def run(self, args: ReadArgs, ctx: ToolContext) -> ToolResult:
        path = ctx.workspace.resolve(args.path)
        if path.is_dir() or (not ctx.overlay.exists(path) and is_dir(ctx, path)):
            return ToolResult(list_dir(ctx, path))
        if ctx.overlay.exists(path):
            refused = await guard_private(ctx, path, "read")
            if refused is not None:
                return refused
        virtual = path in ctx.overlay.current or ctx.workspace.documents.get(path) is not None
        if not virtual and path.is_file() and looks_binary(path):
            return ToolResult.fail(
                "failed", f"{rel(ctx, path)} is a binary file ({path.stat().st_size} bytes); not shown."
            )
        text = ctx.overlay.read(path)
        if text is None:
            return await not_found(ctx, path)
        if not text:
            return ToolResult(f"{rel(ctx, path)} is empty.")
        lines = [line.rstrip("\r\n") for line in split_lines(text)]
        total = len(lines)
        offset = max(1, args.offset)
        if offset > total:
            return ToolResult.fail(
                "invalid_args", f"{rel(ctx, path)} has {total} lines; offset={args.offset} is past the end."
            )
        limit = min(max(1, args.limit), MAX_LINES)
        body = numbered(lines[offset - 1 : offset - 1 + limit], offset)
        size = 0
        for k, line in enumerate(body):
            size += len(line) + 1
            if size > MAX_CHARS and k > 0:
                body = body[:k]
                break
        last = offset + len(body) - 1
        out = "\n".join(body)
        if offset > 1 or last < total:
            out += f"\n[lines {offset}-{last} of {total}"
            out += f"; read on with offset={last + 1}]" if last < total else "]"
        return ToolResult(out)
