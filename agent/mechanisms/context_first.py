"""context_first: the first model call already holds the code the request is about, so no turn goes on `read`.

On two CPU cores a 1.5B model reads about 34 prompt tokens a second: a round trip spent on `read` costs
the whole prompt again. When the request comes with a file (and maybe a selection and diagnostics), the
turn's user message is rewritten once, before the first call, to carry the file (when it is small) or the
selection and the diagnostics' lines with a margin, line-numbered, plus the diagnostics. Files are read
through the turn overlay, so unsaved editor buffers are what the model sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skiff.agent.context import RequestContext, numbered
from skiff.agent.edit_formats import FENCE_LANG
from skiff.agent.hooks import Mechanism, ModelCall, TurnState
from skiff.agent.messages import Message
from skiff.agent.parsing.definitions import definitions
from skiff.agent.textdiff import split_lines
from skiff.agent.workspace import PathOutsideWorkspace

WHOLE_FILE_LINES = 150  # files up to this many lines are shown whole...
WHOLE_FILE_TOKENS = 2000  # ...and up to this many tokens (and a quarter of the context limit)
MARGIN = 8  # lines shown around a selection or a diagnostic
EXCERPT_LINES = 120  # the most lines an excerpt shows
OUTLINE_ENTRIES = 40
NOTE = "(Line numbers are not part of the file.)"
WHOLE_NOTE = "(Line numbers are not part of the file. It is shown whole above: no need to read it.)"


@dataclass
class Shown:
    """What the rewritten message holds: the whole file or line ranges (0-based, end exclusive)."""

    path: str
    whole_file: bool
    ranges: list[tuple[int, int]]
    total_lines: int
    tokens: int


class ContextFirst(Mechanism):
    name = "context_first"
    order = 10  # the first call already holds the code the request is about

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        if turn.model_calls or self.name in turn.notes:
            return
        turn.notes[self.name] = None  # tried once per turn
        ctx = turn.context
        if ctx is None or not ctx.path:
            return
        index = next(
            (i for i in range(len(turn.history) - 1, -1, -1) if turn.history[i].role == "user"), None
        )
        if index is None:
            return
        built = build_message(turn, ctx)
        if built is None:
            return
        text, shown = built
        old = turn.history[index]
        new = Message("user", text, display=old.display if old.display is not None else old.content)
        turn.history[index] = new
        call.request.messages = [new if m is old else m for m in call.request.messages]
        turn.notes[self.name] = shown
        what = (
            "the whole file" if shown.whole_file else ", ".join(f"lines {a + 1}-{b}" for a, b in shown.ranges)
        )
        turn.fire(self.name, f"{shown.path}: {what} in the first call", path=shown.path, tokens=shown.tokens)


def build_message(turn: TurnState, ctx: RequestContext) -> tuple[str, Shown] | None:
    """The task with the file (or its relevant lines) and the diagnostics; None if the file is unreadable."""
    assert ctx.path is not None
    try:
        path = turn.tool_ctx.workspace.resolve(ctx.path)
    except PathOutsideWorkspace:
        return None
    source = turn.tool_ctx.overlay.read(path)
    if source is None:
        return None
    lines = split_lines(source)
    total = len(lines)
    cap = min(WHOLE_FILE_TOKENS, turn.context_limit // 4)
    ext = ctx.path.rsplit(".", 1)[-1].lower() if "." in ctx.path else ""
    lang = (ctx.language or FENCE_LANG.get(ext, ext)).lower()
    parts = [turn.task]
    whole = total <= WHOLE_FILE_LINES and turn.tokenizer.count(source) <= cap
    ranges = [(0, total)] if whole else _ranges(ctx, total)
    if ranges:
        label = f"{ctx.path} ({total} lines)" if whole else f"{ctx.path}, {total} lines; excerpt:"
        body = "\n...\n".join(numbered(lines[a:b], a) for a, b in ranges)
        parts.append(f"{label}\n```{lang}\n{body}\n```")
    else:
        outline = _outline(source, ext)
        parts.append(f"File: {ctx.path} ({total} lines)" + (f". Outline:\n{outline}" if outline else ""))
    sel = ctx.selection
    if sel is not None and sel.text.strip():
        parts.append(f"Selected: lines {sel.start_line + 1}-{sel.end_line + 1}.")
    elif focus := _named_definitions(turn.task, source, ext):
        parts.append(f"The request is about {focus}.")
    if ctx.diagnostics:
        parts.append("Diagnostics:\n" + "\n".join(d.render() for d in ctx.diagnostics))
    if ranges:
        parts.append(WHOLE_NOTE if whole else NOTE)
    text = "\n\n".join(parts)
    tokens = turn.tokenizer.count(text) - turn.tokenizer.count(turn.task)
    return text, Shown(ctx.path, whole, ranges, total, tokens)


def _ranges(ctx: RequestContext, total: int) -> list[tuple[int, int]]:
    """The selection and the diagnostics' lines with a margin, merged, at most EXCERPT_LINES lines."""
    wanted: list[tuple[int, int]] = []
    if ctx.selection is not None and ctx.selection.text.strip():
        wanted.append((ctx.selection.start_line - MARGIN, ctx.selection.end_line + 1 + MARGIN))
    for d in ctx.diagnostics:
        wanted.append((d.line - MARGIN, (d.end_line if d.end_line is not None else d.line) + 1 + MARGIN))
    merged: list[tuple[int, int]] = []
    for a, b in sorted((max(0, a), min(total, b)) for a, b in wanted):
        if a >= b:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    out: list[tuple[int, int]] = []
    left = EXCERPT_LINES
    for a, b in merged:
        if left <= 0:
            break
        out.append((a, min(b, a + left)))
        left -= out[-1][1] - a
    return out


def _named_definitions(task: str, source: str, ext: str) -> str:
    """`name` (lines A-B) for each definition of the file the task names, e.g. "add a docstring to mean()"."""
    all_defs = definitions(source, python=ext in ("py", "pyi")) or []
    explicit = set(re.findall(r"([A-Za-z_]\w*)\(\)?|`([A-Za-z_]\w*)`", task))
    called = {a or b for a, b in explicit}  # `mean()` or `mean` beats a bare word such as "add"
    defs = [d for d in all_defs if d.name in called]
    if not defs:
        words = set(re.findall(r"[A-Za-z_]\w*", task))
        defs = [d for d in all_defs if d.name in words]
    if not defs or len(defs) > 3:
        return ""
    return ", ".join(f"`{d.name}` (lines {d.start + 1}-{d.end})" for d in defs)


def _outline(source: str, ext: str) -> str:
    """`line: name` of the file's definitions, for a large file with nothing selected."""
    defs = definitions(source, python=ext in ("py", "pyi")) or []
    shown = [
        f"{d.start + 1}: {'  ' * d.depth}{d.qualname.rsplit('.', 1)[-1]}" for d in defs[:OUTLINE_ENTRIES]
    ]
    if len(defs) > OUTLINE_ENTRIES:
        shown.append(f"... {len(defs) - OUTLINE_ENTRIES} more")
    return "\n".join(shown)
