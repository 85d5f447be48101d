"""One parse of a reply: the calls a parsed value describes, and the judge that keeps or drops each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from skiff.agent.parsing.fences import WRAPPING_FENCE
from skiff.agent.parsing.toolcalls.calls import ParsedToolCall, _properties, _required, _Tool, _words
from skiff.agent.parsing.toolcalls.lenient_json import (
    _OBJECT_START,
    _QUOTES,
    _parse_prefix,
    _Parser,
    _skip_ws_comments,
)
from skiff.agent.parsing.toolcalls.names import _resolve_tool_name
from skiff.agent.parsing.toolcalls.repair import _ARG_KEYS, _repair

# Qwen3-Coder `<function=NAME>` / Claude-style `<invoke name=...>` XML, read by `_Scan.xml_functions`.
_FUNC_OPEN = re.compile(
    r"<function\s*=\s*[\"']?([\w.\-]+)[\"']?\s*>"
    r"|<function\s+name\s*=\s*[\"']([\w.\-]+)[\"']\s*>"
    r"|<invoke\s+name\s*=\s*[\"']([\w.\-]+)[\"']\s*>"
)
_FUNC_CLOSE = re.compile(r"</\s*function\s*>")
_INVOKE_CLOSE = re.compile(r"</\s*invoke\s*>")
_PARAM_OPEN = re.compile(
    r"<parameter\s*=\s*[\"']?([\w.\-]+)[\"']?\s*>|<parameter\s+name\s*=\s*[\"']([\w.\-]+)[\"']\s*>"
)
_PARAM_CLOSE = re.compile(r"</\s*parameter\s*>")
_KEY_FIRST = re.compile(rf"\s*[{_QUOTES}][\w\-]+[{_QUOTES}]\s*:")

_NAME_KEYS = (
    "name",
    "tool",
    "tool_name",
    "toolName",
    "function_name",
    "functionName",
    "recipient_name",
    "action",
    "function",
    "tool_use",
)
_LIST_KEYS = ("tool_calls", "calls", "function_calls", "tool_uses", "actions", "toolCalls", "functionCalls")
_WRAP_KEYS = ("tool_call", "function_call", "toolCall", "functionCall", "call", "message", "choices", "delta")
_IGNORED_FLAT_KEYS = frozenset({"type", "id", "call_id", "tool_call_id", "index"})
_ABSENT = object()


@dataclass
class _Raw:
    """A call as written, before name resolution and repair."""

    name: str
    args: Any  # dict, str, None, or _ABSENT
    flat: bool = False  # arguments were written beside the name, not under an arguments key
    positional: list[Any] = field(default_factory=list)
    keyword_call: bool = False  # written as name(k=v)


def _interpret(value: Any, depth: int = 0) -> list[_Raw]:
    """The calls a parsed JSON value describes, in any of the common wrappings."""
    if depth > 4:
        return []
    if isinstance(value, list):
        return [r for item in value for r in _interpret(item, depth + 1)]
    if not isinstance(value, dict):
        return []
    for k in _LIST_KEYS:
        if isinstance(value.get(k), list):
            return _interpret(value[k], depth + 1)
    name: str | None = None
    name_key = ""
    for k in _NAME_KEYS:
        x = value.get(k)
        if isinstance(x, str) and x.strip():
            name, name_key = x.strip(), k
            break
        if isinstance(x, dict) and k in ("function", "tool", "action", "tool_use"):
            inner = _interpret(x, depth + 1)
            if inner:
                outer_args = next((value[a] for a in _ARG_KEYS if a in value), _ABSENT)
                for r in inner:
                    if r.args is _ABSENT and outer_args is not _ABSENT:
                        r.args, r.flat = outer_args, False
                return inner
    if name is None:
        for k in _WRAP_KEYS:
            if isinstance(value.get(k), dict | list):
                found = _interpret(value[k], depth + 1)
                if found:
                    return found
        if isinstance(value.get("content"), list):
            return _interpret(value["content"], depth + 1)
        return []
    for k in _ARG_KEYS:
        if k in value:
            return [_Raw(name, value[k])]
    rest = {k: v for k, v in value.items() if k != name_key and k not in _IGNORED_FLAT_KEYS}
    return [_Raw(name, rest if rest else _ABSENT, flat=bool(rest))]


_SCHEMA_WORDS = _words("type description default enum items title")


def _looks_like_schema(args: dict[str, Any], props: dict[str, Any]) -> bool:
    """Arguments that are really a JSON schema: the model echoed a tool definition instead of calling it."""
    if (
        "properties" not in props
        and isinstance(args.get("properties"), dict)
        and (args.get("type") == "object" or "required" in args)
    ):
        return True
    # every value a property description: {"path": {"type": "string", "description": "..."}}
    return bool(args) and all(
        isinstance(v, dict) and "type" in v and "value" not in v and set(v) <= _SCHEMA_WORDS
        for v in args.values()
    )


def _opens_line(text: str, i: int, start: int) -> bool:
    """Whether only whitespace, `[`, `,` or `(` stand between text[i] and its line's start (or `start`)."""
    j = i - 1
    while j >= start and text[j] != "\n":
        if text[j] not in " \t[,(":
            return False
        j -= 1
    return True


