"""Bash policy: splits a command line into simple commands and decides which may run without asking.

Modes: `accept-all` runs everything; `manual` asks for every command (except the exact command lines the
user allowed "always" this session); `auto` runs a command unasked only when it is provably read-only.

How `auto` reads a command: a small shell scanner splits it at `;`, `&&`, `||`, `|`, `&`, newlines and
parentheses (substitutions and unquoted here-documents are scanned too). Quotes and escapes are honoured;
anything the scanner cannot follow is asked. A command line runs unasked only when all of these hold:
- no `$`, backtick or process substitution anywhere, quoted or not: bash expands `$(...)` even inside
  the arithmetic and array subscripts of builtins (`[[ x -eq 'a[$(id)]' ]]`, `printf -v`, `test -v`);
- no `/dev/tcp` or `/dev/udp`, no redirection that writes a file, no background job, no loop, `case`,
  `[[`, arithmetic, or builtin that assigns variables or runs code (read, declare, eval, source, ...);
- every program is on the allowlist and every option it is given is on that program's option allowlist
  (allowlists, not deny lists: `make`, `sed`, `awk`, `xargs`, interpreters and unknown options are asked;
  `find -exec`, `sort -o`, `git grep -O`, `pytest --basetemp`, `rg --pre` are not on them);
- no argument names a secret-looking file (`.env`, `*.pem`, `id_rsa`, see agent/redact.py);
- variable assignments only to harmless names (LANG, LC_*, TZ, NO_COLOR, CI, ...);
- for git: only read-only subcommands with allowlisted options, no `-c`/`-C`/`--git-dir`, and the
  repository's own config (.git/config) holds only keys that cannot name a program; such commands also
  run with git's command-line config set to neutral values (`GIT_NEUTRAL`: no pager, fsmonitor, hooks).
Test and lint runners (pytest, python -m pytest/unittest/mypy/ruff, cargo test, go test, npm test) are
admitted with their option allowlists: they run the project's own code by design.
A line that cannot be shown faithfully (control or bidi characters, over MAX_COMMAND chars) is denied.

"Allow always" remembers the exact command line. Config patterns (`bash.allow`) are whole-word prefixes
the user typed: "npm run lint" admits `npm run lint -- --quiet` but not `npm run lint-fix`; the line-wide
rules above (no `$`, no /dev/tcp) still apply to lines they admit.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from skiff.agent.redact import is_secret_path

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


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---- option allowlists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """The options a program may take unasked. `short`: letters without a value; `valued`: letters that
    take one (attached, or the next word); `optional`: letters whose value can only be attached (`-M50%`);
    `long`: `--name` alone; `long_valued`: `--name=value` or `--name value` (a name in both takes its value
    only attached). `numeric`: `-5` counts. `max_args`: positional arguments allowed (None: any)."""

    short: str = ""
    valued: str = ""
    optional: str = ""
    long: frozenset[str] = frozenset()
    long_valued: frozenset[str] = frozenset()
    numeric: bool = False
    max_args: int | None = None
    data_only: bool = False  # every word is data (echo)


def spec(
    short: str = "",
    valued: str = "",
    long: str = "",
    long_valued: str = "",
    *,
    optional: str = "",
    numeric: bool = False,
    max_args: int | None = None,
    data_only: bool = False,
) -> Spec:
    return Spec(short, valued, optional, _words(long), _words(long_valued), numeric, max_args, data_only)


def check_options(name: str, args: list[str], sp: Spec) -> tuple[str | None, list[str]]:
    """(why the options are refused, or None; the positional arguments)."""
    positional: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if sp.data_only or a == "-" or not a.startswith("-"):
            positional.append(a)
            continue
        if a == "--":
            positional.extend(args[i:])
            break
        if a.startswith("--"):
            key, eq, _ = a.partition("=")
            if key in sp.long and not eq:
                continue
            if key in sp.long_valued:
                if not eq and key not in sp.long:
                    i += 1
                continue
            return f"option `{key}` of `{name}` is not on its allowlist", positional
        if sp.numeric and a[1:].isdigit():
            continue
        body = a[1:]
        for k, c in enumerate(body):
            if c in sp.optional:
                break
            if c in sp.short:
                continue
            if c in sp.valued:
                if k == len(body) - 1:
                    i += 1
                break
            return f"option `-{c}` of `{name}` is not on its allowlist", positional
    if sp.max_args is not None and len(positional) > sp.max_args:
        return f"`{name}` with more than {sp.max_args} argument(s) may write a file", positional
    return None, positional


def _go_style(name: str, args: list[str], flags: str, valued: str) -> str | None:
    """Options written `-name` or `-name=value` (go, find-like tools)."""
    ok_flags, ok_valued = _words(flags), _words(valued)
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            return None
        if not a.startswith("-") or a == "-":
            continue
        key, eq, _ = a.lstrip("-").partition("=")
        if key in ok_flags and not eq:
            continue
        if key in ok_valued:
            i += 0 if eq else 1
            continue
        return f"option `-{key}` of `{name}` is not on its allowlist"
    return None


SPECS: dict[str, Spec] = {
    "ls": spec(
        "aAlhRrtSdF1ipsQnGgocuUvXLHBkmx",
        "wIT",
        "--all --almost-all --human-readable --recursive --reverse --classify --directory --inode --size "
        "--group-directories-first --full-time --color --numeric-uid-gid --dereference --literal",
        "--color --sort --time-style --width --ignore --hide --format --time --indicator-style",
    ),
    "cat": spec("AbeEnstTuv", "", "--number --show-all --number-nonblank --squeeze-blank --show-tabs"),
    "head": spec(
        "qvz", "nc", "--quiet --silent --verbose --zero-terminated", "--lines --bytes", numeric=True
    ),
    "tail": spec(
        "qvzr", "nc", "--quiet --silent --verbose --zero-terminated", "--lines --bytes", numeric=True
    ),
    "wc": spec("lwcmL", "", "--lines --words --bytes --chars --max-line-length"),
    "pwd": spec("LP", max_args=0),
    "echo": spec(data_only=True),
    "grep": spec(
        "iywvxcnlLhHrRsqoEFGPIzZTUabu",
        "ABCmef",
        "--ignore-case --no-ignore-case --word-regexp --line-regexp --invert-match --count --line-number "
        "--files-with-matches --files-without-match --with-filename --no-filename --recursive "
        "--dereference-recursive --no-messages --quiet --silent --only-matching --extended-regexp "
        "--fixed-strings --basic-regexp --perl-regexp --null --null-data --text --byte-offset "
        "--initial-tab --line-buffered --color --colour",
        "--include --exclude --exclude-dir --color --colour --context --after-context --before-context "
        "--max-count --regexp --file --binary-files --label --devices --directories",
        numeric=True,
    ),
    "file": spec("bikLhzNp0", "", "--brief --mime --mime-type --mime-encoding --dereference"),
    "stat": spec("Lft", "c", "--dereference --terse --file-system", "--format --printf"),
    "du": spec(
        "ahcskmxLbDlS0", "dt", "--summarize --human-readable --apparent-size --total --all", "--max-depth"
    ),
    "df": spec(
        "ahTHkilP", "t", "--human-readable --all --print-type --inodes --local --portability", "--output"
    ),
    "which": spec("a"),
    "whereis": spec("bmsu"),
    "type": spec("atpPf"),
    "basename": spec("az", "s", "--multiple --zero", "--suffix"),
    "dirname": spec("z", "", "--zero"),
    "realpath": spec(
        "emqsLPz",
        "",
        "--canonicalize-existing --canonicalize-missing --quiet --strip "
        "--no-symlinks --logical --physical --zero",
        "--relative-to --relative-base",
    ),
    "readlink": spec(
        "femnqsvz",
        "",
        "--canonicalize --canonicalize-existing --canonicalize-missing "
        "--no-newline --quiet --silent --verbose --zero",
    ),
    "diff": spec(
        "uqrNcywbBiaEZTtpsde",
        "UCxXFIWS",
        "--brief --recursive --side-by-side --ignore-all-space --ignore-space-change --ignore-blank-lines "
        "--ignore-case --new-file --text --report-identical-files --unified --context --color --minimal "
        "--strip-trailing-cr --suppress-common-lines --expand-tabs --initial-tab --show-c-function",
        "--unified --context --color --label --exclude --exclude-from --ignore-matching-lines --width "
        "--starting-file --horizontal-lines",
    ),
    "cmp": spec("lsbz", "ni", "--verbose --quiet --silent --print-bytes", "--bytes --ignore-initial"),
    "cut": spec(
        "nsz",
        "bcdf",
        "--complement --only-delimited --zero-terminated",
        "--bytes --characters --delimiter --fields --output-delimiter",
    ),
    "tr": spec("cCdst", "", "--complement --delete --squeeze-repeats --truncate-set1"),
    "nl": spec("p", "bdfhilnsvw"),
    "true": spec(),
    "false": spec(),
    "date": spec("uRI", "dr", "--utc --universal --rfc-email", "--date --iso-8601 --rfc-3339 --reference"),
    "whoami": spec(max_args=0),
    "id": spec("ugGnrz", max_args=1),
    "uname": spec("asnrvmpio", "", "--all --kernel-name --nodename --kernel-release --machine", max_args=0),
    "hostname": spec("sfdiIA", max_args=0),
    "jq": spec(
        "rjcsneSaCMR",
        "",
        "--raw-output --join-output --compact-output --slurp --null-input --exit-status --sort-keys "
        "--ascii-output --color-output --monochrome-output --raw-input --tab",
        "--indent",
    ),
    "column": spec("tnexJ", "sclNRHW", "--table --json", "--separator --output-width --table-columns"),
    "seq": spec("w", "sf", "--equal-width", "--separator --format", numeric=True),
    "sleep": spec(max_args=2),
    "md5sum": spec("bctzw", "", "--check --quiet --status --strict --warn --tag --binary --text"),
    "sha1sum": spec("bctzw", "", "--check --quiet --status --strict --warn --tag --binary --text"),
    "sha256sum": spec("bctzw", "", "--check --quiet --status --strict --warn --tag --binary --text"),
    "tac": spec("br", "s", "--before --regex", "--separator"),
    "rev": spec(),
    "comm": spec(
        "123iz", "", "--check-order --nocheck-order --total --zero-terminated", "--output-delimiter"
    ),
    "expand": spec("i", "t", "--initial", "--tabs", numeric=True),
    "unexpand": spec("a", "t", "--all --first-only", "--tabs"),
    "fold": spec("bs", "w", "--bytes --spaces", "--width", numeric=True),
    "paste": spec("sz", "d", "--serial --zero-terminated", "--delimiters"),
    "join": spec("iz", "aevot12j", "--ignore-case --check-order --nocheck-order --header"),
    "od": spec(
        "bcdfiloxsv",
        "AjNtSw",
        "--output-duplicates",
        "--address-radix --skip-bytes --read-bytes --format --width",
    ),
    "hexdump": spec("bcCdoxv", "nse", "--canonical", "--length --skip"),
    "strings": spec(
        "afwd",
        "nte",
        "--all --print-file-name --include-all-whitespace --data",
        "--bytes --radix --encoding",
        numeric=True,
    ),
    "sort": spec(
        "bdfghiMnRrVucCszm",
        "ktS",
        "--ignore-leading-blanks --dictionary-order --ignore-case --general-numeric-sort "
        "--human-numeric-sort --ignore-nonprinting --month-sort --numeric-sort --random-sort --reverse "
        "--version-sort --unique --check --stable --zero-terminated --merge",
        "--key --field-separator --buffer-size --sort --parallel",
    ),
    "uniq": spec(
        "cdDuiz",
        "fsw",
        "--count --repeated --unique --ignore-case --zero-terminated --all-repeated --group",
        "--skip-fields --skip-chars --check-chars",
        max_args=1,
    ),
    "tree": spec(
        "adfilpsughDFqNQrtvUCnJX",
        "LPI",
        "--noreport --dirsfirst --gitignore --prune --du --matchdirs --ignore-case",
        "--filelimit --charset --sort",
    ),
    "rg": spec(
        "iSswvxcnNHIolFLUuaqb0",
        "egtTABCmMdjr",
        "--hidden --no-ignore --no-ignore-vcs --files --fixed-strings --ignore-case --smart-case "
        "--case-sensitive --word-regexp --line-regexp --invert-match --count --count-matches "
        "--line-number --no-line-number --no-heading --heading --files-with-matches "
        "--files-without-match --json --multiline --multiline-dotall --vimgrep --only-matching --trim "
        "--stats --column --null --follow --no-config --pcre2 --no-messages --text --quiet "
        "--with-filename --no-filename --byte-offset --color --sort-files --passthru",
        "--glob --iglob --type --type-not --max-count --context --after-context --before-context "
        "--max-depth --max-filesize --sort --sortr --regexp --color --max-columns --type-add "
        "--replace --encoding --threads",
    ),
    "cd": spec("LPe", max_args=1),
    "test": spec(data_only=True),
    "[": spec(data_only=True),
    "printf": spec(data_only=True),
    "set": spec("euxvfnCbhBHmTPE", "o", max_args=0),
    "env": spec(max_args=0),
    "printenv": spec("0", "", "--null"),
}

# Interpreter-free test and lint runners: they execute the project's own code (tests, conftest.py,
# build scripts, mypy plugins), which auto mode accepts; the options that write elsewhere, load code
# from outside the project or talk to the network are not on their allowlists.
PYTEST = spec(
    "qvxslrkmpWntuL",
    "kmpWrn",
    "--quiet --verbose --exitfirst --showlocals --collect-only --co --last-failed --lf --failed-first "
    "--ff --new-first --nf --stepwise --sw --stepwise-skip --no-header --no-summary --disable-warnings "
    "--strict-markers --strict-config --runxfail --doctest-modules --continue-on-collection-errors "
    "--setup-plan --setup-show --fixtures --markers --version --help --full-trace --color --cache-show",
    "--tb --maxfail --durations --durations-min --capture --color --code-highlight --import-mode "
    "--deselect --ignore --ignore-glob --timeout --count --rootdir --log-level --log-cli-level "
    "--doctest-glob -W --pythonwarnings",
)
RUFF = spec(
    "qnse",
    "",
    "--statistics --show-fixes --diff --quiet --silent --no-cache --exit-zero --exit-non-zero-on-fix "
    "--check --preview --no-fix --show-files --show-settings --isolated --version --help",
    "--select --ignore --extend-select --extend-ignore --output-format --line-length --target-version "
    "--exclude --extend-exclude --per-file-ignores --respect-gitignore --fixable --unfixable",
)
MYPY = spec(
    "",
    "pm",
    "--strict --ignore-missing-imports --no-error-summary --show-error-codes --pretty "
    "--check-untyped-defs --disallow-untyped-defs --explicit-package-bases --namespace-packages "
    "--no-color-output --show-column-numbers --show-error-context --warn-unused-ignores --no-incremental "
    "--follow-imports --version --help --show-traceback --no-site-packages --warn-return-any",
    "--python-version --follow-imports --exclude --package --module --platform",
)
UNITTEST = spec(
    "vqfbck",
    "kspt",
    "--verbose --quiet --failfast --buffer --catch --locals",
    "--start-directory --pattern --top-level-directory",
)
CARGO = spec(
    "qvr",
    "pjF",
    "--release --all --workspace --lib --bins --tests --examples --benches "
    "--all-targets --all-features --no-default-features --quiet --verbose --no-fail-fast --doc "
    "--locked --offline --frozen --check --version",
    "--package --features --test --bin --example --jobs --exclude --color --message-format",
)
TSC = spec(
    "",
    "p",
    "--noEmit --pretty --strict --skipLibCheck --listFiles --version --help",
    "--project --target --module --jsx --lib",
)
JS_RUNNERS = frozenset({"npm", "yarn", "pnpm", "bun"})
_OUTPUT_OPT = re.compile(
    r"^(?:-o$|-o\S|--out|--report|--junit|--basetemp|--coverage-dir|--cache|--log-file|--config)", re.I
)

READ_ONLY = frozenset(SPECS)
SHELL_KEYWORDS = _words("! { } if then else elif fi")
LOOP_KEYWORDS = _words("for select while until case function coproc (( [[ let")
# Builtins that assign variables or evaluate arithmetic (bash runs `$(...)` found in an array subscript
# there: `printf -v 'a[$(id)]'`, `read`, `[[ x -eq 1 ]]`) and builtins that run or load code.
NEVER_AUTO = _words(
    "eval exec source . read mapfile readarray declare typeset local export readonly unset let "
    "alias unalias trap builtin enable shopt hash wait bind complete compgen caller fc history "
    "pushd popd xargs nohup stdbuf sudo doas su"
)
SAFE_VARS = _words(
    "LANG LANGUAGE TZ NO_COLOR FORCE_COLOR COLUMNS LINES CI TERM PYTHONDONTWRITEBYTECODE PYTHONHASHSEED "
    "PYTHONUNBUFFERED PYTHONIOENCODING RUST_BACKTRACE RUST_LOG DEBUG VERBOSE"
)
PYTHONS = re.compile(r"^python(\d+(\.\d+)?)?$")
PYTHON_SAFE_FLAGS = _words("-B -u -q -I -E -s -S -O -OO -b -bb")
_DEV_NET = re.compile(r"/dev/(?:tcp|udp)/")
_UNREVIEWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MAX_COMMAND = 20_000


def _safe_var(name: str) -> bool:
    return name in SAFE_VARS or name.startswith("LC_")


# ---- git -----------------------------------------------------------------------------------------

GIT_GLOBAL = _words("--no-pager -P --no-optional-locks --literal-pathspecs --no-replace-objects")
_LOG_LONG = (
    "--stat --shortstat --numstat --name-only --name-status --oneline --graph --decorate --no-decorate "
    "--all --branches --tags --remotes --cached --staged --patch --no-patch --word-diff --color "
    "--no-color --abbrev-commit --no-abbrev-commit --relative-date --summary --dirstat --ignore-all-space "
    "--ignore-space-change --ignore-blank-lines --no-renames --find-renames --find-copies --check "
    "--exit-code --quiet --raw --minimal --patience --histogram --full-history --simplify-by-decoration "
    "--left-right --cherry-pick --cherry-mark --merges --no-merges --first-parent --reverse --follow "
    "--no-ext-diff --no-textconv --pickaxe-regex --pickaxe-all --topo-order --date-order --boundary "
    "--full-index --binary --abbrev --no-prefix --name-rev --source --walk-reflogs --ignore-submodules "
    "--compact-summary --mailmap --no-mailmap --use-mailmap --ita-invisible-in-index --merge-base "
    "--function-context --no-index --unified --stat-count --diff-merges --remerge-diff --combined-all-paths"
)
_LOG_VALUED = (
    "--format --pretty --since --until --after --before --author --committer --grep --max-count --skip "
    "--date --diff-filter --unified --word-diff --color --stat --dirstat --abbrev --decorate "
    "--find-renames --find-copies --diff-algorithm --relative --src-prefix --dst-prefix --line-prefix "
    "--inter-hunk-context --anchored --ignore-submodules --stat-width --stat-name-width --stat-count "
    "--submodule --color-moved --color-words --diff-merges"
)
_LOG = spec("pusMCBDRwbaztnWGSlmcvhNq", "SGUnL", _LOG_LONG, _LOG_VALUED, optional="MCBU", numeric=True)
GIT_SPECS: dict[str, Spec] = {
    "status": spec(
        "sbvz",
        "",
        "--short --branch --long --verbose --show-stash --no-renames --renames "
        "--ahead-behind --no-ahead-behind --column --no-column --porcelain --untracked-files "
        "--ignored",
        "--porcelain --untracked-files --ignored --find-renames",
        optional="u",
    ),
    "diff": _LOG,
    "show": _LOG,
    "log": _LOG,
    "shortlog": spec(
        "nsec",
        "w",
        "--numbered --summary --email --committer --all --merges --no-merges",
        "--group --format --since --until --author --max-count",
    ),
    "blame": spec(
        "bcelnpstwfMCS",
        "L",
        "--porcelain --line-porcelain --incremental --root --show-name "
        "--show-number --show-email --show-stats --minimal",
        "--date --ignore-rev",
        optional="MC",
    ),
    "grep": spec(
        "nivwlLchHEFPIzapWor",
        "efABCm",
        "--cached --untracked --no-index --heading --break "
        "--line-number --count --files-with-matches --files-without-match --ignore-case "
        "--word-regexp --extended-regexp --fixed-strings --perl-regexp --basic-regexp --all-match "
        "--show-function --function-context --or --and --not --invert-match --full-name --null "
        "--column --only-matching --recurse-submodules --exclude-standard --no-exclude-standard "
        "--quiet --text --color --no-color",
        "--max-depth --context --after-context --before-context --max-count --threads --color",
        numeric=True,
    ),
    "ls-files": spec(
        "cdmoiskuztvf",
        "x",
        "--cached --deleted --modified --others --ignored --stage "
        "--exclude-standard --full-name --error-unmatch --directory --no-empty-directory "
        "--recurse-submodules --killed --unmerged --eol --deduplicate",
        "--exclude --format",
    ),
    "ls-tree": spec(
        "rdtlz", "", "--name-only --name-status --full-name --full-tree --long --abbrev", "--abbrev --format"
    ),
    "rev-parse": spec(
        "q",
        "",
        "--show-toplevel --abbrev-ref --short --git-dir --is-inside-work-tree "
        "--is-bare-repository --verify --quiet --symbolic --symbolic-full-name --show-prefix "
        "--show-cdup --absolute-git-dir --git-common-dir --all --branches --tags --sq",
        "--short --abbrev-ref",
    ),
    "describe": spec(
        "",
        "",
        "--tags --always --long --all --contains --exact-match --first-parent --abbrev",
        "--abbrev --match --exclude --candidates",
    ),
    "cat-file": spec("tspe", "", "--batch-check"),
    "show-ref": spec("sqd", "", "--heads --tags --hash --verify --quiet --head --dereference --abbrev"),
    "merge-base": spec("a", "", "--is-ancestor --all --octopus --independent"),
    "reflog": _LOG,
    "branch": spec(
        "alrvq",
        "",
        "--all --list --remotes --verbose --show-current --no-color --color "
        "--no-column --merged --no-merged --contains --no-contains",
        "--sort --format --color --points-at --merged --no-merged --contains --no-contains",
    ),
    "tag": spec(
        "ln",
        "",
        "--list --no-column --merged --no-merged --contains",
        "--sort --format --points-at --contains",
    ),
    "remote": spec("v", "", "--verbose"),
    "stash": spec(),
    "version": spec(),
    "rev-list": spec(
        "n",
        "",
        "--count --all --reverse --max-count --first-parent --merges --no-merges --objects --left-right",
        "--max-count --since --until --author",
    ),
}


def _rule_git(args: list[str]) -> str | None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] not in GIT_GLOBAL:
            return f"`git {args[i]}` changes git's configuration, directory or programs"
        i += 1
    if i == len(args):
        return None
    sub, rest = args[i], args[i + 1 :]
    sp = GIT_SPECS.get(sub)
    if sp is None:
        return f"`git {sub}` is not a read-only git command"
    problem, pos = check_options(f"git {sub}", rest, sp)
    if problem:
        return problem
    listing = bool(_opts(rest) & {"-l", "--list"}) or any(a.startswith("--list=") for a in rest)
    if sub in ("branch", "tag") and pos and not listing:
        return f"`git {sub}` with a name creates a {sub}"
    if sub == "reflog" and pos[:1] not in ([], ["show"]):
        return f"`git reflog {pos[0]}` may change the reflog"
    if sub == "stash" and rest != ["list"]:
        return "only `git stash list` is read-only"
    if sub == "remote" and pos[:1] not in ([], ["get-url"]):
        return f"`git remote {pos[0]}` may change remotes or use the network"
    return None


# Keys a repository's own config may hold without making read-only git commands run programs.
_GIT_SAFE_KEYS = re.compile(
    r"^(?:core\.(?:repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|precomposeunicode"
    r"|symlinks|autocrlf|eol|safecrlf|quotepath|abbrev|sparsecheckout|sparsecheckoutcone|splitindex"
    r"|untrackedcache|commitgraph|multipackindex|compression|checkstat|trustctime|preloadindex"
    r"|longpaths|protecthfs|protectntfs|warnambiguousrefs)"
    r"|remote\.[^.]+(?:\.[^.]+)*\.(?:url|pushurl|fetch|push|tagopt|prune|mirror|skipdefaultupdate"
    r"|skipfetchall|promisor|partialclonefilter)"
    r"|branch\.[^.]+(?:\.[^.]+)*\.(?:remote|merge|rebase|pushremote|description)"
    r"|(?:user|author|committer|init|extensions|gc|pack|index|feature|lfs|advice|i18n|rerere|fetch|pull"
    r"|push|column|color|help|commit|tag|maintenance|worktree|checkout|clone|submodule\.[^.]+)\.[^.]+"
    r"|status\.[a-z]+|diff\.(?:renames|mnemonicprefix|algorithm|colormoved|noprefix|relative"
    r"|statgraphwidth|indentheuristic|submodule|ignoresubmodules|context|interhunkcontext"
    r"|wserrorhighlight|suppressblankempty|renamelimit)"
    r"|log\.(?:date|decorate|abbrevcommit|follow|showroot|mailmap|initialdecorationset)"
    r"|merge\.(?:conflictstyle|ff|log|renamelimit|renames)|rebase\.[a-z]+|grep\.[a-z]+)$"
)
_GIT_LFS = {
    "filter.lfs.clean": "git-lfs clean -- %f",
    "filter.lfs.smudge": "git-lfs smudge -- %f",
    "filter.lfs.process": "git-lfs filter-process",
    "filter.lfs.required": "true",
}
_SUBMODULE_UPDATE = re.compile(r"^submodule\..+\.update$")


def git_dir(start: Path) -> Path | None:
    """The git directory of the repository `start` is in (following a `.git` file), or None."""
    for folder in (start, *start.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            text = dot.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[7:].strip())
                return target if target.is_absolute() else (folder / target).resolve()
            return None
    return None


def parse_git_config(text: str) -> list[tuple[str, str]] | None:
    """(key, value) pairs of a git config file, keys lowercased as `section[.subsection].name`; None when
    a line cannot be read (the caller treats that as unsafe)."""
    out: list[tuple[str, str]] = []
    section = ""
    lines = text.replace("\\\r\n", "").replace("\\\n", "").splitlines()
    for raw in lines:
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        m = re.match(r'^\[\s*([A-Za-z0-9.\-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)$', line)
        if m:
            name, sub = m.group(1).lower(), m.group(2)
            section = f"{name}.{sub}" if sub is not None else name
            line = m.group(3).strip()
            if not line or line[0] in "#;":
                continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9\-]*)\s*(?:=\s*(.*))?$", line)
        if not m or not section:
            return None
        value = (m.group(2) or "true").strip()
        if value.startswith('"') and value.endswith('"') and len(value) > 1:
            value = value[1:-1]
        out.append((f"{section}.{m.group(1).lower()}", value))
    return out


def unsafe_git_config(root: Path) -> str | None:
    """Why the repository's own config could make a read-only git command run a program, or None."""
    gd = git_dir(root)
    if gd is None:
        return None
    for name in ("config", "config.worktree"):
        path = gd / name
        if not path.is_file():
            continue
        try:
            pairs = parse_git_config(path.read_text(errors="replace"))
        except OSError:
            return f"cannot read {path}"
        if pairs is None:
            return f"{path} has lines Skiff cannot read"
        for key, value in pairs:
            if key in _GIT_LFS and value == _GIT_LFS[key]:
                continue
            if _SUBMODULE_UPDATE.match(key) or not _GIT_SAFE_KEYS.match(key):
                return f"the repository's git config sets `{key}`, which can run programs"
    return None


