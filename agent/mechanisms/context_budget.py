"""Context budget: a request never holds more tokens than the context limit minus the reply's max_tokens.

Runs last before every model call and counts what will go on the wire (after `wire_messages`, tool
definitions included) with the model's own tokenizer, off the event loop and cached by text. In order,
until the request fits:

1. tool results longer than `profile.tool_result_cap` characters keep their head and tail;
2. older tool results are replaced by a one-line stub (successes before failures), then long arguments
   and texts of older assistant messages are elided; the latest tool call and its results stay whole;
3. older history is compacted into one summary message (task, files touched, steps, open errors), kept
   down to about 60% of the budget so that the next calls fit without compacting again;
4. what is left is cut harder (message texts, then the task's attached context), and as a last resort the
   reply's max_tokens is lowered (never below MIN_REPLY_TOKENS).

Only the request changes: the session history stays complete. The compaction is remembered (which history
messages the summary stands for), so later calls reuse the same summary and keep a stable prompt prefix for
the server's prompt cache. The system message(s) and the current task message are never compacted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from skiff.agent.compaction import summarize
from skiff.agent.hooks import Mechanism, ModelCall, TurnState
from skiff.agent.messages import Message, ToolCall
from skiff.agent.prompts import wire_messages
from skiff.agent.providers.base import Tokenizer
from skiff.agent.tokens import MESSAGE_OVERHEAD

if TYPE_CHECKING:
    from skiff.agent.config import Profile

COMPACT_TARGET = 0.6  # compaction keeps the request under this share of the budget
SUMMARY_SHARE = 0.25  # the summary may take this share of the budget
CHARS_PER_TOKEN = 3  # conservative, to size the summary before counting it
MIN_REPLY_TOKENS = 64
SHRINK_CAPS = (1200, 600, 300, 120)
LONG_ARGUMENT = 200  # older assistant arguments longer than this are elided
LONG_ASSISTANT_TEXT = 400
STUB_MIN = 200  # results shorter than this are not worth a stub
CACHE_SIZE = 4096

Kind = Literal["head", "history", "task", "injected", "summary"]


def cap_text(text: str, cap: int) -> str:
    """`text` cut to about `cap` characters: its head (2/3) and tail (1/3) with an elision note between."""
    if len(text) <= cap:
        return text
    head_len = cap * 2 // 3
    tail_len = cap - head_len
    head, tail = text[:head_len], text[len(text) - tail_len :]
    nl = head.rfind("\n")
    if nl > head_len // 2:
        head = head[: nl + 1]
    nl = tail.find("\n")
    if 0 <= nl < tail_len // 2:
        tail = tail[nl + 1 :]
    elided = len(text) - len(head) - len(tail)
    lines = text.count("\n", len(head), len(text) - len(tail))
    note = f"[... {elided} characters{f' ({lines} lines)' if lines else ''} elided ...]"
    return f"{head.rstrip(chr(10))}\n{note}\n{tail}"


def elide_arguments(call: ToolCall, limit: int = LONG_ARGUMENT) -> ToolCall:
    """The call with long string arguments replaced by a note of their size."""
    args: dict[str, Any] = {}
    for k, v in call.arguments.items():
        args[k] = f"[{len(v)} characters elided]" if isinstance(v, str) and len(v) > limit else v
    raw = call.raw_arguments
    if raw is not None and len(raw) > limit:
        raw = raw[:limit] + " ...[elided]"
    return ToolCall(call.id, call.name, args, raw)


def tool_stub(message: Message) -> Message:
    failed = message.content.startswith("Error (")
    what = "failed result" if failed else "result"
    text = (
        f"[Older {what} of {message.name or 'the tool'} removed to save context "
        f"({len(message.content)} characters). Call the tool again if you need it.]"
    )
    return dataclasses.replace(message, content=text)


@dataclass
class _Entry:
    msg: Message  # the form that will be sent
    orig: Message | None  # the history message it stands for
    kind: Kind


class ContextBudget(Mechanism):
    """Keeps every request inside the context limit: cap, evict, compact, shrink."""

    name = "context_budget"
    order = 900  # never exceed the context limit: cap, evict, compact (runs last)

    def __init__(self, profile: Profile) -> None:
        super().__init__(profile)
        self._tokenizer: Tokenizer | None = None
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._compacted: list[Message] = []  # history messages the summary stands for (kept alive: ids)
        self._summary: Message | None = None
        self._reported: set[tuple[str, int]] = set()

    # ---- counting --------------------------------------------------------------------------------

    def _key(self, msg: Message) -> str:
        return wire_messages([msg], self.profile.tool_call_format)[0].text_for_counting()

    async def _ensure(self, texts: list[str], tokenizer: Tokenizer) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._counts))
        if missing:
            counted = await asyncio.to_thread(lambda: [tokenizer.count(t) for t in missing])
            for text, n in zip(missing, counted, strict=True):
                self._counts[text] = n
        for t in texts:
            self._counts.move_to_end(t)
        while len(self._counts) > CACHE_SIZE:
            self._counts.popitem(last=False)

    async def _costs(self, msgs: list[Message], tokenizer: Tokenizer) -> list[int]:
        keys = [self._key(m) for m in msgs]
        await self._ensure(keys, tokenizer)
        return [self._counts[k] + MESSAGE_OVERHEAD for k in keys]

    async def _total(self, entries: list[_Entry], tokenizer: Tokenizer) -> int:
        return sum(await self._costs([e.msg for e in entries], tokenizer))

    # ---- the hook --------------------------------------------------------------------------------

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        tokenizer = turn.tokenizer
        if tokenizer is not self._tokenizer:
            self._tokenizer, self._counts = tokenizer, OrderedDict()
        request = call.request
        notes = turn.notes.setdefault(self.name, {})
        if "task" not in notes:
            notes["task"] = _find_task(turn)
        notes.setdefault("evicted", set())
        tools_cost = 0
        if request.tools:
            tools_text = json.dumps(request.tools)
            await self._ensure([tools_text], tokenizer)
            tools_cost = self._counts[tools_text]
        limit = turn.context_limit
        budget = limit - request.max_tokens - tools_cost
        actions: dict[str, Any] = {}

        entries = self._build(request.messages, turn, notes["task"], actions)
        total = await self._total(entries, tokenizer)
        if total > budget:
            capped_view = list(entries)
            entries, total = await self._evict(entries, budget, tokenizer, turn, actions)
            if total > budget:
                await self._compact(capped_view, budget, tokenizer, turn, actions)
                entries = self._build(request.messages, turn, notes["task"], {})
                total = await self._total(entries, tokenizer)
                if total > budget:
                    entries, total = await self._evict(entries, budget, tokenizer, turn, actions)
            if total > budget:
                entries, total = await self._shrink(entries, budget, tokenizer, turn, actions)
        request.messages = [e.msg for e in entries]
        if total > budget:
            room = limit - tools_cost - total
            if room < request.max_tokens:
                new_max = max(MIN_REPLY_TOKENS, room)
                actions["lowered_max_tokens"] = (request.max_tokens, new_max)
                request.max_tokens = new_max
            if total + tools_cost + request.max_tokens > limit:
                actions["over_limit"] = total + tools_cost + request.max_tokens - limit
        if actions:
            turn.fire(
                self.name,
                _describe(actions),
                tokens=total + tools_cost,
                limit=limit,
                max_tokens=request.max_tokens,
                **actions,
            )

    # ---- 0. the view: history with the remembered compaction, tool results capped -------------------

    def _build(
        self, messages: list[Message], turn: TurnState, task: Message | None, actions: dict[str, Any]
    ) -> list[_Entry]:
        in_history = {id(m) for m in turn.history}
        if self._compacted and any(id(m) not in in_history for m in self._compacted):
            self._compacted, self._summary = [], None  # the history was replaced: forget the summary
        compacted = {id(m) for m in self._compacted}
        entries: list[_Entry] = []
        summary_at: int | None = None
        head = True
        for m in messages:
            if head and m.role == "system" and id(m) not in in_history:
                entries.append(_Entry(m, None, "head"))
                continue
            head = False
            if id(m) in compacted:
                summary_at = len(entries)
            elif id(m) in in_history:
                entries.append(_Entry(self._capped(m, actions), m, "task" if m is task else "history"))
            else:
                entries.append(_Entry(m, None, "injected"))
        if summary_at is not None and self._summary is not None:
            entries.insert(summary_at, _Entry(self._summary, None, "summary"))
        return entries

    def _capped(self, m: Message, actions: dict[str, Any]) -> Message:
        cap = self.profile.tool_result_cap
        if m.role != "tool" or len(m.content) <= cap:
            return m
        if ("cap", id(m)) not in self._reported:
            self._reported.add(("cap", id(m)))
            actions["capped"] = actions.get("capped", 0) + 1
        return dataclasses.replace(m, content=cap_text(m.content, cap))

    # ---- 1. evict older tool results and long arguments ------------------------------------------

    async def _evict(
        self,
        entries: list[_Entry],
        budget: int,
        tokenizer: Tokenizer,
        turn: TurnState,
        actions: dict[str, Any],
    ) -> tuple[list[_Entry], int]:
        entries = list(entries)
        protected = _last_unit_start(entries)
        plans: list[tuple[int, Message]] = []
        older = [(i, e) for i, e in enumerate(entries[:protected]) if e.kind in ("history", "task")]
        for want_failed in (False, True):
            for i, e in older:
                m = e.msg
                if (
                    m.role == "tool"
                    and len(m.content) > STUB_MIN
                    and m.content.startswith("Error (") == want_failed
                ):
                    plans.append((i, tool_stub(m)))
        for i, e in older:
            m = e.msg
            if m.role != "assistant":
                continue
            long_args = any(
                isinstance(v, str) and len(v) > LONG_ARGUMENT
                for c in m.tool_calls
                for v in c.arguments.values()
            )
            if long_args or len(m.content) > LONG_ASSISTANT_TEXT:
                calls = [elide_arguments(c) for c in m.tool_calls]
                plans.append(
                    (
                        i,
                        dataclasses.replace(
                            m, content=cap_text(m.content, LONG_ASSISTANT_TEXT), tool_calls=calls
                        ),
                    )
                )
        if not plans:
            return entries, await self._total(entries, tokenizer)
        costs = await self._costs([e.msg for e in entries], tokenizer)
        new_costs = await self._costs([m for _, m in plans], tokenizer)
        total = sum(costs)
        evicted = turn.notes[self.name]["evicted"]
        for (i, stub), cost in zip(plans, new_costs, strict=True):
            if total <= budget:
                break
            if cost >= costs[i]:
                continue
            total += cost - costs[i]
            costs[i] = cost
            entries[i] = dataclasses.replace(entries[i], msg=stub)
            orig = entries[i].orig
            if orig is not None and orig.role == "tool" and orig.tool_call_id:
                evicted.add(orig.tool_call_id)
            if orig is not None and ("evict", id(orig)) not in self._reported:
                self._reported.add(("evict", id(orig)))
                actions["evicted"] = actions.get("evicted", 0) + 1
        return entries, total

    # ---- 2. compact older history into the summary -------------------------------------------------

    async def _compact(
        self,
        entries: list[_Entry],
        budget: int,
        tokenizer: Tokenizer,
        turn: TurnState,
        actions: dict[str, Any],
    ) -> None:
        costs = await self._costs([e.msg for e in entries], tokenizer)
        units = _units(entries)
        if len(units) < 2:
            return
        reserve = max(1, int(budget * SUMMARY_SHARE))
        fixed = sum(c for c, e in zip(costs, entries, strict=True) if e.kind in ("head", "task", "injected"))
        target = int(budget * COMPACT_TARGET)
        kept = 1
        used = fixed + reserve + sum(costs[i] for i in units[-1])
        while kept < len(units):
            unit_cost = sum(costs[i] for i in units[-kept - 1])
            if used + unit_cost > target:
                break
            used += unit_cost
            kept += 1
        drop = [entries[i].orig for unit in units[: len(units) - kept] for i in unit]
        dropped = [m for m in drop if m is not None]
        if not dropped:
            return
        out_of_view = turn.notes[self.name]["evicted"]  # the quality monitor lets these calls be repeated
        out_of_view.update(m.tool_call_id for m in dropped if m.role == "tool" and m.tool_call_id)
        order = {id(m): n for n, m in enumerate(turn.history)}
        self._compacted = sorted([*self._compacted, *dropped], key=lambda m: order.get(id(m), -1))
        overlay = turn.tool_ctx.overlay
        edited = [turn.tool_ctx.workspace.relative(p) for p in overlay.changed_paths()]
        text = summarize(
            self._compacted, turn.task, tools=turn.tools, edited=edited, max_chars=reserve * CHARS_PER_TOKEN
        )
        self._summary = Message("user", text)
        actions["compacted"] = len(dropped)

    # ---- 3. cut what is left -----------------------------------------------------------------------

    async def _shrink(
        self,
        entries: list[_Entry],
        budget: int,
        tokenizer: Tokenizer,
        turn: TurnState,
        actions: dict[str, Any],
    ) -> tuple[list[_Entry], int]:
        total = await self._total(entries, tokenizer)
        for cap in SHRINK_CAPS:
            if total <= budget:
                break
            entries = [_cut(e, cap) if e.kind in ("history", "injected", "summary") else e for e in entries]
            total = await self._total(entries, tokenizer)
            actions["shrunk"] = cap
        if total > budget:
            entries = [_cut_task(e, turn.task) if e.kind == "task" else e for e in entries]
            total = await self._total(entries, tokenizer)
            actions["task_cut"] = True
        return entries, total


def _cut(entry: _Entry, cap: int) -> _Entry:
    m = entry.msg
    calls = [elide_arguments(c, cap) for c in m.tool_calls]
    return dataclasses.replace(
        entry, msg=dataclasses.replace(m, content=cap_text(m.content, cap), tool_calls=calls)
    )


def _cut_task(entry: _Entry, task: str, cap: int = 400) -> _Entry:
    """The task message without most of its attached context; the task text itself stays whole."""
    content = entry.msg.content
    if task and task in content:
        rest = content.replace(task, "", 1).strip()
        content = task + ("\n\n" + cap_text(rest, cap) if rest else "")
    else:
        content = cap_text(content, max(cap, len(task)))
    return dataclasses.replace(entry, msg=dataclasses.replace(entry.msg, content=content))


def _find_task(turn: TurnState) -> Message | None:
    """The user message carrying this turn's task: the last one holding its text, else the last user one."""
    needle = turn.task.strip()[:200]
    users = [m for m in turn.history if m.role == "user"]
    for m in reversed(users):
        if needle and needle in m.content:
            return m
    return users[-1] if users else None


