"""The `grep` tool: regex search over the workspace with ripgrep when present, pure Python otherwise.

Both backends skip .gitignored files, VCS folders and binary files, and search hidden files. Files that
have editor-buffer or overlay text are always searched in that text (never on disk), so the model sees
unsaved and just-edited content; files the turn deleted are left out. Secret-looking files (.env, keys)
are left out of folder searches; a search of one such file, or of a .gitignored file, asks first.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import regex
from pydantic import Field, WithJsonSchema
from pydantic.json_schema import JsonDict

from skiff.agent.redact import is_secret_path
from skiff.agent.text.ignore import IgnoreMatcher, compile_path_glob
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from skiff.agent.tools.read import guard_private, inside, is_dir, looks_binary, not_found, rel, virtual_texts

MAX_SHOWN = 100  # matches listed
HARD_CAP = 5000  # matches collected before the search stops
MAX_TEXT = 200  # characters of each matching line
MAX_FILE_BYTES = 10 * 1024 * 1024
RG_TIMEOUT = 60.0
# The Python search (editor buffers, the turn's files, and disk when ripgrep is absent or cannot take the
# pattern) runs in a worker thread with the `regex` module, which releases the GIL and stops at a deadline:
# a backtracking pattern like `(a|aa)+$` costs the tool call a timeout, never the server its event loop.
SEARCH_SECONDS = 10.0

Hit = tuple[str, int, str]  # workspace-relative path, 1-based line, line text


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)


class GrepArgs(ToolArgs):
    pattern: str = Field(description="Regex")
    path: str = Field(".", description="File or folder to search")
    # Shown to the model as an optional string: no `null` branch, no default (fewer prompt tokens).
    glob: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        None, description='Only files matching, e.g. "*.py"', json_schema_extra=_no_default
    )
    ignore_case: bool = False


class SearchTimeout(Exception):
    """The Python search ran past its deadline."""


def _search(pattern: regex.Pattern[str], text: str, deadline: float) -> bool:
    left = deadline - time.monotonic()
    if left <= 0:
        raise SearchTimeout
    try:
        return pattern.search(text, concurrent=True, timeout=left) is not None
    except TimeoutError:
        raise SearchTimeout from None


def search_text(
    shown: str, text: str, pattern: regex.Pattern[str], out: list[Hit], deadline: float = float("inf")
) -> None:
    """Append the lines of `text` that match to `out` (at most HARD_CAP hits in all); SearchTimeout
    past `deadline` (a time.monotonic() value)."""
    if not _search(pattern, text, deadline):
        return
    for n, line in enumerate(text.split("\n"), 1):
        if _search(pattern, line.rstrip("\r"), deadline):
            out.append((shown, n, line.rstrip("\r")))
            if len(out) >= HARD_CAP:
                return


class GrepTool(Tool[GrepArgs]):
    name = "grep"
    description = "Search file contents for a regex; prints path:line: text."
    Args = GrepArgs
    example = {"pattern": "def main", "path": "src", "glob": "*.py"}
    kind = "search"
    category = "search"

    def __init__(self, backend: Literal["auto", "rg", "python"] = "auto") -> None:
        self.backend = backend

    def rg_path(self) -> str | None:
        """The ripgrep binary to use, or None for the pure-Python search."""
        if self.backend == "python":
            return None
        found = shutil.which("rg")
        if found is None and self.backend == "rg":
            raise RuntimeError("grep backend 'rg' requested but ripgrep is not on PATH")
        return found

    async def run(self, args: GrepArgs, ctx: ToolContext) -> ToolResult:
        flags = regex.MULTILINE | (regex.IGNORECASE if args.ignore_case else 0)
        try:
            pattern = regex.compile(args.pattern, flags)
        except (regex.error, ValueError, OverflowError) as exc:
            return ToolResult.fail(
                "invalid_args",
                f"Invalid regex {args.pattern!r}: {exc}. To find the literal text, escape it: "
                f"{regex.escape(args.pattern)!r}",
            )
        try:
            return await self._run(args, ctx, pattern)
        except SearchTimeout:
            return ToolResult.fail(
                "timeout",
                f"The pattern {args.pattern!r} took more than {SEARCH_SECONDS:g} s and was stopped (nested "
                "repetition like (a+)+ or (a|aa)+ backtracks without end). Simplify it, or search for a "
                "plain word.",
            )

    async def _run(self, args: GrepArgs, ctx: ToolContext, pattern: regex.Pattern[str]) -> ToolResult:
        deadline = time.monotonic() + SEARCH_SECONDS
        target = ctx.workspace.resolve(args.path)
        virtual = virtual_texts(ctx)
        folder = is_dir(ctx, target)
        if not folder and not ctx.overlay.exists(target):
            return await not_found(ctx, target)
        if not folder and (refused := await guard_private(ctx, target, "grep")) is not None:
            return refused
        matcher = IgnoreMatcher(ctx.workspace.root)
        file_glob = compile_path_glob(args.glob) if args.glob and folder else None

        def wanted(path: Path) -> bool:
            if path == target:
                return True
            if target not in path.parents:
                return False
            return file_glob is None or file_glob.fullmatch(path.relative_to(target).as_posix()) is not None

        hits: list[Hit] = []
        root = ctx.workspace.root

        def search_virtual() -> None:
            for path, text in sorted(virtual.items()):
                if text is None or not wanted(path):
                    continue
                if path in ctx.overlay.current or path == target or not matcher.is_ignored(rel(ctx, path)):
                    search_text(rel(ctx, path), text, pattern, hits, deadline)

        await asyncio.to_thread(search_virtual)
        skip = set(virtual)
        rg = self.rg_path()
        disk: list[Hit] | None = None
        on_disk = target.is_dir() if folder else target.is_file() and target not in skip
        if not on_disk:
            disk = []
        elif rg is not None:
            disk = await self._rg(rg, args, ctx, target, folder, skip)
        if disk is None:
            disk = await asyncio.to_thread(
                self._scan, ctx, target, folder, matcher, wanted, pattern, skip, deadline
            )
        hits.extend(disk)
        if folder:  # secret-looking files only when named on their own (and allowed)
            hits = [h for h in hits if not is_secret_path(h[0]) or root / h[0] in ctx.overlay.current]
        return ToolResult(_render(args, ctx, target, hits))

    @staticmethod
    def _scan(
        ctx: ToolContext,
        target: Path,
        folder: bool,
        matcher: IgnoreMatcher,
        wanted: Callable[[Path], bool],
        pattern: regex.Pattern[str],
        skip: set[Path],
        deadline: float,
    ) -> list[Hit]:
        """The pure-Python backend: walk (gitignore-aware), skip binary/huge files, search each."""
        out: list[Hit] = []
        files = matcher.walk(target) if folder and target.is_dir() else iter([target])
        for path in files:
            if path in skip or not wanted(path) or not path.is_file():
                continue
            if path.is_symlink() and not inside(ctx, path.resolve()):
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES or looks_binary(path):
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            search_text(rel(ctx, path), text, pattern, out, deadline)
            if len(out) >= HARD_CAP:
                break
        return out

    @staticmethod
    async def _rg(
        rg: str, args: GrepArgs, ctx: ToolContext, target: Path, folder: bool, skip: set[Path]
    ) -> list[Hit] | None:
        """The ripgrep backend; None when ripgrep cannot take the pattern (the Python search runs)."""
        cmd = [rg, "--json", "--no-config", "--hidden", "--no-require-git", "--no-ignore-global"]
        cmd += ["--no-ignore-dot", "--max-filesize", str(MAX_FILE_BYTES), "-g", "!.git", "-g", "!.hg"]
        cmd += ["-g", "!.svn"]
        if args.ignore_case:
            cmd.append("-i")
        if args.glob and folder:
            cmd += ["-g", args.glob]
        cwd = target if folder else ctx.workspace.root
        cmd += ["-e", args.pattern, "--", "." if folder else str(target)]
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        out: list[Hit] = []
        complete = False
        try:
            async with asyncio.timeout(RG_TIMEOUT):
                async for raw in proc.stdout:
                    hit = _parse_rg(raw, cwd, ctx, skip)
                    if hit is not None:
                        out.append(hit)
                        if len(out) >= HARD_CAP:
                            break
                else:
                    complete = True
        except TimeoutError:
            pass
        finally:
            if not complete and proc.returncode is None:
                # os.kill, not proc.kill(): Popen.send_signal polls, reaping the child behind asyncio's
                # child watcher, which then reports exit code 255.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
            err = (await proc.stderr.read()).decode("utf-8", "replace")
            await proc.wait()
        if proc.returncode == 2 and not out and "regex" in err.lower():
            return None
        return out


def _parse_rg(raw: bytes, cwd: Path, ctx: ToolContext, skip: set[Path]) -> Hit | None:
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    if event.get("type") != "match":
        return None
    data = event["data"]
    name = data["path"].get("text")
    if name is None:
        return None
    path = (cwd / name).resolve()
    if path in skip or not inside(ctx, path):
        return None
    lines = data["lines"]
    text = lines.get("text")
    if text is None:
        text = base64.b64decode(lines.get("bytes", "")).decode("utf-8", "replace")
    return rel(ctx, path), int(data["line_number"]), text.rstrip("\r\n")


def _render_line(hit: Hit) -> str:
    text = hit[2].strip()
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "..."
    return f"{hit[0]}:{hit[1]}: {text}"


def _render_footer(shown: int, total: int, files: int) -> str:
    count = f"{HARD_CAP}+" if total >= HARD_CAP else str(total)
    return f"[{shown} of {count} matches shown, in {files} files; narrow with path= or glob=]"


def _render(args: GrepArgs, ctx: ToolContext, target: Path, hits: list[Hit]) -> str:
    where = rel(ctx, target)
    if not hits:
        extra = f" (files matching {args.glob!r})" if args.glob else ""
        return f"No matches for {args.pattern!r} in {where}{extra}."
    hits = sorted(set(hits), key=lambda h: (h[0], h[1]))
    lines = [_render_line(h) for h in hits[:MAX_SHOWN]]
    if len(hits) > MAX_SHOWN:
        lines.append(_render_footer(MAX_SHOWN, len(hits), len({h[0] for h in hits})))
    return "\n".join(lines)
