"""Quality monitor: after every model call, catch the typical small-model failures and ask again.

Detected, in this order (the first hit wins):

- empty reply: no text and no tool call;
- forgotten task: the model greets or asks what to do ("How can I help you today?") instead of working;
- unknown tool: a name that is no tool (the nearest real name is suggested);
- malformed arguments: argument text that could not be parsed even forgivingly;
- patch spiral: another edit of a file after PATCH_SPIRAL_FAILURES failed edits of it since it was last read;
- repeated call: the same call as the previous one, or a read/search call whose unchanged result is still
  in view (no edit since); arguments are compared normalised (key order, whitespace, paths);
- cycle: the last calls repeat a block of two or three calls (A-B-A-B, A-B-C-A-B-C).

Each returns a Retry: the reply is dropped and the next call carries a short, specific correction (with the
tool's recipe where it helps). The loop bounds retries by `profile.retries` and records each firing.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import PurePosixPath
from typing import Any

from skiff.agent.compaction import PATH_ARGS, describe_call, shorten
from skiff.agent.hooks import Mechanism, ModelReply, Retry, TurnState
from skiff.agent.messages import ToolCall
from skiff.agent.parsing.toolcalls import suggest_tool_name

PATCH_SPIRAL_FAILURES = 2  # failed edits of one file (since it was last read) before the next is refused
READ_REPEAT_WINDOW = 6  # tool events searched for an identical read/search call
CYCLE_PERIODS = (2, 3)
FORGOTTEN_MAX_CHARS = 400  # longer replies are real answers, even if they end with an offer to help

_FORGOTTEN = [
    re.compile(p, re.I)
    for p in (
        r"\bhow (?:can|may|could|shall) i (?:help|assist)\b",
        r"\bhow can i be of (?:help|assistance|service)\b",
        r"\bwhat (?:would|do) you (?:like|want|need) me to (?:do|help|work)\b",
        r"\bwhat can i (?:do|help you with|help with)\b",
        r"\bwhat (?:do|would) you (?:need|want) (?:help|assistance) with\b",
        r"\b(?:please )?(?:provide|give|tell|share)(?: me)? (?:the |your |more )?"
        r"(?:task|request|instructions)\b",
        r"\bi'?m (?:here|ready|happy) to help\b",
        r"\bi'?m (?:an? |your )?(?:helpful |friendly )?(?:ai|assistant|language model|chatbot)\b",
    )
]
_CLOSING_OFFER = re.compile(r"\banything else\b", re.I)


def forgot_task(text: str) -> bool:
    """True when `text` greets or asks what to do instead of doing the task."""
    stripped = text.strip()
    if not stripped or len(stripped) > FORGOTTEN_MAX_CHARS or _CLOSING_OFFER.search(stripped):
        return False
    return any(p.search(stripped) for p in _FORGOTTEN)


def normalize_path(value: str, root: str | None = None) -> str:
    """A path as a comparable key: absolute paths under `root` made relative, `./`, `//`, `..` folded."""
    p = value.strip().replace("\\", "/")
    if root and p.startswith(root.rstrip("/") + "/"):
        p = p[len(root.rstrip("/")) + 1 :]
    p = posixpath.normpath(p) if p else "."
    return str(PurePosixPath(p))


def normalize_arguments(arguments: dict[str, Any], root: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in arguments.items():
        if isinstance(v, str):
            v = normalize_path(v, root) if k in PATH_ARGS else " ".join(v.split())
        out[k] = v
    return out


def call_key(call: ToolCall, root: str | None = None) -> str:
    """The call's identity for repeat detection: name plus normalised, key-sorted arguments."""
    args = normalize_arguments(call.arguments, root)
    return call.name + " " + json.dumps(args, sort_keys=True, default=str)


