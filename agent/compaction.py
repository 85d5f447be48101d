"""History compaction: older messages become one summary that keeps the task, files touched and open errors.

No model call is made: the summary is assembled from the messages themselves (tool calls and their
results), so it is deterministic, instant and cannot invent anything. The context budget mechanism uses it
when evicting old tool results is not enough.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from skiff.agent.messages import Message, ToolCall
from skiff.agent.tools.base import ToolRegistry

SUMMARY_HEADER = "[Summary of earlier messages, compacted to fit the context window]"
KEY_ARGS = ("path", "file_path", "pattern", "command", "query", "glob")
PATH_ARGS = ("path", "file_path", "file", "filename")
_ERROR = re.compile(r"^Error \(([\w-]+)\):\s*")
MAX_STEPS = 12
MAX_OPEN_ERRORS = 3
MAX_REQUESTS = 3


@dataclass
class Step:
    """One executed tool call as the history records it."""

    call: ToolCall
    ok: bool
    error: str | None  # the failure class (no_match, not_found, ...) when not ok
    output: str


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 3)] + "..."


def error_gist(output: str, limit: int) -> str:
    """An error output in one line: its first and last lines (a log's verdict is usually at the end)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return shorten(output, limit)
    first, last = shorten(lines[0], limit // 2), shorten(lines[-1], limit // 2)
    return f"{first} ... {last}"


def describe_call(call: ToolCall, limit: int = 60) -> str:
    """`name(key=value, ...)`: the identifying arguments (path, pattern, command, query), else short ones."""
    keys = [k for k in KEY_ARGS if k in call.arguments]
    if not keys:
        keys = [k for k, v in call.arguments.items() if len(str(v)) <= limit // 2][:3]
    shown = [f"{k}={shorten(str(call.arguments[k]), limit)}" for k in keys]
    return f"{call.name}({', '.join(shown)})"


def call_path(call: ToolCall) -> str | None:
    for key in PATH_ARGS:
        value = call.arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().removeprefix("./")
    return None


def steps_of(messages: Sequence[Message]) -> list[Step]:
    """The tool calls in `messages` paired with their results, in order."""
    calls: dict[str, ToolCall] = {}
    steps: list[Step] = []
    for m in messages:
        if m.role == "assistant":
            for c in m.tool_calls:
                calls[c.id] = c
        elif m.role == "tool":
            call = calls.get(m.tool_call_id or "") or ToolCall(m.tool_call_id or "", m.name or "tool")
            match = _ERROR.match(m.content)
            if match:
                steps.append(Step(call, False, match.group(1), m.content[match.end() :]))
            else:
                steps.append(Step(call, True, None, m.content))
    return steps


def files_touched(
    steps: Sequence[Step], tools: ToolRegistry | None, edited: Sequence[str]
) -> dict[str, list[str]]:
    """Path -> what was done to it (read, edited, edit failed), in first-touched order."""
    out: dict[str, list[str]] = {}
    for s in steps:
        path = call_path(s.call)
        if path is None:
            continue
        tool = tools.get(s.call.name) if tools else None
        kind = tool.kind if tool else s.call.name
        verb = {"read": "read", "edit": "edited" if s.ok else "edit failed"}.get(kind, s.call.name)
        verbs = out.setdefault(path, [])
        if verb not in verbs:
            verbs.append(verb)
    for path in edited:
        verbs = out.setdefault(path, [])
        if "changed (pending review)" not in verbs:
            verbs.append("changed (pending review)")
    return out


def open_errors(steps: Sequence[Step]) -> list[Step]:
    """Failed calls not followed by a success of the same tool on the same target; the last few."""
    open_: dict[tuple[str, str], Step] = {}
    for s in steps:
        key = (s.call.name, json.dumps(s.call.arguments, sort_keys=True, default=str))
        if s.ok:
            open_.pop(key, None)
            # a successful edit of a path also settles failed edits of it with other arguments
            path = call_path(s.call)
            for k in [
                k for k, v in open_.items() if path and call_path(v.call) == path and k[0] == s.call.name
            ]:
                open_.pop(k)
        else:
            open_.pop(key, None)
            open_[key] = s
    return list(open_.values())[-MAX_OPEN_ERRORS:]


def summarize(
    messages: Sequence[Message],
    task: str,
    *,
    tools: ToolRegistry | None = None,
    edited: Sequence[str] = (),
    max_chars: int = 2000,
) -> str:
    """A compact, factual summary of `messages` for the model, at most about `max_chars` characters.

    Keeps the task, earlier requests, files touched (plus `edited`, the turn's changed files), the steps
    taken (newest kept when space runs out), the open errors and earlier answers.
    """
    steps = steps_of(messages)
    task_line = f"Task: {shorten(task, max(80, max_chars // 4))}"
    requests = [
        shorten(m.content, 150)
        for m in messages
        if m.role == "user" and m.content.strip() and task.strip() not in m.content
    ][-MAX_REQUESTS:]
    answers = [shorten(m.content, 150) for m in messages if m.role == "assistant" and m.content.strip()][-2:]
    files = files_touched(steps, tools, edited)
    errors = open_errors(steps)

    def render(step_count: int, detail: int) -> str:
        parts = [SUMMARY_HEADER, task_line]
        if requests:
            parts.append("Earlier requests:\n" + "\n".join(f"- {shorten(r, detail)}" for r in requests))
        if files:
            parts.append("Files touched: " + "; ".join(f"{p} ({', '.join(v)})" for p, v in files.items()))
        if steps and step_count:
            shown = steps[-step_count:]
            skipped = len(steps) - len(shown)
            head = f"Steps so far ({skipped} older not shown):" if skipped else "Steps so far:"
            lines = [
                f"- {describe_call(s.call)} -> " + ("ok" if s.ok else f"failed ({s.error})") for s in shown
            ]
            parts.append(head + "\n" + "\n".join(lines))
        if errors:
            parts.append(
                "Open errors:\n"
                + "\n".join(
                    f"- {describe_call(s.call)}: {s.error}: {error_gist(s.output, detail)}" for s in errors
                )
            )
        if answers:
            parts.append("Earlier answers:\n" + "\n".join(f"- {shorten(a, detail)}" for a in answers))
        return "\n".join(parts)

    for detail in (200, 100, 60):
        for count in (MAX_STEPS, 8, 4, 2, 0):
            text = render(count, detail)
            if len(text) <= max_chars:
                return text
    return text[: max(max_chars, len(SUMMARY_HEADER) + len(task_line) + 1)]


def summary_message(text: str) -> Message:
    return Message("user", text)


def arguments_size(call: ToolCall) -> int:
    return len(call.raw_arguments) if call.raw_arguments is not None else len(json.dumps(call.arguments))
