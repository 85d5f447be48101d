"""Forgiving tool-call parsing for small models: finds calls printed as text and repairs their arguments.

Small local models often print a tool call in their reply text instead of emitting a native call, and
often get argument names or types slightly wrong. This module turns such text back into calls that can
be executed, without ever turning ordinary prose or code into a call:

* `parse_tool_calls(text, tools)` finds calls in fenced blocks, Hermes/Qwen `<tool_call>` tags, Qwen3-Coder
  `<function=...>` XML, Llama `<|python_tag|>` and pythonic lists, Mistral `[TOOL_CALLS]`, DeepSeek's
  `<|tool_call_begin|>` tokens, functionary's `>>>name` lines, ReAct `Action:` lines, bare JSON in prose and
  Python-style calls, skipping the model's reasoning. A call is kept only when its name resolves to a known
  tool and it carries arguments that fit that tool.
* `repair_arguments(name, arguments, tools)` maps argument names onto the schema (aliases, case), coerces
  types, drops unknown keys the schema does not allow and reports what is still missing. It also serves
  native calls.
* `suggest_tool_name`, `loads_forgiving`, `toolcall_json_schema` and `parse_constrained_reply` are the
  smaller helpers around them.

Only the standard library is used.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ParsedToolCall",
    "RepairResult",
    "loads_forgiving",
    "parse_constrained_reply",
    "parse_tool_calls",
    "repair_arguments",
    "strip_tool_calls",
    "suggest_tool_name",
    "toolcall_json_schema",
]


# --------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------


@dataclass
class ParsedToolCall:
    """A tool call recovered from reply text, with repaired arguments.

    `name` is the real tool name (after name repair), `raw_name` what the model wrote. `missing` lists the
    required arguments still absent after repair (dotted paths for nested ones), `repairs` says in words what
    was changed, `dropped` holds unknown arguments removed because the schema does not allow them, `errors`
    the values that could not be made to fit. `span` is the (start, end) of the call's text in the reply and
    `source_format` how it was written: fenced, hermes, qwen_xml, function_tag, xml_invoke, python_tag,
    mistral, deepseek, functionary, react, bare_json, python_call or constrained.
    """

    name: str
    arguments: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)
    source_format: str = ""
    raw_name: str = ""
    dropped: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the arguments should pass the tool's own validation."""
        return not self.missing and not self.errors


@dataclass
class RepairResult:
    """The outcome of `repair_arguments`. `name` is the resolved tool name, None when no tool matches."""

    name: str | None
    arguments: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    dropped: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    recognized: int = field(default=0, repr=False)  # top-level keys that matched a parameter by name
    unrecognized: int = field(default=0, repr=False)  # top-level keys that matched none
    rescued: int = field(default=0, repr=False)  # top-level keys mapped only because they were the one left

    @property
    def ok(self) -> bool:
        return self.name is not None and not self.missing and not self.errors


# --------------------------------------------------------------------------------------------------------
# Tool definitions
# --------------------------------------------------------------------------------------------------------

_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass
class _Tool:
    name: str
    schema: dict[str, Any]


def _tool_index(tools: Iterable[dict[str, Any]]) -> dict[str, _Tool]:
    """Tool name -> definition, from OpenAI-style (`{"type": "function", "function": {...}}`) or flat."""
    out: dict[str, _Tool] = {}
    for t in tools:
        if not isinstance(t, dict):
            continue
        fn = t["function"] if isinstance(t.get("function"), dict) else t
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            continue
        params = fn.get("parameters") or fn.get("input_schema") or _EMPTY_SCHEMA
        out[name] = _Tool(name, params if isinstance(params, dict) else _EMPTY_SCHEMA)
    return out


def _required(schema: dict[str, Any]) -> list[str]:
    req = schema.get("required", [])
    return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {})
    return props if isinstance(props, dict) else {}


# --------------------------------------------------------------------------------------------------------
# Names: normalisation, aliases, edit distance
# --------------------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _norm(name: str) -> str:
    """`readFile`, `Read-File`, ` read_file ` -> `read_file`."""
    s = _CAMEL.sub("_", name.strip().strip("`'\"")).lower()
    return _NON_ALNUM.sub("_", s).strip("_")


def _norm_tool_name(raw: str) -> str:
    """Normalise a tool name as a model wrote it: drops `functions.`-style prefixes, `.call` and `()`."""
    s = raw.strip().strip("`'\"").strip()
    if s.endswith("()"):
        s = s[:-2]
    if "__" in s:  # mcp__server__tool
        s = s.rsplit("__", 1)[-1]
    parts = [p for p in s.split(".") if p]
    if len(parts) > 1 and parts[-1].lower() == "call":
        parts = parts[:-1]
    return _norm(parts[-1]) if parts else ""