# Set for auto-allowed commands: git's command-line scope beats every config file, so a repository's
# config cannot name a pager, fsmonitor, hooks or signature program for them. Keys that name programs per
# driver (diff.<driver>.textconv, filter.<driver>.clean) or that cannot be blanked (diff.external: an empty
# value makes every diff fail) are handled by `unsafe_git_config`: a repository that sets them is asked.
GIT_NEUTRAL = {
    "core.pager": "cat",
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "core.sshCommand": "false",
    "core.askPass": "false",
    "log.showSignature": "false",
    "credential.helper": "",
}


def git_neutral_env() -> dict[str, str]:
    """Environment variables that neutralise config-driven programs for git (git 2.31 and later)."""
    env = {"GIT_CONFIG_COUNT": str(len(GIT_NEUTRAL)), "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat"}
    for k, (key, value) in enumerate(GIT_NEUTRAL.items()):
        env[f"GIT_CONFIG_KEY_{k}"] = key
        env[f"GIT_CONFIG_VALUE_{k}"] = value
    return env


# ---- rules for programs with subcommands --------------------------------------------------------


def _opts(args: list[str]) -> set[str]:
    return {a.split("=", 1)[0] for a in args if a.startswith("-")}


def _rule_find(args: list[str]) -> str | None:
    flags = (
        "-not ! -o -a -or -and -print -print0 -prune -empty -true -false -depth -follow -L -H -P -ls "
        "-readable -writable -executable -nouser -nogroup -quit -xdev -mount ( ) , -d"
    )
    valued = (
        "-name -iname -path -ipath -wholename -iwholename -type -xtype -maxdepth -mindepth -mtime "
        "-mmin -atime -amin -ctime -cmin -newer -size -regex -iregex -perm -user -group -links -inum "
        "-samefile -printf -uid -gid -regextype -lname -ilname -used"
    )
    ok_flags, ok_valued = _words(flags), _words(valued)
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a in ok_flags:
            continue
        if a in ok_valued:
            i += 1
            continue
        if a.startswith("-") and a != "-":
            return f"`find {a}` runs commands, writes files or is not on find's allowlist"
    return None


