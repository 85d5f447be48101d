"""Format scanners (tags, Mistral, DeepSeek, functionary, ReAct, fences, bare JSON) and `parse_tool_calls`."""

from __future__ import annotations

import json
import re
from typing import Any

from skiff.agent.parsing.fences import INLINE_FENCE_OPEN
from skiff.agent.parsing.think import reasoning_spans
from skiff.agent.parsing.toolcalls.calls import ParsedToolCall, _tool_index, _words
from skiff.agent.parsing.toolcalls.lenient_json import _WS, _parse_prefix
from skiff.agent.parsing.toolcalls.scan import _interpret, _Raw, _Scan

_TAG_NAMES = r"tool_call|toolcall|tool_calls|function_call|functioncall|function_calls|tool_use|tools"
_TAG_OPEN = re.compile(rf"<\s*({_TAG_NAMES})\s*>", re.I)
_TAG_CLOSE = {name: re.compile(rf"<\s*/\s*{name}\s*>", re.I) for name in _TAG_NAMES.split("|")}
_SPECIAL_REGIONS: list[tuple[re.Pattern[str], re.Pattern[str], str]] = [
    (
        re.compile(r"<\|python_tag\|>"),
        re.compile(r"<\|eom_id\|>|<\|eot_id\|>|<\|python_tag\|>"),
        "python_tag",
    ),
    (re.compile(r"<\|tool_call\|>"), re.compile(r"<\|tool_call\|>|<\|end_of_text\|>|<\|end\|>"), "hermes"),
    (re.compile(r"<\|tool_call_start\|>"), re.compile(r"<\|tool_call_end\|>"), "hermes"),
]
_MISTRAL = re.compile(r"\[TOOL_CALLS\]")
_MISTRAL_NAMED = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*(?:\[CALL_ID\]\s*[\w\-]*\s*)?(?:\[ARGS\])?\s*(?=\{)")
_REACT = re.compile(
    r"^[ \t]*Action[ \t]*:[ \t]*`?([A-Za-z_][\w.\-]*)`?[ \t]*\r?\n[ \t]*Action[ _]Input[ \t]*:[ \t]*",
    re.M | re.I,
)


def _ds_token(words: str) -> str:
    """A DeepSeek special token such as `<|tool_call_begin|>`, as the tokenizer prints it (fullwidth bars,
    U+2581 for the underscores) or in ASCII."""
    return "<[|\uff5c]" + words.replace(" ", "[\u2581_]") + "[|\uff5c]>"


# DeepSeek V3 `<|tool_call_begin|>function<|tool_sep|>NAME\n```json\n{...}\n```<|tool_call_end|>` and V3.1
# `<|tool_call_begin|>NAME<|tool_sep|>{...}<|tool_call_end|>`, in `<|tool_calls_begin|>...<|tool_calls_end|>`.
_DS_CALL = re.compile(
    rf"(?:{_ds_token('tool calls begin')}\s*)?{_ds_token('tool call begin')}\s*"
    rf"(?:function\s*{_ds_token('tool sep')}\s*([\w.\-]+)|([\w.\-]+)\s*{_ds_token('tool sep')})"
)
_DS_END = _ds_token("tool call end")
_DS_CALLS_END = _ds_token("tool calls end")
_DS_EOS = _ds_token("end of sentence")
_DS_STOP = re.compile(
    rf"(?P<end>{_DS_END}(?:\s*{_DS_CALLS_END})?|{_DS_CALLS_END})(?:\s*{_DS_EOS})?"
    rf"|{_ds_token('tool call begin')}|{_DS_EOS}"
)
# functionary v3: `>>>NAME\n{...}`, several in a row; `>>>all\n` starts plain text.
_FUNCTIONARY = re.compile(r">>>([A-Za-z_][\w.\-]*)[ \t]*\r?\n")
_EXPLICIT_FENCES = _words(
    "tool tool_call tool_calls tool_code tools function function_call functions action call"
)
_DATA_FENCES = _words("json jsonc json5 jsonl ndjson javascript_object text txt plaintext xml")
_ONLY_GLUE = re.compile(r"(?:\s|[\[\],;]|//[^\n]*|#[^\n]*)*")
_CALL_LINE = re.compile(r"^(\[?[A-Za-z_][\w.]*\s*\(.*)$", re.M)


def _tags(scan: _Scan) -> None:
    text = scan.text
    # <tool_call> ... </tool_call> (closing tag optional: the region then ends at the next opening or the end)
    opens = [m for m in _TAG_OPEN.finditer(text) if not scan.is_used(m.start())]
    for idx, m in enumerate(opens):
        if scan.is_used(m.start()):
            continue
        limit = opens[idx + 1].start() if idx + 1 < len(opens) else len(text)
        close = _TAG_CLOSE[m.group(1).lower()].search(text, m.end(), limit)
        body_end = close.start() if close else limit
        span = (m.start(), close.end() if close else body_end)
        found = scan.region(m.end(), body_end, "hermes")
        scan.add(found, span)
        scan.used.append(span)
    # special-token formats
    for open_re, close_re, fmt in _SPECIAL_REGIONS:
        for m in open_re.finditer(text):
            if scan.is_used(m.start()):
                continue
            close = close_re.search(text, m.end())
            body_end = close.start() if close else len(text)
            span = (m.start(), close.end() if close and close.group(0) != m.group(0) else body_end)
            scan.add(scan.region(m.end(), body_end, fmt), span)
            scan.used.append(span)
    # bare Qwen3-Coder / Llama function tags outside <tool_call>
    scan.calls.extend(scan.xml_functions(0, len(text)))
    _mistral(scan)
    _react(scan)
    _named(scan)


def _mistral(scan: _Scan) -> None:
    """`[TOOL_CALLS] [{...}, ...]`, `[TOOL_CALLS]{...}` or `[TOOL_CALLS]name[ARGS]{...}` (repeated)."""
    text = scan.text
    marks = [m for m in _MISTRAL.finditer(text) if not scan.is_used(m.start())]
    for idx, m in enumerate(marks):
        limit = marks[idx + 1].start() if idx + 1 < len(marks) else len(text)
        pos = m.end()
        found: list[ParsedToolCall] = []
        while pos < limit:
            k = pos
            while k < limit and (text[k] in _WS or text[k] in "[],"):  # list glue: each call keeps its span
                k += 1
            if k < limit and text[k] == "{":
                try:
                    value, end = _parse_prefix(text, k, limit)
                except ValueError:
                    break
                found.extend(c for r in _interpret(value) if (c := scan.accept(r, (k, end), "mistral", True)))
                pos = end
                continue
            named = _MISTRAL_NAMED.match(text, k, limit)
            if not named:
                break
            try:
                args, end = _parse_prefix(text, named.end(), limit)
            except ValueError:
                break
            call = scan.accept(_Raw(named.group(1), args), (k, end), "mistral", True)
            if call:
                found.append(call)
            pos = end
        if pos > m.end():
            while pos < limit and text[pos] in " \t]":
                pos += 1
            if len(found) == 1:
                found[0].span = (m.start(), pos)
            scan.calls.extend(found)
            scan.used.append((m.start(), pos))


def _named(scan: _Scan) -> None:
    """DeepSeek's special-token calls and functionary's `>>>NAME` lines: a name, then JSON arguments."""
    text = scan.text
    for m in _DS_CALL.finditer(text):
        if scan.is_used(m.start()):
            continue
        stop = _DS_STOP.search(text, m.end())
        end = stop.start() if stop else len(text)
        span = (m.start(), stop.end() if stop and stop.group("end") else end)
        call = scan.named_call(m.group(1) or m.group(2), m.end(), end, span, "deepseek")
        scan.calls.extend([call] if call else [])
        scan.used.append(span)
    marks = [m for m in _FUNCTIONARY.finditer(text) if not scan.is_used(m.start())]
    for idx, m in enumerate(marks):
        end = marks[idx + 1].start() if idx + 1 < len(marks) else len(text)
        span = (m.start(), m.end() + len(text[m.end() : end].rstrip()))
        call = None if m.group(1) == "all" else scan.named_call(m.group(1), m.end(), end, span, "functionary")
        scan.calls.extend([call] if call else [])
        if call:
            scan.used.append(span)


def _react(scan: _Scan) -> None:
    """ReAct text: `Action: read` then `Action Input: {"path": "a.py"}`."""
    text = scan.text
    for m in _REACT.finditer(text):
        if scan.is_used(m.start()):
            continue
        pos = m.end()
        args: Any
        end: int
        if pos < len(text) and text[pos] in "{[\"'":
            try:
                args, end = _parse_prefix(text, pos, len(text))
            except ValueError:
                continue
        else:
            nl = text.find("\n", pos)
            end = len(text) if nl < 0 else nl
            args = text[pos:end].strip()
        call = scan.accept(_Raw(m.group(1), args), (m.start(), end), "react", True)
        if call:
            scan.calls.append(call)
        scan.used.append((m.start(), end))


def _fences(scan: _Scan) -> None:
    text = scan.text
    pos = 0
    while True:
        m = INLINE_FENCE_OPEN.search(text, pos)
        if m is None:
            return
        if scan.is_used(m.start()):
            pos = m.end()
            continue
        fence, info = m.group(1), m.group(2).lower()
        cstart = m.end()
        close = text.find(fence, cstart)
        cend = close if close >= 0 else len(text)
        explicit = info in _EXPLICIT_FENCES
        found, obj_end = scan.json_objects(cstart, cend, len(text), "fenced", explicit, line_start=True)
        if found and not explicit and info not in _DATA_FENCES:
            # in a code block (python, js...) the calls must be all there is: a dict literal in code is data
            rest = text[cstart : max(cend, obj_end)]
            for c in sorted(found, key=lambda c: c.span, reverse=True):
                rest = rest[: c.span[0] - cstart] + rest[c.span[1] - cstart :]
            if not _ONLY_GLUE.fullmatch(rest):
                found = []
        if not found:
            items = scan.python_calls(cstart, cend)
            if items:
                found = scan.accept_python(items, "fenced", explicit)
        if not found and (explicit or not info or info in _DATA_FENCES):
            found = scan.braceless(cstart, cend, explicit)
        region_end = cend + len(fence) if close >= 0 else len(text)
        if obj_end > cend:  # a JSON string held a ``` of its own: the fence closes after the object
            again = text.find(fence, obj_end)
            region_end = again + len(fence) if again >= 0 and not text[obj_end:again].strip() else obj_end
        scan.add(found, (m.start(), region_end))
        scan.used.append((m.start(), region_end))
        pos = region_end


def _bare(scan: _Scan) -> None:
    text = scan.text
    found, _ = scan.json_objects(0, len(text), len(text), "bare_json", explicit=False)
    scan.calls.extend(found)
    for m in _CALL_LINE.finditer(text):
        if scan.overlaps_used(m.start(), m.end()):
            continue
        items = scan.python_calls(m.start(), m.end())
        if items:  # a line that is a bracketed list of calls is Llama's pythonic format: meant as calls
            listed = m.group(1).startswith("[") and m.group(1).rstrip().endswith("]")
            scan.calls.extend(scan.accept_python(items, "python_call", explicit=listed))


def parse_tool_calls(text: str, tools: list[dict[str, Any]]) -> list[ParsedToolCall]:
    """Find the tool calls a model printed as text; [] when there are none.

    `tools` are OpenAI-style definitions. Calls are returned in text order with repaired arguments; exact
    duplicates are dropped. Reasoning is ignored: `<think>` blocks, and all before a `</think>` whose opening
    tag was in the prompt. A call is returned only when its name resolves to a known tool and it has
    arguments (empty only for a tool without required parameters, and only in an explicit tool-call format:
    tags, special tokens, a line that is a bracketed list of Python calls).
    """
    if not text or not tools:
        return []
    index = _tool_index(tools)
    if not index:
        return []
    scan = _Scan(text, index)
    scan.used.extend(reasoning_spans(text))  # skiff.agent.parsing.think: the one reasoning-tag rule
    _tags(scan)
    _fences(scan)
    _bare(scan)
    out: list[ParsedToolCall] = []
    seen: set[str] = set()
    for call in sorted(scan.calls, key=lambda c: c.span):
        key = call.name + "\0" + json.dumps(call.arguments, sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        out.append(call)
    return out


def strip_tool_calls(text: str, calls: list[ParsedToolCall]) -> str:
    """The text with the calls' spans cut out: what is left to show as the model's prose."""
    pieces: list[str] = []
    pos = 0
    for a, b in sorted(c.span for c in calls):
        if a >= pos:
            pieces.append(text[pos:a])
        pos = max(pos, b)
    pieces.append(text[pos:])
    return re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip()