def _osa(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (Levenshtein plus adjacent transpositions)."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[lb]


def _typo_budget(length: int) -> int:
    return 0 if length < 4 else 1 if length < 8 else 2


# Groups of names meaning the same tool. A member resolves to the one real tool named in its group.
_TOOL_ALIASES: list[frozenset[str]] = [
    _words(
        "read read_file readfile view view_file cat cat_file open_file file_read get_file get_file_contents "
        "read_text_file show_file load_file read_files"
    ),
    _words(
        "write write_file writefile create_file file_write save_file write_to_file create new_file "
        "overwrite_file put_file file_create"
    ),
    _words(
        "edit edit_file file_edit str_replace replace replace_in_file search_replace search_and_replace "
        "apply_edit modify_file replace_string replace_text str_replace_editor update_file edit_text"
    ),
    _words(
        "bash run_bash shell run_shell sh terminal run_terminal run_command execute_command exec execute "
        "run cmd command run_terminal_cmd execute_bash bash_command shell_command run_shell_command "
        "exec_command shell_exec bash_exec"
    ),
    _words(
        "grep search ripgrep rg grep_search search_files search_code code_search find_in_files search_text "
        "text_search find_text search_file_content search_in_files"
    ),
    _words("glob find_files file_search list_files glob_files find_file file_glob glob_search"),
    _words(
        "scratchpad todo todos todo_write todowrite todo_list update_todos plan update_plan task_list "
        "tasks write_todos"
    ),
]

# Tokens that carry no meaning in a tool name: `run_bash` is `bash`, `read_file` is `read`.
_NAME_FILLER = _words(
    "file files tool tools func function call do the to in run exec execute use api default my invoke "
    "perform cmd command"
)


def _alias_targets(key: str, normed: dict[str, list[str]]) -> set[str]:
    targets: set[str] = set()
    for group in _TOOL_ALIASES:
        if key in group:
            hits = [normed[m][0] for m in group if m in normed and len(normed[m]) == 1]
            targets.update(hits)
    return targets


@functools.lru_cache(maxsize=4096)
def _resolve_tool_name(raw: str, names: tuple[str, ...]) -> tuple[str | None, str]:
    """The real tool a model-written name means, and how it was found: exact, case, normalized, alias,
    token or typo. (None, "") when no tool matches or the match is ambiguous."""
    if not raw:
        return None, ""
    if raw in names:
        return raw, "exact"
    lowered: dict[str, list[str]] = {}
    for n in names:
        lowered.setdefault(n.lower(), []).append(n)
    hit = lowered.get(raw.strip().lower())
    if hit and len(hit) == 1:
        return hit[0], "case"
    key = _norm_tool_name(raw)
    if not key:
        return None, ""
    normed: dict[str, list[str]] = {}
    for n in names:
        normed.setdefault(_norm(n), []).append(n)
    if key in normed:
        return (normed[key][0], "normalized") if len(normed[key]) == 1 else (None, "")
    targets = _alias_targets(key, normed)
    if targets:
        return (targets.pop(), "alias") if len(targets) == 1 else (None, "")
    # Every meaningful token must point at the same tool: read_file, file_read, run_bash, grep_search.
    tokens = [t for t in key.split("_") if t and t not in _NAME_FILLER]
    if tokens:
        token_hits: set[str] = set()
        for t in tokens:
            th = {normed[t][0]} if t in normed and len(normed[t]) == 1 else _alias_targets(t, normed)
            if len(th) != 1:
                token_hits = set()
                break
            token_hits |= th
        if len(token_hits) == 1:
            return token_hits.pop(), "token"
    # A typo of a tool name or of one of its aliases.
    budget = _typo_budget(len(key))
    if budget:
        best: dict[str, int] = {}
        candidates: list[tuple[str, str]] = [(k, v[0]) for k, v in normed.items() if len(v) == 1]
        for group in _TOOL_ALIASES:
            real = [normed[m][0] for m in group if m in normed and len(normed[m]) == 1]
            if len(real) == 1:
                candidates.extend((m, real[0]) for m in group)
        for spelled, target in candidates:
            if abs(len(spelled) - len(key)) > budget:
                continue
            d = _osa(key, spelled)
            if d <= budget and d < best.get(target, budget + 1):
                best[target] = d
        if best:
            low = min(best.values())
            winners = [t for t, d in best.items() if d == low]
            if len(winners) == 1:
                return winners[0], "typo"
    return None, ""


def suggest_tool_name(name: str, tools: list[dict[str, Any]]) -> str | None:
    """The real tool name nearest to `name`, for an "unknown tool, did you mean X?" message.

    Uses the same resolution as the parser (case, aliases such as read_file -> read, typos) and, failing
    that, a looser similarity match. None when nothing is reasonably close or the choice is ambiguous.
    """
    names = tuple(_tool_index(tools))
    resolved, _ = _resolve_tool_name(name, names)
    if resolved is not None:
        return resolved
    key = _norm_tool_name(name)
    if not key:
        return None
    normed = {_norm(n): n for n in names}
    ratios = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in normed), reverse=True)
    if not ratios or ratios[0][0] < 0.7:
        return None
    if len(ratios) > 1 and ratios[0][0] - ratios[1][0] < 0.1:
        return None
    return normed[ratios[0][1]]


# --------------------------------------------------------------------------------------------------------
# The forgiving JSON / Python-literal parser
# --------------------------------------------------------------------------------------------------------


class _ParseError(ValueError):
    pass


_WS = " \t\r\n\f\v\ufeff"
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_KEY_CHARS = _IDENT_CHARS | frozenset("-.")
_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORDS: dict[str, Any] = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
    "None": None,
    "nil": None,
    "undefined": None,
}
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "/": "/",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "`": "`",
    "0": "\0",
}
# Opening quote -> the quotes that close it. Curly quotes (a word processor's, or a model imitating one)
# delimit strings too: double ones close double ones, single ones single ones; in a string opened by a
# curly double quote, a right single quote is an apostrophe.
_CLOSING = {'"': '"', "'": "'", "`": "`"}
_CLOSING.update(dict.fromkeys("\u201c\u201d\u201e", "\u201d\u201c"))
_CLOSING.update(dict.fromkeys("\u2018\u2019\u201a", "\u2019\u2018"))
_QUOTES = "".join(_CLOSING)
_STRING_STOP = {q: re.compile("[\\\\" + c + "]") for q, c in _CLOSING.items()}
_MAX_DEPTH = 100
_DECODER = json.JSONDecoder(strict=False)