def _rule_python(args: list[str]) -> str | None:
    i = 0
    while i < len(args) and args[i] in PYTHON_SAFE_FLAGS:
        i += 1
    rest = args[i:]
    if rest in (["--version"], ["-V"]):
        return None
    if len(rest) >= 2 and rest[0] == "-m":
        module, margs = rest[1], rest[2:]
        if module == "pytest":
            return _rule_pytest(margs)
        if module == "unittest":
            return check_options("python -m unittest", margs, UNITTEST)[0]
        if module == "mypy":
            return check_options("mypy", margs, MYPY)[0]
        if module == "ruff":
            return _rule_ruff(margs)
    return "python runs arbitrary code (allowed: python -m pytest/unittest/mypy/ruff with their options)"


def _rule_pytest(args: list[str]) -> str | None:
    problem, _ = check_options("pytest", args, PYTEST)
    if problem:
        return problem
    for k, a in enumerate(args):
        plugin = None
        if a == "-p":
            plugin = args[k + 1] if k + 1 < len(args) else ""
        elif a.startswith("-p") and not a.startswith("--"):
            plugin = a[2:]
        if plugin is not None and not plugin.startswith("no:"):
            return "`pytest -p` loads a plugin module (only `-p no:NAME` is allowed)"
    return None


def _rule_ruff(args: list[str]) -> str | None:
    sub = args[0] if args and not args[0].startswith("-") else ""
    rest = args[1:] if sub else args
    problem, _ = check_options("ruff", rest, RUFF)
    if problem:
        return problem + " (ruff check without --fix and ruff format --check are allowed)"
    if sub == "check" or (not sub and _opts(rest) & {"--version", "--help"}):
        return None
    if sub == "format" and _opts(rest) & {"--check", "--diff"}:
        return None
    return "ruff would rewrite files (use `ruff check` without --fix, or `ruff format --check`)"