def _units(entries: list[_Entry]) -> list[list[int]]:
    """History entries (not the task) grouped so that a tool call and its results are never split."""
    units: list[list[int]] = []
    for i, e in enumerate(entries):
        if e.kind != "history":
            continue
        if e.msg.role == "tool" and units and entries[units[-1][-1]].msg.role in ("assistant", "tool"):
            prev = entries[units[-1][0]].msg
            if prev.role == "assistant" and prev.tool_calls:
                units[-1].append(i)
                continue
        units.append([i])
    return units


def _last_unit_start(entries: list[_Entry]) -> int:
    """Index where the latest history unit starts; entries from there on are never evicted."""
    last = max((i for i, e in enumerate(entries) if e.kind in ("history", "task")), default=len(entries))
    if last == len(entries):
        return last
    i = last
    while i > 0 and entries[i].msg.role == "tool":
        i -= 1
    return i


def _describe(actions: dict[str, Any]) -> str:
    parts = []
    if actions.get("capped"):
        parts.append(f"capped {actions['capped']} tool result(s)")
    if actions.get("evicted"):
        parts.append(f"evicted {actions['evicted']} older message(s)")
    if actions.get("compacted"):
        parts.append(f"compacted {actions['compacted']} message(s) into a summary")
    if "shrunk" in actions:
        parts.append(f"cut messages to {actions['shrunk']} characters")
    if actions.get("task_cut"):
        parts.append("cut the task's attached context")
    if "lowered_max_tokens" in actions:
        before, after = actions["lowered_max_tokens"]
        parts.append(f"lowered max_tokens {before} -> {after}")
    if "over_limit" in actions:
        parts.append(f"still {actions['over_limit']} tokens over the limit")
    return "; ".join(parts) or "fitted the request"