class _Parser:
    """A lenient recursive-descent parser for JSON and Python literals over text[pos:end].

    Accepts single, triple-quoted, backtick and r-prefixed strings, raw newlines and unescaped inner quotes in
    strings, unquoted keys, `=` for `:`, trailing or missing commas, comments, True/False/None and objects or
    arrays left open at the end. With `recover`, an object or array that runs into garbage after at least one
    good member is closed there (a model that forgot a closing brace before more prose).
    """

    def __init__(self, text: str, pos: int = 0, end: int | None = None, recover: bool = False) -> None:
        self.s = text
        self.i = pos
        self.n = len(text) if end is None else min(end, len(text))
        self.recover = recover
        self.closers: list[str] = []  # closing characters of the open containers, innermost last

    def error(self, msg: str) -> _ParseError:
        return _ParseError(f"{msg} at offset {self.i}")

    def skip_ws(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in _WS:
                self.i += 1
            elif c == "/" and self.i + 1 < n and s[self.i + 1] == "/":
                j = s.find("\n", self.i, n)
                self.i = n if j < 0 else j + 1
            elif c == "/" and self.i + 1 < n and s[self.i + 1] == "*":
                j = s.find("*/", self.i + 2, n)
                self.i = n if j < 0 else j + 2
            elif c == "#":
                j = s.find("\n", self.i, n)
                self.i = n if j < 0 else j + 1
            else:
                break

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    # values ---------------------------------------------------------------------------------------------

    def value(self) -> Any:
        self.skip_ws()
        if self.i >= self.n:
            raise self.error("unexpected end")
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.array("]")
        if c == "(":
            return self.array(")")
        if c in _QUOTES:
            return self.string()
        if c in "rRuUbBfF" and self.i + 1 < self.n and self.s[self.i + 1] in "\"'":
            raw = c in "rR"
            self.i += 1
            return self.string(raw=raw)
        if c.isdigit() or c in "+-.":
            return self.number()
        if c in _IDENT_START:
            word = self.ident(_IDENT_CHARS)
            if word in _WORDS:
                return _WORDS[word]
            if word in ("NaN", "Infinity"):
                return float(word.lower().replace("infinity", "inf"))
            raise self.error(f"unexpected word {word!r}")
        raise self.error(f"unexpected {c!r}")

    def ident(self, chars: frozenset[str]) -> str:
        start = self.i
        while self.i < self.n and self.s[self.i] in chars:
            self.i += 1
        return self.s[start : self.i]

    def number(self) -> int | float:
        m = _NUMBER.match(self.s, self.i, self.n)
        if not m:
            raise self.error("bad number")
        txt = m.group(0)
        self.i = m.end()
        if self.i < self.n and self.s[self.i] in _IDENT_CHARS:
            raise self.error("bad number")
        clean = txt.replace("_", "").lstrip("+")
        if any(ch in clean for ch in ".eE"):
            return float(clean)
        return int(clean)

    def string(self, key: bool = False, raw: bool = False) -> str:
        s, q = self.s, self.s[self.i]
        if q in "\"'" and s.startswith(q * 3, self.i):
            j = s.find(q * 3, self.i + 3, self.n)
            if j < 0:
                raise self.error("unterminated string")
            body = s[self.i + 3 : j]
            self.i = j + 3
            return body if raw else _unescape(body)
        self.i += 1
        chunks: list[str] = []
        stop = _STRING_STOP[q]
        while True:
            m = stop.search(s, self.i, self.n)
            if m is None:
                raise self.error("unterminated string")
            j = m.start()
            chunks.append(s[self.i : j])
            if s[j] == "\\":
                if j + 1 >= self.n:
                    raise self.error("unterminated string")
                if raw:
                    chunks.append(s[j : j + 2])
                    self.i = j + 2
                else:
                    text, self.i = _escape_at(s, j, self.n)
                    chunks.append(text)
                continue
            self.i = j + 1
            if q == "`" or key or self.closes_string(j + 1):
                return "".join(chunks)
            chunks.append(s[j])  # an unescaped quote inside the string

    def closes_string(self, j: int) -> bool:
        """Whether a quote just before offset j ends its string: what follows must continue the structure."""
        s, n = self.s, self.n
        while j < n and s[j] in " \t":
            j += 1
        if j >= n:
            return True
        c = s[j]
        if c in "}])":
            return not self.closers or c == self.closers[-1]
        if c == ",":
            j = _skip_ws_comments(s, j + 1, n)
            if j >= n:
                return True
            c2 = s[j]
            if c2 in _QUOTES or c2 in "}]){[-" or c2.isdigit():
                return True
            if c2 in _IDENT_START:
                k = j
                while k < n and s[k] in _KEY_CHARS:
                    k += 1
                if s[j:k] in _WORDS:
                    return True
                while k < n and s[k] in " \t":
                    k += 1
                return k < n and s[k] in ":="
            return False
        if c in "\r\n":
            while j < n and s[j] in _WS:
                j += 1
            if j >= n:
                return True
            c2 = s[j]
            if c2 in _QUOTES or c2 in "}])":
                return True
            if c2 in _IDENT_START:
                k = j
                while k < n and s[k] in _KEY_CHARS:
                    k += 1
                while k < n and s[k] in " \t":
                    k += 1
                return k < n and s[k] == ":"
            return False
        return False

    def obj(self) -> dict[str, Any]:
        if len(self.closers) >= _MAX_DEPTH:
            raise self.error("nested too deeply")
        mark = len(self.closers)
        self.closers.append("}")
        try:
            return self.obj_body()
        finally:
            del self.closers[mark:]

    def obj_body(self) -> dict[str, Any]:
        self.i += 1
        out: dict[str, Any] = {}
        good = self.i
        while True:
            self.skip_ws()
            if self.i >= self.n:
                break  # left open at the end: close it
            c = self.s[self.i]
            if c == "}":
                self.i += 1
                break
            if c == ",":
                self.i += 1
                continue
            try:
                if c in _QUOTES:
                    key = self.string(key=True)
                elif c in _KEY_CHARS:
                    key = self.ident(_KEY_CHARS)
                else:
                    raise self.error(f"expected a key, found {c!r}")
                self.skip_ws()
                if self.peek() not in (":", "="):
                    raise self.error("expected ':'")
                self.i += 1
                out[key] = self.value()
                good = self.i
            except _ParseError:
                if self.recover and out:
                    self.i = good
                    break
                raise
        return out

    def array(self, close: str) -> list[Any]:
        if len(self.closers) >= _MAX_DEPTH:
            raise self.error("nested too deeply")
        mark = len(self.closers)
        self.closers.append(close)
        try:
            return self.array_body(close)
        finally:
            del self.closers[mark:]

    def array_body(self, close: str) -> list[Any]:
        self.i += 1
        out: list[Any] = []
        good = self.i
        while True:
            self.skip_ws()
            if self.i >= self.n:
                break
            c = self.s[self.i]
            if c == close:
                self.i += 1
                break
            if c == ",":
                self.i += 1
                continue
            try:
                out.append(self.value())
                good = self.i
            except _ParseError:
                if self.recover and out:
                    self.i = good
                    break
                raise
        return out

    # python-style calls -----------------------------------------------------------------------------------

    def call(self) -> tuple[str, dict[str, Any], list[Any]]:
        """`name(k=v, ...)`, `a.b.call(...)` or `print(name(...))`: name, keyword and positional arguments."""
        self.skip_ws()
        if self.peek() not in _IDENT_START:
            raise self.error("expected a name")
        name = self.ident(_IDENT_CHARS | frozenset("."))
        self.skip_ws()
        if self.peek() != "(":
            raise self.error("expected '('")
        self.i += 1
        if name == "print":
            save = self.i
            try:
                inner = self.call()
                self.skip_ws()
                if self.peek() == ")":
                    self.i += 1
                    return inner
            except _ParseError:
                pass
            self.i = save
        mark = len(self.closers)
        self.closers.append(")")
        try:
            kwargs, positional = self.call_args()
        finally:
            del self.closers[mark:]
        return name, kwargs, positional

    def call_args(self) -> tuple[dict[str, Any], list[Any]]:
        kwargs: dict[str, Any] = {}
        positional: list[Any] = []
        while True:
            self.skip_ws()
            if self.i >= self.n:
                raise self.error("unterminated call")
            c = self.s[self.i]
            if c == ")":
                self.i += 1
                return kwargs, positional
            if c == ",":
                self.i += 1
                continue
            if c in _IDENT_START:
                save = self.i
                word = self.ident(_IDENT_CHARS)
                self.skip_ws()
                if self.peek() == "=" and self.s[self.i : self.i + 2] != "==":
                    self.i += 1
                    kwargs[word] = self.value()
                    continue
                self.i = save
            if kwargs:
                raise self.error("positional argument after keyword argument")
            positional.append(self.value())


def _skip_ws_comments(s: str, j: int, n: int) -> int:
    while j < n:
        if s[j] in _WS:
            j += 1
        elif s.startswith("//", j):
            k = s.find("\n", j, n)
            j = n if k < 0 else k + 1
        elif s.startswith("/*", j):
            k = s.find("*/", j + 2, n)
            j = n if k < 0 else k + 2
        else:
            break
    return j


def _escape_at(s: str, j: int, n: int) -> tuple[str, int]:
    """Decode the escape at s[j] == '\\'; unknown escapes (`\\d` in a regex) are kept as written."""
    c = s[j + 1]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], j + 2
    if c == "u" and j + 6 <= n and re.fullmatch(r"[0-9a-fA-F]{4}", s[j + 2 : j + 6]):
        code = int(s[j + 2 : j + 6], 16)
        if 0xD800 <= code < 0xDC00 and s.startswith("\\u", j + 6) and j + 12 <= n:
            low_txt = s[j + 8 : j + 12]
            if re.fullmatch(r"[0-9a-fA-F]{4}", low_txt):
                low = int(low_txt, 16)
                if 0xDC00 <= low < 0xE000:
                    return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), j + 12
        return chr(code), j + 6
    if c == "x" and j + 4 <= n and re.fullmatch(r"[0-9a-fA-F]{2}", s[j + 2 : j + 4]):
        return chr(int(s[j + 2 : j + 4], 16)), j + 4
    return s[j : j + 2], j + 2


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        j = body.find("\\", i)
        if j < 0 or j + 1 >= n:
            out.append(body[i:])
            break
        out.append(body[i:j])
        text, i = _escape_at(body, j, n)
        out.append(text)
    return "".join(out)