def _rule_cargo(args: list[str]) -> str | None:
    sub, rest = (args[0], args[1:]) if args else ("", [])
    if sub not in ("test", "check", "clippy", "fmt", "--version", "-V"):
        return "only cargo test/check/clippy/fmt --check are allowed"
    if sub == "fmt" and "--check" not in rest:
        return "cargo fmt without --check rewrites files"
    split = rest.index("--") if "--" in rest else len(rest)
    return check_options(f"cargo {sub}", rest[:split], CARGO)[0]


def _rule_go(args: list[str]) -> str | None:
    sub, rest = (args[0], args[1:]) if args else ("", [])
    if sub == "version" and not rest:
        return None
    if sub not in ("test", "vet"):
        return "only go test/vet are allowed"
    return _go_style(
        f"go {sub}",
        rest,
        "v race short cover benchmem failfast json count list",
        "run count timeout bench tags p parallel skip cpu covermode shuffle",
    )


def _rule_js(name: str, args: list[str]) -> str | None:
    forms = (["test"], ["t"], ["run", "test"], ["--version"])
    form = next((f for f in forms if args[: len(f)] == f), None)
    if form is None:
        return f"only `{name} test` is allowed"
    rest = args[len(form) :]
    if rest and rest[0] != "--":
        return f"options of `{name}` itself (before `--`) are not allowed"
    if any(_OUTPUT_OPT.match(a) for a in rest):
        return "an output-file option"
    return None