class _Scan:
    """State of one parse: the text, the tools, the calls found so far and the regions already used."""

    def __init__(self, text: str, tools: dict[str, _Tool]) -> None:
        self.text = text
        self.tools = tools
        self.names = tuple(tools)
        self.calls: list[ParsedToolCall] = []
        self.used: list[tuple[int, int]] = []

    def is_used(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.used)

    def overlaps_used(self, start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in self.used)

    def accept(self, raw: _Raw, span: tuple[int, int], fmt: str, explicit: bool) -> ParsedToolCall | None:
        """Resolve, repair and judge one written call. `explicit` formats (tags, special tokens) are taken
        as meant to be calls; the others (bare JSON, fences, Python lines) must also look like one."""
        resolved, how = _resolve_tool_name(raw.name, self.names)
        if resolved is None:
            return None
        tool = self.tools[resolved]
        props, required = _properties(tool.schema), _required(tool.schema)
        args = raw.args
        if raw.positional:
            if not explicit:
                return None
            base = dict(args) if isinstance(args, dict) else {}
            free = [p for p in props if p not in base]
            if len(raw.positional) > len(free):
                return None
            base.update(zip(free, raw.positional, strict=False))
            args = base
        if args is _ABSENT or args is None:
            if required or not explicit:
                return None
            args = {}
        if isinstance(args, dict):
            if _looks_like_schema(args, props):
                return None
            if not args and required:
                return None
        elif not isinstance(args, str):
            return None
        result = _repair(tool, args)
        if not result.arguments and required:
            return None
        strict = raw.flat or (raw.keyword_call and not explicit)
        if strict and (result.unrecognized or result.rescued):
            return None
        if raw.flat and result.missing:
            return None
        if (not explicit or how == "typo") and result.recognized == 0:
            return None
        repairs = list(result.repairs)
        if how != "exact":
            repairs.insert(0, f"tool name {raw.name!r} -> {resolved!r}")
        return ParsedToolCall(
            name=resolved,
            arguments=result.arguments,
            missing=result.missing,
            repairs=repairs,
            span=span,
            source_format=fmt,
            raw_name=raw.name,
            dropped=result.dropped,
            errors=result.errors,
        )

    def add(self, found: list[ParsedToolCall], container: tuple[int, int] | None) -> None:
        """Record calls found in one container (a tag, a fence): a lone call takes the container's span."""
        if len(found) == 1 and container is not None:
            found[0].span = container
        self.calls.extend(found)

    # JSON objects -----------------------------------------------------------------------------------------

    def json_objects(
        self, start: int, stop: int, bound: int, fmt: str, explicit: bool, line_start: bool = False
    ) -> tuple[list[ParsedToolCall], int]:
        """Calls in JSON objects that begin in text[start:stop] (they may run on to `bound`).

        Returns the calls and the end of the last object parsed. With `line_start`, only objects that open a
        line (after whitespace, `[` or `,`) count: inside code, a dict literal in an assignment is data.
        """
        text = self.text
        found: list[ParsedToolCall] = []
        last_end = start
        i = text.find("{", start, stop)
        while i >= 0:
            if self.is_used(i) or not _OBJECT_START.match(text, i, bound):
                i = text.find("{", i + 1, stop)
                continue
            if line_start and not _opens_line(text, i, max(start, found[-1].span[1] if found else start)):
                i = text.find("{", i + 1, stop)
                continue
            try:
                value, end = _parse_prefix(text, i, bound)
            except (ValueError, RecursionError):
                i = text.find("{", i + 1, stop)
                continue
            calls = [c for r in _interpret(value) if (c := self.accept(r, (i, end), fmt, explicit))]
            found.extend(calls)
            last_end = max(last_end, end)
            if end >= stop:
                break
            i = text.find("{", end, stop)
        return found, last_end

    def braceless(self, start: int, end: int, explicit: bool) -> list[ParsedToolCall]:
        """A fenced call with its object's braces left out: `"name": "read", "arguments": {...}`."""
        if not _KEY_FIRST.match(self.text, start, end):
            return []
        try:
            value = _Parser("{" + self.text[start:end], recover=True).value()
        except ValueError:
            return []
        return [c for r in _interpret(value) if (c := self.accept(r, (start, end), "fenced", explicit))]

    # Python-style calls -----------------------------------------------------------------------------------

    def python_calls(self, start: int, end: int) -> list[tuple[_Raw, tuple[int, int]]] | None:
        """Parse text[start:end] as nothing but calls, `name(k=v)`, `[a(...), b(...)]`, one per line or
        separated by `;`/`,`. None when anything else is there."""
        p = _Parser(self.text, start, end)
        out: list[tuple[_Raw, tuple[int, int]]] = []
        brackets = 0
        while True:
            p.skip_ws()
            if p.i >= p.n:
                break
            c = p.peek()
            if c in ",;":
                p.i += 1
                continue
            if c == "[":
                brackets += 1
                p.i += 1
                continue
            if c == "]" and brackets:
                brackets -= 1
                p.i += 1
                continue
            begin = p.i
            try:
                name, kwargs, positional = p.call()
            except ValueError:
                return None
            out.append((_Raw(name, kwargs, positional=positional, keyword_call=True), (begin, p.i)))
        return out if out and brackets == 0 else None

    def accept_python(
        self, items: list[tuple[_Raw, tuple[int, int]]], fmt: str, explicit: bool
    ) -> list[ParsedToolCall]:
        """All-or-nothing: a block of calls counts only if every call in it is a real tool call."""
        found: list[ParsedToolCall] = []
        for raw, span in items:
            if not explicit:
                resolved, how = _resolve_tool_name(raw.name, self.names)
                if resolved is None or how == "typo":
                    return []
            call = self.accept(raw, span, fmt, explicit)
            if call is None:
                return []
            found.append(call)
        return found

    # A region that is known to hold calls (inside a tag or after a special token) --------------------------

    def region(self, start: int, end: int, fmt: str) -> list[ParsedToolCall]:
        text = self.text
        found = self.xml_functions(start, end)
        if found:
            return found
        inner = text[start:end]
        fence = WRAPPING_FENCE.match(inner)
        if fence:
            start, end = start + fence.start(2), start + fence.end(2)
        calls = self.python_calls(start, end)
        if calls:
            return self.accept_python(calls, fmt, explicit=True)
        found, _ = self.json_objects(start, end, end, fmt, explicit=True)
        return found

    def named_call(
        self, name: str, start: int, end: int, span: tuple[int, int], fmt: str
    ) -> ParsedToolCall | None:
        """A call written as its name, then its arguments: a JSON object (maybe fenced) in text[start:end]."""
        fence = WRAPPING_FENCE.match(self.text[start:end])
        if fence:
            start, end = start + fence.start(2), start + fence.end(2)
        j = _skip_ws_comments(self.text, start, end)
        if j >= end or self.text[j] != "{":
            return None
        try:
            args, _ = _parse_prefix(self.text, j, end)
        except ValueError:
            return None
        return self.accept(_Raw(name, args), span, fmt, explicit=True)

    def xml_functions(self, start: int, end: int) -> list[ParsedToolCall]:
        """Qwen3-Coder `<function=NAME><parameter=KEY>v</parameter></function>`, `<invoke name=...>` and
        Llama's `<function=NAME>{json}</function>`, closing tags optional."""
        text = self.text
        found: list[ParsedToolCall] = []
        opens = list(_FUNC_OPEN.finditer(text, start, end))
        for idx, m in enumerate(opens):
            if self.is_used(m.start()):
                continue
            name = m.group(1) or m.group(2) or m.group(3) or ""
            invoke = m.group(3) is not None
            body_start = m.end()
            next_open = opens[idx + 1].start() if idx + 1 < len(opens) else end
            close_re = _INVOKE_CLOSE if invoke else _FUNC_CLOSE
            close = close_re.search(text, body_start, next_open)
            body_end = close.start() if close else next_open
            span_end = close.end() if close else body_end
            params = list(_PARAM_OPEN.finditer(text, body_start, body_end))
            fmt = "xml_invoke" if invoke else "qwen_xml"
            raw: _Raw
            if params:
                args: dict[str, Any] = {}
                for pidx, pm in enumerate(params):
                    v_start = pm.end()
                    v_limit = params[pidx + 1].start() if pidx + 1 < len(params) else body_end
                    pclose = _PARAM_CLOSE.search(text, v_start, v_limit)
                    v_end = pclose.start() if pclose else v_limit
                    v = text[v_start:v_end]
                    if not pclose:
                        v = v.rstrip()
                    v = v[1:] if v.startswith("\n") else v[2:] if v.startswith("\r\n") else v
                    v = v[:-1] if v.endswith("\n") else v
                    v = v[:-1] if v.endswith("\r") else v
                    args[pm.group(1) or pm.group(2) or ""] = v
                raw = _Raw(name, args)
            else:
                body = text[body_start:body_end].strip()
                if body.startswith("{"):
                    try:
                        value, _ = _parse_prefix(text, text.index("{", body_start), body_end)
                    except ValueError:
                        continue
                    raw = _Raw(name, value)
                    fmt = fmt if invoke else "function_tag"
                else:
                    raw = _Raw(name, body if body else _ABSENT)
            call = self.accept(raw, (m.start(), span_end), fmt, explicit=True)
            if call:
                found.append(call)
            self.used.append((m.start(), span_end))
        return found
