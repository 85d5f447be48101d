"""The forgiving JSON / Python-literal parser: reads what small models print as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sized
from typing import Any

from skiff.agent.parsing.fences import wrapping_fence


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
        out: dict[str, Any] = {}

        def member(c: str) -> None:
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

        self.members("}", out, member)
        return out

    def array(self, close: str) -> list[Any]:
        out: list[Any] = []
        self.members(close, out, lambda _c: out.append(self.value()))
        return out

    def members(self, close: str, out: Sized, member: Callable[[str], None]) -> None:
        """Read the container opening at self.i up to `close`: `member(c)` reads each member, starting at c.

        Commas are optional and may trail; a container left open at the end of the text is closed there.
        With `recover`, a member that fails after at least one good one (`out` not empty) ends the container
        just after the last good member.
        """
        if len(self.closers) >= _MAX_DEPTH:
            raise self.error("nested too deeply")
        mark = len(self.closers)
        self.closers.append(close)
        try:
            self.i += 1
            good = self.i
            while True:
                self.skip_ws()
                if self.i >= self.n:
                    break  # left open at the end: close it
                c = self.s[self.i]
                if c == close:
                    self.i += 1
                    break
                if c == ",":
                    self.i += 1
                    continue
                try:
                    member(c)
                    good = self.i
                except _ParseError:
                    if self.recover and out:
                        self.i = good
                        break
                    raise
        finally:
            del self.closers[mark:]

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


def loads_forgiving(text: str) -> Any:
    """Parse JSON the way a small model writes it; raises ValueError when the text holds no single value.

    Beyond strict JSON this accepts Python literals (True, False, None, single or triple quotes, tuples),
    trailing commas, unquoted keys, comments, raw newlines and unescaped inner quotes in strings, unknown
    escapes such as `\\d`, a wrapping ``` fence, and objects or arrays left unclosed at the end of the text.
    """
    if not isinstance(text, str):
        raise ValueError("not a string")
    body = wrapping_fence(text)
    if body is not None:
        text = body
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