def _rule_test(args: list[str]) -> str | None:
    if {"-v", "-R"} & set(args):
        return "`test -v`/`-R` evaluates an array subscript (bash runs `$(...)` found there)"
    return None


def _rule_printf(args: list[str]) -> str | None:
    return "`printf -v` assigns a variable" if any(a.startswith("-v") for a in args[:2]) else None


def _rule_command(args: list[str]) -> str | None:
    return None if args[:1] in (["-v"], ["-V"]) else "`command` runs another program"


def _rule_spec(name: str) -> Callable[[list[str]], str | None]:
    sp = SPECS[name]

    def rule(args: list[str]) -> str | None:
        return check_options(name, args, sp)[0]

    return rule


RULES: dict[str, Callable[[list[str]], str | None]] = {name: _rule_spec(name) for name in SPECS}
RULES.update(
    {
        "find": _rule_find,
        "git": _rule_git,
        "ruff": _rule_ruff,
        "pytest": _rule_pytest,
        "py.test": _rule_pytest,
        "mypy": lambda a: check_options("mypy", a, MYPY)[0],
        "tsc": lambda a: (
            check_options("tsc", a, TSC)[0]
            or (None if "--noEmit" in a else "tsc without --noEmit writes files")
        ),
        "cargo": _rule_cargo,
        "go": _rule_go,
        "test": _rule_test,
        "[": _rule_test,
        "printf": _rule_printf,
        "command": _rule_command,
        **{tool: functools.partial(_rule_js, tool) for tool in JS_RUNNERS},
    }
)


