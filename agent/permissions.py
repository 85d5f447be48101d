"""Bash policy: splits a command line into simple commands and decides which may run without asking.

Modes: `accept-all` runs everything; `manual` asks for every command (except prefixes the user allowed
"always" this session); `auto` runs a command only when every simple command in it is on the allowlist.

How `auto` reads a command: a small shell scanner splits it at `;`, `&&`, `||`, `|`, `&`, newlines and
parentheses, and pulls out the commands inside `$(...)`, backticks, `<(...)`/`>(...)`, `${...}`,
`$((...))` and unquoted here-documents, so each is checked on its own. Quotes and escapes are honoured.
Anything the scanner cannot follow (unbalanced quotes, `case`) is not allowed, so it gets asked about.

What the built-in allowlist admits: commands that only read (ls, cat, grep, find without -exec/-delete,
git status/diff/log/show, ...) and test/lint runners (pytest, python -m pytest, ruff check without
--fix, mypy, npm test, cargo test, go test, make test, ...). Test runners execute project code by design.
It does not admit:
- output redirection to a file (`>`, `>>`, `&>`, `>|`, except to /dev/null): in auto mode, bash must
  not write files behind the editor's back, since every edit goes through the reviewable overlay;
- interpreters running arbitrary code (`python script.py`, `python -c`, `node -e`, `bash -c`, `eval`,
  `sh`), since they can do anything; `python -m pytest`/`unittest`/`mypy`/`ruff` are allowed;
- programs named by a path (`./run.sh`), commands whose name is computed (`$CMD`), background jobs
  (`&`), and assignments to PATH, IFS, LD_*, GIT_* and similar variables that change what runs.
Allowed commands may still read files outside the workspace (`cat /etc/hosts`): auto mode is about
not changing things, not about secrecy.

Extra prefixes (config `bash.allow`, or "allow always" answers) match whole words at the start of a
simple command: "npm run lint" admits `npm run lint -- --quiet` but not `npm run lint-fix`. A command
they admit is trusted as a whole, redirections included.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["auto", "accept-all", "manual"]

MAX_DEPTH = 16
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
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


# ---- the allowlist -------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


READ_ONLY = _words(
    """ls cat head tail wc pwd echo printf grep egrep fgrep file stat du df which whereis type basename
    dirname realpath readlink diff cmp cut tr nl true false date whoami uname id test [ [[ cd jq column seq
    sleep read md5sum sha1sum sha256sum tac rev comm expand unexpand fold paste join od hexdump strings"""
)
SHELL_KEYWORDS = _words("! { } if then else elif fi do done while until time")
DANGEROUS_VARS = _words(
    "PATH IFS BASH_ENV ENV PROMPT_COMMAND SHELLOPTS BASHOPTS PS4 PAGER EDITOR VISUAL NODE_OPTIONS "
    "PYTHONSTARTUP CDPATH"
)
DANGEROUS_VAR_PREFIXES = ("LD_", "DYLD_", "GIT_", "BASH_FUNC_")
GIT_READ = _words(
    "status diff log show blame ls-files ls-tree rev-parse grep shortlog describe cat-file show-ref "
    "merge-base reflog"
)
PYTHONS = re.compile(r"^python(\d+(\.\d+)?)?$")
PYTHON_MODULES = frozenset({"pytest", "unittest", "mypy", "ruff", "pyflakes", "pycodestyle", "doctest"})
JS_TEST = {"npm": [["test"], ["t"], ["run", "test"]], "yarn": [["test"], ["run", "test"]]}
JS_TEST |= {"pnpm": [["test"], ["run", "test"]], "bun": [["test"], ["run", "test"]]}


def _opts(args: list[str]) -> set[str]:
    return {a.split("=", 1)[0] for a in args if a.startswith("-")}


def _rule_find(args: list[str]) -> str | None:
    bad = {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
    hit = bad & set(args)
    return f"find {sorted(hit)[0]} runs commands or changes files" if hit else None


def _rule_git(args: list[str]) -> str | None:
    while args and args[0] in ("--no-pager", "-P"):
        args = args[1:]
    if not args:
        return None
    sub, rest = args[0], args[1:]
    if any(a.startswith("--output") or a.startswith("-O") or a == "--open-files-in-pager" for a in rest):
        return f"git {sub} with an output file or pager program"
    if sub in GIT_READ:
        return None
    if sub == "branch" and all(a in ("-a", "-r", "-l", "--list", "-v", "-vv", "--all") for a in rest):
        return None
    if sub in ("remote", "tag") and (not rest or rest[0] in ("-v", "-l", "--list")):
        return None
    if sub == "stash" and rest == ["list"]:
        return None
    return f"git {sub} may change the repository"


def _rule_ruff(args: list[str]) -> str | None:
    sub = next((a for a in args if not a.startswith("-")), "")
    opts = _opts(args)
    if opts & {"--version", "-V", "--help", "-h"}:
        return None
    if sub == "check" and not opts & {"--fix", "--unsafe-fixes", "--fix-only", "--add-noqa", "--watch", "-w"}:
        return None
    if sub == "format" and opts & {"--check", "--diff"}:
        return None
    return "ruff would rewrite files (use `ruff check` without --fix, or `ruff format --check`)"


def _rule_python(args: list[str]) -> str | None:
    if args and args[0] in ("--version", "-V"):
        return None
    if len(args) >= 2 and args[0] == "-m" and args[1] in PYTHON_MODULES:
        return _rule_ruff(args[2:]) if args[1] == "ruff" else None
    return "python runs arbitrary code (allowed: python -m pytest/unittest/mypy/ruff)"


def _rule_sort(args: list[str]) -> str | None:
    opts = _opts(args)
    if opts & {"-o", "--output", "--compress-program"} or any(a.startswith("-o") for a in args):
        return "sort -o writes a file"
    return None


def _starts(args: list[str], options: list[list[str]]) -> bool:
    return any(args[: len(o)] == o for o in options)


def _rule_fixed(allowed: list[list[str]], what: str) -> Callable[[list[str]], str | None]:
    def rule(args: list[str]) -> str | None:
        return None if _starts(args, allowed) else what

    return rule


def _rule_cargo(args: list[str]) -> str | None:
    if args[:1] == ["clippy"] and "--fix" in args:
        return "cargo clippy --fix rewrites files"
    if args[:1] in (["test"], ["check"], ["clippy"], ["--version"]) or args[:2] == ["fmt", "--check"]:
        return None
    return "only cargo test/check/clippy/fmt --check are allowed"


def _rule_gofmt(args: list[str]) -> str | None:
    return "gofmt -w rewrites files" if "-w" in args else None


RULES: dict[str, Callable[[list[str]], str | None]] = {
    "find": _rule_find,
    "git": _rule_git,
    "ruff": _rule_ruff,
    "sort": _rule_sort,
    "cargo": _rule_cargo,
    "gofmt": _rule_gofmt,
    "rg": lambda a: "rg --pre runs a program" if _opts(a) & {"--pre"} else None,
    "tree": lambda a: "tree -o writes a file" if "-o" in a else None,
    "uniq": lambda a: (
        "uniq with an output file" if len([x for x in a if not x.startswith("-")]) > 1 else None
    ),
    "mypy": lambda a: "mypy --install-types installs packages" if "--install-types" in a else None,
    "command": lambda a: None if a[:1] in (["-v"], ["-V"]) else "command runs another program",
    "pytest": lambda a: None,
    "set": lambda a: None if all(x[:1] in "-+" for x in a) else "set with arguments",
    "py.test": lambda a: None,
    "tsc": lambda a: None if "--noEmit" in a else "tsc without --noEmit writes files",
    "go": _rule_fixed([["test"], ["vet"], ["version"]], "only go test/vet are allowed"),
    "make": _rule_fixed([["test"], ["check"], ["lint"], ["-n"]], "only make test/check/lint are allowed"),
    **{
        tool: _rule_fixed([*forms, ["--version"]], f"only `{tool} test` is allowed")
        for tool, forms in JS_TEST.items()
    },
}


def _dangerous_var(name: str) -> bool:
    return name in DANGEROUS_VARS or name.startswith(DANGEROUS_VAR_PREFIXES)


@dataclass
class _Core:
    """A simple command after assignments, shell keywords and wrappers (time, env, timeout...) are peeled."""

    words: list[str]
    dynamic: list[bool]
    problem: str | None = None


def _core(cmd: SimpleCommand) -> _Core:
    words, dyn = list(cmd.words), list(cmd.dynamic)

    def drop(n: int = 1) -> None:
        del words[:n], dyn[:n]

    while words:
        w = words[0]
        m = _ASSIGN.match(w)
        if m:
            if _dangerous_var(m.group(1)):
                return _Core(words, dyn, f"sets {m.group(1)}, which changes what runs")
            drop()
        elif w in SHELL_KEYWORDS:
            drop()
        elif w in ("for", "select"):
            return _Core([], [])  # the loop header runs nothing (substitutions in it are checked)
        elif w in ("export", "declare", "typeset", "local", "readonly"):
            for arg in words[1:]:
                m = _ASSIGN.match(arg) or _NAME.fullmatch(arg)
                name = m.group(1) if m and m.groups() else arg
                if _dangerous_var(name):
                    return _Core(words, dyn, f"sets {name}, which changes what runs")
            return _Core([], [])
        elif w == "env":
            drop()
            while words and (words[0] in ("-i", "-", "--ignore-environment") or _ASSIGN.match(words[0])):
                m = _ASSIGN.match(words[0])
                if m and _dangerous_var(m.group(1)):
                    return _Core(words, dyn, f"sets {m.group(1)}, which changes what runs")
                drop()
            if not words:
                return _Core(["env"], [False])
        elif w == "nice":
            drop()
            if words[:1] == ["-n"]:
                drop(2)
            elif words and re.fullmatch(r"-\d+", words[0]):
                drop()
        elif w == "timeout":
            drop()
            while words and words[0].startswith("-"):
                drop(2 if words[0] in ("-s", "-k", "--signal", "--kill-after") else 1)
            drop()  # the duration
        elif w == "command" and words[1:2] not in (["-v"], ["-V"]):
            drop()
            if words[:1] == ["-p"]:
                drop()
        elif w == "-p" and cmd.words[:1] == ["time"]:
            drop()
        else:
            break
    return _Core(words, dyn)


def _matches_prefix(words: list[str], patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        try:
            want = shlex.split(pattern.removesuffix(":*").removesuffix("*").strip())
        except ValueError:
            continue
        if want and words[: len(want)] == want:
            return True
    return False


def _builtin_verdict(cmd: SimpleCommand, core: _Core) -> str | None:
    """None if the built-in allowlist admits this simple command, else why not."""
    if core.problem:
        return core.problem
    if cmd.background:
        return "runs in the background"
    for r in cmd.redirects:
        if r.writes_file:
            return f"writes to a file ({r.fd}{r.op} {r.target})"
    if not core.words:
        return None
    name, args = core.words[0], core.words[1:]
    if core.dynamic[0]:
        return "the command name is computed at run time"
    if name in ("case", "function", "coproc", "eval", "exec", "source", "."):
        return f"`{name}` is not allowed automatically"
    if "/" in name:
        return "runs a program by path"
    if name in READ_ONLY:
        return None
    if PYTHONS.match(name):
        rule: Callable[[list[str]], str | None] | None = _rule_python
    else:
        rule = RULES.get(name)
    if rule is None:
        return f"`{name}` is not on the allowlist"
    if any(core.dynamic[1:]) and name not in ("pytest", "py.test", "mypy"):
        return f"`{name}` gets arguments computed at run time"
    return rule(args)


def command_prefix(words: list[str]) -> str:
    """The prefix an "allow always" answer remembers: the command name and up to two following plain
    words (`npm run lint`, `python -m pytest`, `python gen.py`); it stops at quoted text or spaces."""
    out = words[:1]
    for w in words[1:3]:
        if not re.fullmatch(r"[\w@%+=:,./-]+", w):
            break
        out.append(w)
    return shlex.join(out)


@dataclass
class Verdict:
    """Whether a command may run without asking; if not, why, and the simple commands at fault."""

    allowed: bool
    reason: str = ""
    segments: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)


def check_command(
    command: str, mode: Mode = "auto", allow: Iterable[str] = (), always: Iterable[str] = ()
) -> Verdict:
    """Decide whether `command` may run without asking, under `mode`, config prefixes `allow` and the
    session's "allow always" prefixes `always`."""
    if mode == "accept-all":
        return Verdict(True)
    if not command.strip():
        return Verdict(False, "empty command")
    try:
        commands = parse_command(command)
    except ShellParseError as exc:
        return Verdict(False, f"cannot check this command line ({exc})", [command.strip()])
    patterns = list(always) + (list(allow) if mode == "auto" else [])
    reasons, segments, prefixes = [], [], []
    for cmd in commands:
        core = _core(cmd)
        if _matches_prefix(core.words, patterns) or _matches_prefix(cmd.words, patterns):
            continue
        if mode == "manual":
            problem: str | None = "manual mode: every command needs approval"
        else:
            problem = _builtin_verdict(cmd, core)
        if problem is None:
            continue
        reasons.append(f"`{cmd.text}`: {problem}")
        segments.append(cmd.text)
        if core.words and not core.dynamic[0]:
            prefixes.append(command_prefix(core.words))
    if not reasons:
        return Verdict(True)
    if mode == "manual":
        reasons = ["manual mode: every command needs approval"]
    prefixes = list(dict.fromkeys(prefixes))
    if prefixes:
        reasons.append(f"allow always would admit commands starting with {', '.join(prefixes)}")
    return Verdict(False, "; ".join(reasons), segments, prefixes)