_WRAPPING_FENCE = re.compile(r"^\s*(`{3,}|~{3,})[\w+.\-]*[ \t]*\n?(.*?)\n?[ \t]*\1\s*$", re.S)


def loads_forgiving(text: str) -> Any:
    """Parse JSON the way a small model writes it; raises ValueError when the text holds no single value.

    Beyond strict JSON this accepts Python literals (True, False, None, single or triple quotes, tuples),
    trailing commas, unquoted keys, comments, raw newlines and unescaped inner quotes in strings, unknown
    escapes such as `\\d`, a wrapping ``` fence, and objects or arrays left unclosed at the end of the text.
    """
    if not isinstance(text, str):
        raise ValueError("not a string")
    m = _WRAPPING_FENCE.match(text)
    if m:
        text = m.group(2)
    try:
        return json.loads(text, strict=False)
    except (json.JSONDecodeError, RecursionError):
        pass
    p = _Parser(text)
    try:
        value = p.value()
        p.skip_ws()
        if p.peek() == ";":
            p.i += 1
            p.skip_ws()
    except RecursionError as exc:  # pragma: no cover - guarded by _MAX_DEPTH
        raise ValueError("nested too deeply") from exc
    if p.i < p.n:
        raise ValueError(f"extra data at offset {p.i}")
    return value


_JSON_START = re.compile(r'\{\s*"|\[\s*[\[{"]')
_OBJECT_START = re.compile(rf"\{{\s*[{_QUOTES}A-Za-z_$]")