@dataclass
class _Core:
    """A simple command after assignments, `if`-style keywords and wrappers (time, env, nice, timeout)."""

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
            if not _safe_var(m.group(1)):
                return _Core(words, dyn, f"sets {m.group(1)}, which may change what a program does")
            drop()
        elif w in SHELL_KEYWORDS:
            drop()
        elif w in LOOP_KEYWORDS:
            return _Core(words, dyn, f"`{w}` (loops, arithmetic and `[[` are asked)")
        elif w == "env" and len(words) > 1:
            drop()
            while words and (words[0] in ("-i", "-", "--ignore-environment") or _ASSIGN.match(words[0])):
                m = _ASSIGN.match(words[0])
                if m and not _safe_var(m.group(1)):
                    return _Core(words, dyn, f"sets {m.group(1)}, which may change what a program does")
                drop()
            if words and words[0].startswith("-"):
                return _Core(words, dyn, f"`env {words[0]}` is not allowed")
        elif w == "nice":
            drop()
            if words[:1] == ["-n"]:
                drop(2)
            elif words and re.fullmatch(r"-n?-?\d+", words[0]):
                drop()
        elif w == "timeout":
            drop()
            while words and words[0].startswith("-"):
                if words[0] in ("-s", "-k", "--signal", "--kill-after"):
                    drop(2)
                elif words[0] in ("--preserve-status", "--foreground", "-v", "--verbose") or re.match(
                    r"^(?:-[sk].+|--signal=.+|--kill-after=.+)$", words[0]
                ):
                    drop()
                else:
                    return _Core(words, dyn, f"`timeout {words[0]}` is not allowed")
            if not words or not re.fullmatch(r"\d+(\.\d+)?[smhd]?", words[0]):
                return _Core(words, dyn, "timeout needs a plain duration")
            drop()
        elif w == "time" or (w == "command" and words[1:2] not in (["-v"], ["-V"]) and len(words) > 1):
            drop()
            if words[:1] == ["-p"]:
                drop()
        else:
            break
    return _Core(words, dyn)


