"""Shell scanner for the bash policy: a command line split into simple commands, with their redirections.

It splits at `;`, `&&`, `||`, `|`, `&`, newlines and parentheses and also scans the commands inside `$(...)`,
backticks, process substitutions, `${...}`, `$((...))` and unquoted here-documents. Quotes and escapes are
honoured; a word that holds an expansion is marked dynamic. Anything it cannot follow raises
`ShellParseError` (the policy then asks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DEPTH = 16
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_TARGETS = {"/dev/null", "/dev/stdout", "/dev/stderr"}
_OPERATORS = (";;&", "&&", "||", "|&", ";;", ";&", ";", "&", "|")
_REDIRECTS = ("&>>", "&>", ">>", ">|", ">&", "<<<", "<<-", "<<", "<&", "<>", ">", "<")
_WORD_END = " \t\n;&|()<>"


class ShellParseError(ValueError):
    """The command line uses shell syntax the scanner cannot follow."""


@dataclass
class Redirect:
    op: str
    target: str
    fd: str = ""

    @property
    def writes_file(self) -> bool:
        """Whether this redirection writes a file (fd duplications and /dev/null do not)."""
        if self.op in ("<", "<<", "<<-", "<<<", "<&"):
            return False
        if self.op == ">&" and (self.target.isdigit() or self.target == "-"):
            return False
        return self.target not in _SAFE_TARGETS


@dataclass
class SimpleCommand:
    """One simple command: words after quote removal; `dynamic[i]` marks words with expansions."""

    words: list[str] = field(default_factory=list)
    dynamic: list[bool] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    text: str = ""
    background: bool = False


class _Parser:
    """Recursive scanner over `src` from `pos`; `closing` is ")" inside `$(...)` and `<(...)`."""

    def __init__(self, src: str, pos: int = 0, closing: str | None = None, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise ShellParseError("substitutions nested too deeply")
        self.s, self.i, self.closing, self.depth = src, pos, closing, depth
        self.out: list[SimpleCommand] = []
        self._heredocs: list[tuple[str, bool, bool]] = []  # delimiter, strip tabs, quoted

    def run(self) -> int:
        s = self.s
        cur, start, parens = SimpleCommand(), self.i, 0
        while True:
            if self.i >= len(s):
                if self.closing:
                    raise ShellParseError(f"missing '{self.closing}'")
                self._finish(cur, start)
                return self.i
            c = s[self.i]
            if c in " \t":
                self.i += 1
            elif s.startswith("\\\n", self.i):
                self.i += 2
            elif c == "#" and (self.i == 0 or s[self.i - 1] in _WORD_END):
                nl = s.find("\n", self.i)
                self.i = len(s) if nl < 0 else nl
            elif c == "\n":
                self._finish(cur, start)
                self.i += 1
                self._read_heredocs()
                cur, start = SimpleCommand(), self.i
            elif c == ")":
                self._finish(cur, start)
                self.i += 1
                if parens:
                    parens -= 1
                elif self.closing == ")":
                    return self.i
                else:
                    raise ShellParseError("unbalanced ')'")
                cur, start = SimpleCommand(), self.i
            elif c == "(":
                self._finish(cur, start)
                parens += 1
                self.i += 1
                cur, start = SimpleCommand(), self.i
            elif self._redirect(cur):
                pass
            elif c in ";&|":
                op = next(o for o in _OPERATORS if s.startswith(o, self.i))
                cur.background = op == "&"
                self._finish(cur, start)
                self.i += len(op)
                cur, start = SimpleCommand(), self.i
            else:
                if not cur.words and not cur.redirects:
                    start = self.i
                word, dyn = self._word()
                cur.words.append(word)
                cur.dynamic.append(dyn)

    def _finish(self, cmd: SimpleCommand, start: int) -> None:
        if cmd.words or cmd.redirects:
            cmd.text = self.s[start : self.i].strip()
            self.out.append(cmd)

    def _redirect(self, cmd: SimpleCommand) -> bool:
        s, i = self.s, self.i
        m = re.match(r"\d+", s[i:])
        j = i + (m.end() if m else 0)
        if j >= len(s) or s[j] not in "<>&":
            return False
        if s[j] in "<>" and s.startswith("(", j + 1):
            return False  # process substitution: a word
        op = next((o for o in _REDIRECTS if s.startswith(o, j)), None)
        if op is None:
            return False
        self.i = j + len(op)
        while self.i < len(s) and s[self.i] in " \t":
            self.i += 1
        if self.i >= len(s) or s[self.i] in "\n;&|()<>":
            raise ShellParseError(f"redirection '{op}' has no target")
        raw_start = self.i
        target, _ = self._word()
        if op in ("<<", "<<-"):
            quoted = any(q in s[raw_start : self.i] for q in "'\"\\")
            self._heredocs.append((target, op == "<<-", quoted))
        cmd.redirects.append(Redirect(op, target, m.group(0) if m else ""))
        return True

    def _read_heredocs(self) -> None:
        s = self.s
        for delim, strip, quoted in self._heredocs:
            body_start = self.i
            while self.i < len(s):
                nl = s.find("\n", self.i)
                end = len(s) if nl < 0 else nl
                line = s[self.i : end]
                self.i = end + 1 if nl >= 0 else end
                if (line.lstrip("\t") if strip else line) == delim:
                    body = s[body_start : self.i - len(line) - (1 if nl >= 0 else 0)]
                    break
            else:
                body = s[body_start:]
            if not quoted:
                self._scan_expansions(body)
        self._heredocs.clear()

    def _scan_expansions(self, text: str) -> bool:
        """Find the commands inside substitutions in `text` (a here-doc body, `${...}`, `$((...))`)."""
        sub = _Parser(text, 0, None, self.depth + 1)
        dyn = sub._double_quoted([], terminator=None)
        self.out.extend(sub.out)
        return dyn

    def _sub(self, pos: int) -> int:
        """Parse the command list of a `$(` / `<(` / `>(` whose body starts at `pos`; return its end."""
        sub = _Parser(self.s, pos, ")", self.depth + 1)
        end = sub.run()
        self.out.extend(sub.out)
        return end

    def _word(self) -> tuple[str, bool]:
        s = self.s
        buf: list[str] = []
        dyn = False
        while self.i < len(s):
            c = s[self.i]
            if c in "<>" and s.startswith("(", self.i + 1) and not buf:
                self.i = self._sub(self.i + 2)
                buf.append("/dev/fd/63")
                dyn = True
            elif c in _WORD_END:
                break
            elif c == "\\":
                if s.startswith("\\\n", self.i):
                    self.i += 2
                else:
                    buf.append(s[self.i + 1 : self.i + 2])
                    self.i += 2
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise ShellParseError("unterminated single quote")
                buf.append(s[self.i + 1 : end])
                self.i = end + 1
            elif c == '"':
                self.i += 1
                dyn |= self._double_quoted(buf, terminator='"')
            elif c == "$" and s.startswith("$'", self.i):
                self.i += 2
                while self.i < len(s) and s[self.i] != "'":
                    self.i += 2 if s[self.i] == "\\" else 1
                if self.i >= len(s):
                    raise ShellParseError("unterminated $'...' quote")
                buf.append("$'...'")
                self.i += 1
            elif c in "$`":
                dyn |= self._expansion(buf)
            else:
                buf.append(c)
                self.i += 1
        return "".join(buf), dyn

    def _double_quoted(self, buf: list[str], terminator: str | None) -> bool:
        """Scan a double-quoted body (or, with no terminator, text to the end); True if it expands."""
        s = self.s
        dyn = False
        while True:
            if self.i >= len(s):
                if terminator:
                    raise ShellParseError("unterminated double quote")
                return dyn
            c = s[self.i]
            if terminator and c == terminator:
                self.i += 1
                return dyn
            if c == "\\" and self.i + 1 < len(s) and s[self.i + 1] in '$`"\\\n':
                buf.append(s[self.i + 1])
                self.i += 2
            elif c in "$`":
                dyn |= self._expansion(buf)
            else:
                buf.append(c)
                self.i += 1

    def _expansion(self, buf: list[str]) -> bool:
        """Handle `$...` or a backtick at self.i; returns whether it really expands (a lone $ does not)."""
        s, i = self.s, self.i
        if s[i] == "`":
            j = i + 1
            while j < len(s) and s[j] != "`":
                j += 2 if s[j] == "\\" else 1
            if j >= len(s):
                raise ShellParseError("unterminated backtick")
            inner = re.sub(r"\\([`$\\])", r"\1", s[i + 1 : j])
            sub = _Parser(inner, 0, None, self.depth + 1)
            sub.run()
            self.out.extend(sub.out)
            self.i = j + 1
            buf.append("`...`")
            return True
        if s.startswith("$((", i):
            end = _matching(s, i + 1, "(", ")")
            self._scan_expansions(s[i + 3 : end - 1])
            self.i = end + 1
            buf.append("$((...))")
            return True
        if s.startswith("$(", i):
            self.i = self._sub(i + 2)
            buf.append("$(...)")
            return True
        if s.startswith("${", i):
            end = _matching(s, i + 1, "{", "}")
            self._scan_expansions(s[i + 2 : end])
            self.i = end + 1
            buf.append(s[i : end + 1])
            return True
        m = _NAME.match(s, i + 1)
        if m:
            self.i = m.end()
            buf.append(s[i : m.end()])
            return True
        if i + 1 < len(s) and s[i + 1] in "@*#?$!-0123456789":
            self.i = i + 2
            buf.append(s[i : i + 2])
            return True
        buf.append("$")
        self.i = i + 1
        return False


def _matching(s: str, i: int, open_: str, close: str) -> int:
    """Index of the bracket closing the one at `i` (quotes inside are skipped)."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "'":
            k = s.find("'", j + 1)
            j = len(s) if k < 0 else k + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ShellParseError(f"missing '{close}'")


def parse_command(command: str) -> list[SimpleCommand]:
    """Every simple command in a command line, substitutions' inner commands included."""
    parser = _Parser(command)
    parser.run()
    return parser.out