def _parse_prefix(text: str, pos: int, end: int) -> tuple[Any, int]:
    """Parse one value starting at text[pos], inside text[:end]; returns (value, end offset)."""
    m = _JSON_START.match(text, pos, end)
    if m:  # strict JSON first: fast, and failures are rare (a failure costs a scan of the text before pos)
        try:
            value, stop = _DECODER.raw_decode(text, pos)
            if stop <= end:
                return value, stop
        except (json.JSONDecodeError, RecursionError):
            pass
    p = _Parser(text, pos, end, recover=True)
    return p.value(), p.i


# --------------------------------------------------------------------------------------------------------
# Schema-aware argument repair
# --------------------------------------------------------------------------------------------------------

# Parameter-name synonyms. A model-written key maps onto a schema property only when exactly one property of
# that schema is in a group with the key.
_PARAM_ALIASES: list[frozenset[str]] = [
    _words(
        "path file_path filepath filename file_name file fname absolute_path relative_path abs_path "
        "target_file file_location dir directory folder dirpath dir_path search_path root cwd location "
        "paths"
    ),
    _words(
        "old_string old_str old search find old_text original original_text original_string from before "
        "search_text old_content find_text old_code target_text search_string existing existing_text "
        "to_replace"
    ),
    _words(
        "new_string new_str new replace replacement new_text to after replace_with replacement_text "
        "new_content updated updated_text new_code replacement_string"
    ),
    _words(
        "content contents text file_text body data file_content file_contents code source new_content "
        "task title description item step todo"
    ),
    _words("command cmd script shell_command bash_command commands code line cmdline command_line"),
    _words(
        "pattern query regex search search_pattern search_term term expression glob_pattern keyword "
        "text q needle search_query string regexp re patterns"
    ),
    _words("glob include file_pattern file_glob includes file_filter filter file_type glob_filter"),
    _words("ignore_case case_insensitive ignorecase nocase insensitive icase"),
    _words("timeout timeout_seconds timeout_s time_limit timeout_sec max_time seconds"),
    _words(
        "offset start start_line line from_line line_start start_line_number line_number begin first_line"
    ),
    _words("limit count max_lines num_lines lines n length max line_count max_results"),
    _words("replace_all all global replaceall every multiple all_occurrences"),
    _words("items todos tasks todo_list list steps plan entries"),
    _words("status state"),
]

_ENUM_SYNONYMS = {
    "done": "completed",
    "complete": "completed",
    "finished": "completed",
    "finish": "completed",
    "closed": "completed",
    "resolved": "completed",
    "checked": "completed",
    "x": "completed",
    "todo": "pending",
    "to_do": "pending",
    "not_started": "pending",
    "open": "pending",
    "new": "pending",
    "planned": "pending",
    "waiting": "pending",
    "queued": "pending",
    "doing": "in_progress",
    "active": "in_progress",
    "started": "in_progress",
    "ongoing": "in_progress",
    "wip": "in_progress",
    "current": "in_progress",
    "working": "in_progress",
    "progress": "in_progress",
}

_TRUE = _words("true yes y on 1 t enabled")
_FALSE = _words("false no n off 0 f disabled none")
_INT_TEXT = re.compile(r"\s*[+-]?\d+(?:\.0*)?\s*")
_FLOAT_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")

_ARG_KEYS = (
    "arguments",
    "parameters",
    "input",
    "args",
    "params",
    "action_input",
    "tool_input",
    "kwargs",
    "argument",
    "inputs",
    "tool_args",
    "function_args",
)


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_ok(value: Any, t: str) -> bool:
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    if t == "null":
        return value is None
    return True