def _builtin_verdict(cmd: SimpleCommand, core: _Core) -> str | None:
    """None if the read-only allowlist admits this simple command, else why not."""
    if core.problem:
        return core.problem
    if cmd.background:
        return "runs in the background"
    for r in cmd.redirects:
        if r.writes_file:
            return f"writes to a file ({r.fd}{r.op} {r.target})"
        if r.op in ("<", "<>") and is_secret_path(r.target):
            return f"reads {r.target}, which looks like a secret"
    if not core.words:
        return None
    name, args = core.words[0], core.words[1:]
    if any(core.dynamic):
        return "words are computed at run time"
    if name in NEVER_AUTO:
        return f"`{name}` is never run automatically"
    if "/" in name:
        return "runs a program by path"
    secret = next((w for w in args if is_secret_path(w.split("=", 1)[-1])), None)
    if secret is not None:
        return f"names {secret}, which looks like a secret"
    rule = _rule_python if PYTHONS.match(name) else RULES.get(name)
    if rule is None:
        return f"`{name}` is not on the allowlist"
    return rule(args)


def _line_problem(command: str) -> str | None:
    """Why a whole command line cannot run unasked, whatever its programs."""
    if "$" in command or "`" in command:
        return "uses `$` or backticks: bash expands them anywhere, even inside arithmetic and subscripts"
    if re.search(r"[<>]\(", command):
        return "uses process substitution"
    if _DEV_NET.search(command):
        return "opens a network connection through /dev/tcp or /dev/udp"
    return None