class QualityMonitor(Mechanism):
    """Drops bad replies (empty, off-task, unknown tool, malformed, loops, patch spirals) and asks again."""

    name = "quality_monitor"
    order = 70  # empty replies, loops, patch spirals, forgotten task

    async def after_model_call(self, reply: ModelReply, turn: TurnState) -> Retry | None:
        message = reply.message
        calls = message.tool_calls
        if not calls:
            if not message.content.strip():
                return self._empty(turn)
            if forgot_task(message.content):
                return self._forgotten(turn)
            return None
        for check in (self._unknown_tool, self._malformed, self._patch_spiral):
            for call in calls:
                retry = check(call, turn)
                if retry is not None:
                    return retry
        return self._repeat(calls[0], turn) or self._cycle(calls[-1], turn)

    # ---- text-only replies --------------------------------------------------------------------------

    def _task_line(self, turn: TurnState) -> str:
        where = f" (file: {turn.context.path})" if turn.context is not None and turn.context.path else ""
        return f"The task is: {shorten(turn.task, 300)}{where}"

    def _empty(self, turn: TurnState) -> Retry:
        return Retry(
            f"Your reply was empty. {self._task_line(turn)}\n"
            "Continue: call one tool, or if the task is done, reply with a one-line summary.",
            "empty reply",
        )

    def _forgotten(self, turn: TurnState) -> Retry:
        first = next(iter(turn.tools.tools.values()), None)
        example = f" For example: {first.example_call()}" if first else ""
        return Retry(
            f"Do not greet or ask what to do: you already have a task. {self._task_line(turn)}\n"
            f"Start working on it now with a tool call.{example}",
            "forgotten task: the model greeted or asked what to do",
        )

    # ---- per-call checks ----------------------------------------------------------------------------

    def _unknown_tool(self, call: ToolCall, turn: TurnState) -> Retry | None:
        if call.name in turn.tools:
            return None
        suggestion = suggest_tool_name(call.name, turn.tools.schemas())
        tool = turn.tools.get(suggestion) if suggestion else None
        hint = f" Did you mean `{suggestion}`? {tool.recipe()}" if tool else ""
        return Retry(
            f"There is no tool named `{call.name}`.{hint} Available tools: {', '.join(turn.tools.names())}.",
            f"unknown tool '{call.name}'",
        )

    def _malformed(self, call: ToolCall, turn: TurnState) -> Retry | None:
        if call.raw_arguments is None:
            return None
        tool = turn.tools.get(call.name)
        recipe = f" {tool.recipe()}" if tool else ""
        return Retry(
            f"The arguments of your `{call.name}` call are not valid JSON: {shorten(call.raw_arguments, 80)}."
            f" Send them as one JSON object.{recipe}",
            f"malformed arguments for {call.name}",
        )

    def _kind(self, name: str, turn: TurnState) -> str:
        tool = turn.tools.get(name)
        return tool.kind if tool else "other"

    def _path(self, call: ToolCall, turn: TurnState) -> str | None:
        root = str(turn.tool_ctx.workspace.root)
        for key in PATH_ARGS:
            value = call.arguments.get(key)
            if isinstance(value, str) and value.strip():
                return normalize_path(value, root)
        return None

    def _patch_spiral(self, call: ToolCall, turn: TurnState) -> Retry | None:
        if self._kind(call.name, turn) != "edit":
            return None
        path = self._path(call, turn)
        if path is None:
            return None
        failures: list[str] = []
        for event in reversed(turn.tool_events):
            if self._path(event.call, turn) != path:
                continue
            kind = self._kind(event.call.name, turn)
            if kind == "read" or (kind == "edit" and event.result.ok):
                break
            if kind == "edit" and not event.result.ok:
                failures.append(event.result.error or "failed")
        if len(failures) < PATCH_SPIRAL_FAILURES:
            return None
        reader = next((t for t in turn.tools.tools.values() if t.kind == "read"), None)
        how = f" {reader.recipe()}" if reader else ""
        return Retry(
            f"Your last {len(failures)} edits of {path} failed ({', '.join(reversed(failures))}). "
            f"Stop guessing: re-read {path} first, then copy old_string exactly from what you read.{how}",
            f"patch spiral on {path} ({len(failures)} failed edits)",
        )

    def _keys(self, turn: TurnState) -> list[str]:
        root = str(turn.tool_ctx.workspace.root)
        return [call_key(e.call, root) for e in turn.tool_events]

    def _repeat(self, call: ToolCall, turn: TurnState) -> Retry | None:
        if not turn.tool_events:
            return None
        root = str(turn.tool_ctx.workspace.root)
        key = call_key(call, root)
        evicted = turn.notes.get("context_budget", {}).get("evicted", set())
        events = turn.tool_events
        same: int | None = None
        if call_key(events[-1].call, root) == key:
            same = len(events) - 1
        elif self._kind(call.name, turn) in ("read", "search"):
            window = range(len(events) - 1, max(-1, len(events) - 1 - READ_REPEAT_WINDOW), -1)
            for i in window:
                if self._kind(events[i].call.name, turn) == "edit" and events[i].result.ok:
                    break  # files changed since: reading again is fair
                if call_key(events[i].call, root) == key:
                    same = i
                    break
        if same is None or events[same].call.id in evicted:
            return None
        earlier = events[same]
        outcome = "failed" if not earlier.result.ok else "succeeded"
        return Retry(
            f"You already called {describe_call(call)} and it {outcome}; its result is above and has not "
            "changed. Do not repeat it: use that result and take the next step toward the task "
            f"({shorten(turn.task, 160)}).",
            f"repeated call {describe_call(call)}",
        )

    def _cycle(self, call: ToolCall, turn: TurnState) -> Retry | None:
        root = str(turn.tool_ctx.workspace.root)
        seq = [*self._keys(turn), call_key(call, root)]
        for period in CYCLE_PERIODS:
            if len(seq) < 2 * period:
                continue
            block = seq[-period:]
            if seq[-2 * period : -period] == block and len(set(block)) > 1:
                names = " -> ".join(describe_call(e.call) for e in turn.tool_events[-period:])
                return Retry(
                    f"You are going in circles: {names} again gives the same results as before. "
                    "Break the loop: do something different that moves the task forward, or give your final "
                    "answer if the task is done.",
                    f"cycle of {period} calls: {names}",
                )
        return None