class _Repairer:
    """Walks arguments against a JSON schema, renaming keys and coercing values; collects what it did."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.repairs: list[str] = []
        self.errors: list[str] = []
        self.missing: list[str] = []
        self.dropped: dict[str, Any] = {}
        self.recognized = 0
        self.unrecognized = 0
        self.rescued = 0

    def fork(self) -> _Repairer:
        return _Repairer(self.root)

    def merge(self, other: _Repairer) -> None:
        self.repairs += other.repairs
        self.errors += other.errors
        self.missing += other.missing
        self.dropped.update(other.dropped)

    def deref(self, schema: Any) -> dict[str, Any]:
        if not isinstance(schema, dict):
            return {}
        for _ in range(32):
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                break
            target: Any = self.root
            if ref.startswith("#/"):
                for part in ref[2:].split("/"):
                    part = part.replace("~1", "/").replace("~0", "~")
                    target = target.get(part) if isinstance(target, dict) else None
            else:
                target = None
            if not isinstance(target, dict):
                return {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            schema = {**self.deref(all_of[0]), **{k: v for k, v in schema.items() if k != "allOf"}}
        return schema

    # shallow fit, used to pick an anyOf branch -------------------------------------------------------------

    def fits(self, value: Any, schema: dict[str, Any]) -> bool:
        if "const" in schema and value != schema["const"]:
            return False
        if "enum" in schema and value not in schema["enum"]:
            return False
        t = schema.get("type")
        if isinstance(t, str):
            return _type_ok(value, t)
        if isinstance(t, list):
            return any(_type_ok(value, x) for x in t if isinstance(x, str))
        if "anyOf" in schema or "oneOf" in schema:
            branches = schema.get("anyOf") or schema.get("oneOf") or []
            return any(self.fits(value, self.deref(b)) for b in branches)
        return True

    def allows_null(self, schema: Any) -> bool:
        s = self.deref(schema)
        if not s:
            return True
        if s.get("type") == "null" or (isinstance(s.get("type"), list) and "null" in s["type"]):
            return True
        if "enum" in s and None in s["enum"]:
            return True
        branches = s.get("anyOf") or s.get("oneOf")
        if isinstance(branches, list):
            return any(self.allows_null(b) for b in branches)
        return False

    # coercion ---------------------------------------------------------------------------------------------

    def coerce(self, value: Any, schema: Any, path: str) -> Any:
        s = self.deref(schema)
        if not s:
            return value
        branches = s.get("anyOf") or s.get("oneOf")
        if isinstance(branches, list) and branches:
            options = [self.deref(b) for b in branches]
            for b in options:
                if self.fits(value, b):
                    return self.coerce(value, b, path)
            for b in sorted(options, key=lambda b: b.get("type") == "null"):
                trial = self.fork()
                converted = trial.coerce(value, b, path)
                if not trial.errors and self.fits(converted, b):
                    self.merge(trial)
                    return converted
            self.errors.append(f"{path}: {_show(value)} fits none of the allowed types")
            return value
        if "const" in s:
            if value != s["const"]:
                if isinstance(value, str) and str(s["const"]).lower() == value.strip().lower():
                    return s["const"]
                self.errors.append(f"{path}: must be {s['const']!r}")
            return value
        if isinstance(s.get("enum"), list):
            return self.enum(value, s["enum"], path)
        t = s.get("type")
        if isinstance(t, list):
            types = [x for x in t if isinstance(x, str)]
            if any(_type_ok(value, x) for x in types):
                t = next(x for x in types if _type_ok(value, x))
            else:
                t = next((x for x in types if x != "null"), None)
        if t is None:
            t = "object" if "properties" in s else "array" if "items" in s else None
        if t == "string":
            return self.to_string(value, path)
        if t == "integer":
            return self.to_int(value, path)
        if t == "number":
            return self.to_number(value, path)
        if t == "boolean":
            return self.to_bool(value, path)
        if t == "array":
            return self.to_array(value, s, path)
        if t == "object":
            return self.to_object(value, s, path)
        if t == "null":
            if value is None:
                return None
            if isinstance(value, str) and value.strip().lower() in ("", "null", "none"):
                self.repairs.append(f"{path}: {value!r} -> null")
                return None
            self.errors.append(f"{path}: expected null, got {_show(value)}")
        return value

    def to_string(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "type", "description"}:
            self.repairs.append(f"{path}: unwrapped {{'value': ...}}")
            return self.to_string(value["value"], path)
        if isinstance(value, bool):
            out = "true" if value else "false"
        elif isinstance(value, int | float):
            out = str(value)
        elif isinstance(value, list) and all(isinstance(x, str) for x in value):
            out = "\n".join(value)
            self.repairs.append(f"{path}: joined a list of {len(value)} lines into a string")
            return out
        elif isinstance(value, dict | list):
            out = json.dumps(value, indent=2, ensure_ascii=False)
            self.repairs.append(f"{path}: serialised a JSON value into a string")
            return out
        else:
            self.errors.append(f"{path}: expected a string, got {_show(value)}")
            return value
        self.repairs.append(f"{path}: {value!r} -> {out!r}")
        return out

    def to_int(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            self.errors.append(f"{path}: expected an integer, got {value!r}")
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            self.repairs.append(f"{path}: {value!r} -> {int(value)}")
            return int(value)
        if isinstance(value, str) and _INT_TEXT.fullmatch(value):
            out = int(float(value.strip())) if "." in value else int(value.strip())
            self.repairs.append(f"{path}: {value!r} -> {out}")
            return out
        self.errors.append(f"{path}: expected an integer, got {_show(value)}")
        return value

    def to_number(self, value: Any, path: str) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _FLOAT_TEXT.fullmatch(value):
            text = value.strip()
            out: int | float = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
            self.repairs.append(f"{path}: {value!r} -> {out}")
            return out
        self.errors.append(f"{path}: expected a number, got {_show(value)}")
        return value

    def to_bool(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        key = value.strip().lower() if isinstance(value, str) else value
        if isinstance(key, int) and key in (0, 1):
            key = str(key)
        if isinstance(key, str) and key in _TRUE:
            self.repairs.append(f"{path}: {value!r} -> true")
            return True
        if isinstance(key, str) and key in _FALSE:
            self.repairs.append(f"{path}: {value!r} -> false")
            return False
        self.errors.append(f"{path}: expected true or false, got {_show(value)}")
        return value

    def to_array(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, str) and value.strip()[:1] == "[":
            try:
                parsed = loads_forgiving(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                self.repairs.append(f"{path}: parsed a list given as a string")
                value = parsed
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            if value is None:
                self.errors.append(f"{path}: expected a list, got null")
                return value
            self.repairs.append(f"{path}: wrapped a single value in a list")
            value = [value]
        items = schema.get("items")
        if isinstance(items, dict):
            return [self.coerce(x, items, f"{path}[{i}]") for i, x in enumerate(value)]
        return value

    def to_object(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, str):
            text = value.strip()
            parsed: Any = None
            if text[:1] == "{":
                try:
                    parsed = loads_forgiving(text)
                except ValueError:
                    parsed = None
            if isinstance(parsed, dict):
                self.repairs.append(f"{path}: parsed an object given as a string")
                value = parsed
        if not isinstance(value, dict):
            props, req = _properties(schema), _required(schema)
            single_string = len(req) == 1 and self.deref(props.get(req[0])).get("type") == "string"
            if single_string and value is not None and not isinstance(value, list):
                self.repairs.append(f"{path}: wrapped {_show(value)} as {{{req[0]!r}: ...}}")
                return self.obj({req[0]: value}, schema, path)
            self.errors.append(f"{path}: expected an object, got {_show(value)}")
            return value
        return self.obj(value, schema, path)

    def enum(self, value: Any, options: list[Any], path: str) -> Any:
        if value in options:
            return value
        if isinstance(value, str):
            key = _norm(value)
            texts = [o for o in options if isinstance(o, str)]
            for o in texts:
                if _norm(o) == key:
                    self.repairs.append(f"{path}: {value!r} -> {o!r}")
                    return o
            syn = _ENUM_SYNONYMS.get(key)
            if syn in texts:
                self.repairs.append(f"{path}: {value!r} -> {syn!r}")
                return syn
            close = difflib.get_close_matches(key, [_norm(o) for o in texts], n=2, cutoff=0.75)
            if len(close) == 1:
                match = next(o for o in texts if _norm(o) == close[0])
                self.repairs.append(f"{path}: {value!r} -> {match!r}")
                return match
        else:
            for o in options:
                if isinstance(o, str) and str(value) == o:
                    self.repairs.append(f"{path}: {value!r} -> {o!r}")
                    return o
        self.errors.append(f"{path}: {_show(value)} is not one of {options}")
        return value

    # objects ----------------------------------------------------------------------------------------------

    def match_key(self, key: str, props: dict[str, Any], taken: set[str]) -> str | None:
        free = [p for p in props if p not in taken]
        if not free:
            return None
        lowered = [p for p in free if p.lower() == key.strip().lower()]
        if len(lowered) == 1:
            return lowered[0]
        nk = _norm(key)
        if not nk:
            return None
        normed = [p for p in free if _norm(p) == nk]
        if len(normed) == 1:
            return normed[0]
        hits: set[str] = set()
        for group in _PARAM_ALIASES:
            if nk in group:
                hits.update(p for p in free if _norm(p) in group)
        if len(hits) == 1:
            return hits.pop()
        if hits:
            return None
        singular = nk[:-1] if nk.endswith("s") else nk + "s"
        plural = [p for p in free if _norm(p) == singular]
        if len(plural) == 1:
            return plural[0]
        budget = 1 if len(nk) >= 5 else 0
        if budget:
            close = [p for p in free if _osa(nk, _norm(p)) <= budget]
            if len(close) == 1:
                return close[0]
        return None

    def obj(
        self, value: dict[str, Any], schema: dict[str, Any], path: str, top: bool = False
    ) -> dict[str, Any]:
        props = _properties(schema)
        required = _required(schema)
        extra = schema.get("additionalProperties", True)
        # A tool's parameters are a closed set unless extras are allowed explicitly: a function has no use for
        # keyword arguments it does not declare, and third-party (MCP) schemas rarely say so.
        forbid = extra is False or (top and bool(props) and "additionalProperties" not in schema)
        prefix = f"{path}." if path else ""
        # Arguments nested once more: {"arguments": {...}} or {"name": "read", "input": {...}}.
        if top:
            wrapper = [k for k in value if k in _ARG_KEYS and k not in props and isinstance(value[k], dict)]
            others = [k for k in value if k not in wrapper]
            if len(wrapper) == 1 and all(k in ("name", "type", "tool") and k not in props for k in others):
                self.repairs.append(f"unwrapped arguments nested under {wrapper[0]!r}")
                value = value[wrapper[0]]
        out: dict[str, Any] = {}
        unknown: list[tuple[str, Any]] = []
        for k, v in value.items():
            if k in props:
                out[k] = v
        for k, v in value.items():
            if k in props:
                if top:
                    self.recognized += 1
                continue
            target = self.match_key(k, props, set(out))
            if target is None:
                unknown.append((k, v))
                continue
            out[target] = v
            if top:
                self.recognized += 1
            self.repairs.append(f"renamed {prefix}{k} -> {prefix}{target}")
        missing_now = [r for r in required if r not in out]
        if forbid and len(missing_now) == 1 and len(unknown) == 1:
            k, v = unknown[0]
            target_schema = self.deref(props.get(missing_now[0]))
            if self.fits(v, target_schema) or (isinstance(v, str) and target_schema.get("type") == "string"):
                out[missing_now[0]] = v
                unknown = []
                if top:
                    self.rescued += 1
                self.repairs.append(f"renamed {prefix}{k} -> {prefix}{missing_now[0]} (only unknown key)")
        if top:
            self.unrecognized += len(unknown)
        for k, v in unknown:
            if forbid:
                self.dropped[f"{prefix}{k}"] = v
                self.repairs.append(f"dropped unknown argument {prefix}{k}")
            else:
                out[k] = self.coerce(v, extra, f"{prefix}{k}") if isinstance(extra, dict) else v
        for k in list(out):
            if k not in props:
                continue
            v = out[k]
            sub = props[k]
            if v is None and not self.allows_null(sub):
                del out[k]
                if k not in required:
                    self.repairs.append(f"dropped null {prefix}{k}")
                continue
            sub_type = self.deref(sub).get("type")
            if isinstance(v, str) and not v.strip() and sub_type in ("integer", "number", "boolean"):
                del out[k]
                if k not in required:
                    self.repairs.append(f"dropped empty {prefix}{k}")
                continue
            out[k] = self.coerce(v, sub, f"{prefix}{k}")
        for r in required:
            if r not in out:
                self.missing.append(f"{prefix}{r}")
        # keep the schema's property order, extras after
        ordered = {k: out[k] for k in props if k in out}
        ordered.update({k: v for k, v in out.items() if k not in ordered})
        return ordered


def _repair(tool: _Tool, arguments: Any) -> RepairResult:
    r = _Repairer(tool.schema)
    args = arguments
    if isinstance(args, str):
        text = args.strip()
        parsed: Any = None
        if text[:1] in ("{", "["):
            try:
                parsed = loads_forgiving(text)
            except ValueError:
                parsed = None
        if isinstance(parsed, dict):
            r.repairs.append("parsed arguments given as a JSON string")
            args = parsed
        elif not text:
            args = {}
        else:
            req = _required(tool.schema)
            props = _properties(tool.schema)
            if len(req) == 1 and r.deref(props.get(req[0])).get("type") == "string":
                r.repairs.append(f"took the text arguments as {req[0]}")
                args = {req[0]: args}
    if args is None:
        args = {}
    if not isinstance(args, dict):
        r.errors.append(f"arguments must be an object, got {_show(args)}")
        return RepairResult(tool.name, {}, _required(tool.schema), r.repairs, {}, r.errors)
    fixed = r.obj(args, tool.schema, "", top=True)
    return RepairResult(
        tool.name, fixed, r.missing, r.repairs, r.dropped, r.errors, r.recognized, r.unrecognized, r.rescued
    )


def repair_arguments(name: str, arguments: dict[str, Any], tools: list[dict[str, Any]]) -> RepairResult:
    """Repair a call's arguments against its tool's JSON schema (also for native calls that are slightly off).

    The name is resolved first (`read_file` -> `read`); then argument names are matched to the schema's
    properties case-insensitively and through aliases (`file_path` -> `path`), values are coerced to the
    schema's types ("10" -> 10, "true" -> true, a single value -> [value]), unknown keys are dropped when the
    schema forbids extras (the tool's own parameters: unless it allows them explicitly), and required
    arguments still absent are listed in `missing`. Nothing is filled in from defaults. An unknown tool gives
    `name=None`, the arguments unchanged and an error.
    """
    index = _tool_index(tools)
    resolved, how = _resolve_tool_name(name, tuple(index))
    if resolved is None:
        suggestion = suggest_tool_name(name, tools)
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        return RepairResult(
            None,
            dict(arguments) if isinstance(arguments, dict) else {},
            errors=[f"unknown tool {name!r}{hint}"],
        )
    result = _repair(index[resolved], arguments)
    if how != "exact":
        result.repairs.insert(0, f"tool name {name!r} -> {resolved!r}")
    return result


# --------------------------------------------------------------------------------------------------------
# Reading calls out of text
# --------------------------------------------------------------------------------------------------------

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
        fence = _WRAPPING_FENCE.match(inner)
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
        fence = _WRAPPING_FENCE.match(self.text[start:end])
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


_TAG_NAMES = r"tool_call|toolcall|tool_calls|function_call|functioncall|function_calls|tool_use|tools"
_TAG_OPEN = re.compile(rf"<\s*({_TAG_NAMES})\s*>", re.I)
_TAG_CLOSE = {name: re.compile(rf"<\s*/\s*{name}\s*>", re.I) for name in _TAG_NAMES.split("|")}
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
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_THINK_OPEN = re.compile(r"<(?:think|thinking|reasoning)>", re.I)
_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)>", re.I)


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
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})[ \t]*([\w+.\-]*)[^\n`{\[]*")
_EXPLICIT_FENCES = _words(
    "tool tool_call tool_calls tool_code tools function function_call functions action call"
)
_DATA_FENCES = _words("json jsonc json5 jsonl ndjson javascript_object text txt plaintext xml")
_KEY_FIRST = re.compile(rf"\s*[{_QUOTES}][\w\-]+[{_QUOTES}]\s*:")
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
        m = _FENCE_OPEN.search(text, pos)
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
    scan.used.extend(m.span() for m in _THINK.finditer(text))
    # a closing tag with no opening one before it: that was in the prompt template, all before is reasoning
    lone = _THINK_CLOSE.search(text)
    if lone and not _THINK_OPEN.search(text, 0, lone.start()):
        scan.used.append((0, lone.end()))
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


# --------------------------------------------------------------------------------------------------------
# Grammar-constrained replies
# --------------------------------------------------------------------------------------------------------


def _inline_refs(schema: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """A copy of schema with local $refs replaced by their targets and $defs/titles removed."""
    if depth > 32:
        return {}
    if isinstance(schema, list):
        return [_inline_refs(x, root, depth + 1) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("$ref"), str):
        target = _Repairer(root).deref(schema)
        return _inline_refs(target, root, depth + 1)
    skip = ("$defs", "definitions", "title")
    return {k: _inline_refs(v, root, depth + 1) for k, v in schema.items() if k not in skip}


def toolcall_json_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON schema for a grammar-constrained backend (llama.cpp `json_schema`/`response_format`): the reply
    is either one tool call `{"name": <tool>, "arguments": {...}}`, with the arguments constrained by that
    tool's schema (an anyOf branch per tool, fixing the name with const), or a final answer
    `{"final": "<text>"}`. $refs are inlined so each branch stands alone."""
    branches: list[dict[str, Any]] = []
    for tool in _tool_index(tools).values():
        args = _inline_refs(tool.schema, tool.schema)
        if not isinstance(args, dict) or not args:
            args = {"type": "object"}
        args.setdefault("type", "object")
        branches.append(
            {
                "type": "object",
                "properties": {"name": {"type": "string", "const": tool.name}, "arguments": args},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    branches.append(
        {
            "type": "object",
            "properties": {"final": {"type": "string"}},
            "required": ["final"],
            "additionalProperties": False,
        }
    )
    return {"anyOf": branches}


def parse_constrained_reply(text: str, tools: list[dict[str, Any]]) -> tuple[list[ParsedToolCall], str]:
    """Read a reply written under `toolcall_json_schema`: (calls, "") for a call, ([], text) for an answer.

    A reply that is not the constrained JSON (a backend that ignored the grammar) falls back to
    `parse_tool_calls`; then the final text is what remains around the calls, or the whole reply.
    """
    index = _tool_index(tools)
    try:
        value = loads_forgiving(text.strip())
    except ValueError:
        value = _ABSENT
    if isinstance(value, dict) and "final" in value and not any(k in value for k in _NAME_KEYS):
        final = value["final"]
        return [], final if isinstance(final, str) else json.dumps(final, ensure_ascii=False)
    if value is not _ABSENT:
        scan = _Scan(text, index)
        calls = [c for r in _interpret(value) if (c := scan.accept(r, (0, len(text)), "constrained", True))]
        if calls:
            return calls, ""
    calls = parse_tool_calls(text, tools)
    if calls:
        return calls, strip_tool_calls(text, calls)
    return [], text