def _matches_prefix(words: list[str], patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        try:
            want = shlex.split(pattern.removesuffix(":*").removesuffix("*").strip())
        except ValueError:
            continue
        if want and words[: len(want)] == want:
            return True
    return False


@dataclass
class Verdict:
    """Whether a command may run without asking; if not, why, and the simple commands at fault.

    `denied`: refused outright, never asked (a line the user cannot review). `sandboxed`: admitted by the
    read-only allowlist (not by the user), so it runs with the hardened environment (git neutralised)."""

    allowed: bool
    reason: str = ""
    segments: list[str] = field(default_factory=list)
    denied: bool = False
    sandboxed: bool = False


def unreviewable(command: str) -> str | None:
    """Why a command line cannot be shown faithfully to the user (control or bidi characters, size)."""
    if len(command) > MAX_COMMAND:
        return f"the command is {len(command)} characters long (more than {MAX_COMMAND})"
    m = _UNREVIEWABLE.search(command)
    if m:
        return f"the command holds the invisible or control character U+{ord(m.group(0)):04X}"
    return None


def check_command(
    command: str,
    mode: Mode = "auto",
    allow: Iterable[str] = (),
    always: Iterable[str] = (),
    root: Path | None = None,
) -> Verdict:
    """Decide whether `command` may run without asking, under `mode`, config patterns `allow` (whole-word
    prefixes the user typed) and `always` (the exact command lines the user allowed always this session).
    `root` is the folder the command runs in (its git config is checked for git commands)."""
    if mode == "accept-all":
        return Verdict(True)
    if not command.strip():
        return Verdict(False, "empty command", denied=True)
    bad = unreviewable(command)
    if bad:
        return Verdict(False, f"refused: {bad}", [command.strip()[:200]], denied=True)
    if command.strip() in {a.strip() for a in always}:
        return Verdict(True)
    if mode == "manual":
        return Verdict(False, "manual mode: every command needs approval", [command.strip()])
    line_problem = _line_problem(command)
    if line_problem:
        return Verdict(False, f"`{command.strip()}`: {line_problem}", [command.strip()])
    try:
        commands = parse_command(command)
    except ShellParseError as exc:
        return Verdict(False, f"cannot check this command line ({exc})", [command.strip()])
    reasons, segments = [], []
    by_user = False
    names = set()
    for cmd in commands:
        core = _core(cmd)
        if core.words:
            names.add(core.words[0])
        if allow and (_matches_prefix(core.words, allow) or _matches_prefix(cmd.words, allow)):
            by_user = True
            continue
        problem = _builtin_verdict(cmd, core)
        if problem is None and core.words[:1] == ["git"] and root is not None:
            problem = unsafe_git_config(root)
        if problem is None:
            continue
        reasons.append(f"`{cmd.text}`: {problem}")
        segments.append(cmd.text)
    if not reasons and "git" in names and "cd" in names:
        reasons.append("`cd` with `git`: the repository whose config git reads is not known in advance")
        segments.append(command.strip())
    if not reasons:
        return Verdict(True, sandboxed=not by_user)
    reasons.append("allow always would admit exactly this command line")
    return Verdict(False, "; ".join(reasons), segments)
