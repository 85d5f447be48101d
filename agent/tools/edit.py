"""The `edit` tool: search/replace in the turn overlay, tolerant of indentation and quote drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pydantic import Field

from skiff.agent.text.editmatch import EditMatchError, EditOutcome, apply_edit, closest_region
from skiff.agent.textdiff import unified_diff
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from skiff.agent.tools.read import is_dir, not_found, numbered, rel

MAX_DIFF_LINES = 40
MIN_SIMILARITY = 0.3  # below this the closest region is not worth showing
_NUMBERED = re.compile(r"^ *(\d+)(?:\t| ?\| ?)")


class EditArgs(ToolArgs):
    path: str = Field(description="File to change")
    old_string: str = Field(description="Exact current text to replace; include enough lines to be unique")
    new_string: str = Field(description="Replacement text")
    replace_all: bool = Field(False, description="Replace every match")


def strip_line_numbers(s: str) -> str | None:
    """`s` without the `  12\t` prefixes copied from read output, if every line has consecutive ones."""
    lines = s.split("\n")
    found = [_NUMBERED.match(x) for x in lines if x.strip()]
    if not found or not all(found):
        return None
    numbers = [int(m.group(1)) for m in found if m]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    return "\n".join(_NUMBERED.sub("", x, count=1) for x in lines)


class EditTool(Tool[EditArgs]):
    name = "edit"
    description = "Replace old_string with new_string in a file. old_string must match exactly once."
    Args = EditArgs
    # Placeholders, not code: small models copy a concrete example edit literally (measured on
    # Qwen2.5-Coder-1.5B, which kept applying the example to unrelated files).
    example = {
        "path": "src/app.py",
        "old_string": "<exact lines copied from the file>",
        "new_string": "<the new lines>",
    }
    kind = "edit"
    category = "edit"

    async def run(self, args: EditArgs, ctx: ToolContext) -> ToolResult:
        if args.old_string == args.new_string:
            return ToolResult.fail(
                "invalid_args", "old_string and new_string are identical: nothing would change."
            )
        path = ctx.workspace.resolve(args.path)
        shown = rel(ctx, path)
        if path.is_dir() or is_dir(ctx, path):
            return ToolResult.fail("invalid_args", f"{shown} is a folder; edit takes a file path.")
        text = ctx.overlay.read(path)
        if not args.old_string:
            from skiff.agent.tools.write import WriteTool

            if text is None:
                return ToolResult.fail(
                    "invalid_args", f"old_string is empty and {shown} does not exist. {WriteTool.recipe()}"
                )
            return ToolResult.fail(
                "invalid_args",
                f"old_string is empty. Quote the exact lines of {shown} to replace (read it first).",
            )
        if text is None:
            return await not_found(ctx, path, "To create a new file use write.")
        old, new = args.old_string, args.new_string
        try:
            outcome = apply_edit(text, old, new, args.replace_all)
        except EditMatchError as exc:
            bare_old = strip_line_numbers(old) if exc.kind == "no_match" else None
            if bare_old is None:
                return self._failure(exc, text, args, shown)
            old, new = bare_old, strip_line_numbers(new) or new
            try:
                outcome = apply_edit(text, old, new, args.replace_all)
            except EditMatchError as exc2:
                return self._failure(exc2, text, args, shown)
        if outcome.text == text:
            return ToolResult.fail(
                "invalid_args",
                f"The matched text in {shown} already equals new_string once indentation is taken from the "
                "file: nothing changed.",
            )
        broken = syntax_regression(path, text, outcome.text)
        if broken is not None:
            return ToolResult.fail(
                "syntax",
                f"Not applied: the edit would make {shown} invalid Python ({broken}). Keep new_string "
                "complete lines with the file's indentation; to change a function body, replace whole lines.",
            )
        ctx.overlay.write(path, outcome.text)
        return ToolResult(self._summary(outcome, text, shown))

    @staticmethod
    def _summary(outcome: EditOutcome, before: str, shown: str) -> str:
        diff = unified_diff(before, outcome.text, shown, context=1).splitlines()[2:]
        added = sum(1 for x in diff if x.startswith("+"))
        removed = sum(1 for x in diff if x.startswith("-"))
        lines = sorted({s.first_line for s in outcome.spans})
        where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"
        count = len(outcome.spans)
        head = (
            f"Edited {shown}: {count} replacement{'s' if count > 1 else ''} at {where} (+{added} -{removed})."
        )
        if outcome.mode == "quotes":
            head += " Matched after equating quote styles."
        elif outcome.mode == "lines":
            head += " Matched ignoring indentation/whitespace; new_string re-indented to fit."
        if len(diff) > MAX_DIFF_LINES:
            diff = [*diff[:MAX_DIFF_LINES], f"... [{len(diff) - MAX_DIFF_LINES} more diff lines]"]
        return head + "\n" + "\n".join(diff)

    @staticmethod
    def _failure(exc: EditMatchError, text: str, args: EditArgs, shown: str) -> ToolResult:
        if exc.kind == "ambiguous":
            how = "" if exc.mode == "exact" else " (ignoring indentation/quotes)"
            return ToolResult.fail(
                "ambiguous",
                f"old_string matches {len(exc.lines)} places in {shown}{how}, at lines "
                f"{', '.join(map(str, exc.lines))}. Add surrounding lines to old_string so it matches once, "
                "or set replace_all=true to change every one.",
            )
        msg = f"old_string was not found in {shown}."
        new_core = args.new_string.strip()
        if new_core and new_core in text and new_core not in args.old_string:
            line = text[: text.index(new_core)].count("\n") + 1
            msg += f" new_string is already there (line {line}): this edit may already be applied."
        closest = closest_region(text, args.old_string)
        if closest is not None and closest.ratio >= MIN_SIMILARITY:
            msg += (
                f"\nClosest region (lines {closest.first_line}-{closest.last_line}, "
                f"{round(closest.ratio * 100)}% similar):\n"
                + "\n".join(numbered(closest.lines, closest.first_line))
                + "\nCopy old_string exactly from the file (without line numbers) and retry."
            )
        elif not text.strip():
            msg += f" {shown} is empty."
        else:
            msg += " Nothing similar found: read the file to see its current text."
        return ToolResult.fail("no_match", msg)


def syntax_regression(path: Path, before: str, after: str) -> str | None:
    """For Python files that parse before the edit: the syntax error the edit introduces, else None.

    Small models often produce edits that break indentation (a body moved onto the `def` line, a dedented
    block); refusing them with the error keeps broken code out of proposals.
    """
    if path.suffix not in (".py", ".pyi"):
        return None
    try:
        ast.parse(before)
    except SyntaxError:
        return None  # already broken: the edit may be the fix
    try:
        ast.parse(after)
    except SyntaxError as exc:
        return f"{exc.msg} at line {exc.lineno}"
    return None
