"""The bash policy's decision: `check_command` reads each simple command's wrappers, builtins, redirections
and program rules, and says whether the command line may run without asking.
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
from skiff.agent.tools.bash_policy.allowlists import (
    CARGO,
    JS_RUNNERS,
    MYPY,
    OUTPUT_OPT,
    PYTEST,
    RUFF,
    SPECS,
    TSC,
    UNITTEST,
    check_options,
    go_style_options,
    option_names,
    word_set,
)
from skiff.agent.tools.bash_policy.git_rules import rule_git, unsafe_git_config
from skiff.agent.tools.bash_policy.scanner import ShellParseError, SimpleCommand, parse_command

Mode = Literal["auto", "accept-all", "manual"]

_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
SHELL_KEYWORDS = word_set("! { } if then else elif fi")
LOOP_KEYWORDS = word_set("for select while until case function coproc (( [[ let")
# Builtins that assign variables or evaluate arithmetic (bash runs `$(...)` found in an array subscript
# there: `printf -v 'a[$(id)]'`, `read`, `[[ x -eq 1 ]]`) and builtins that run or load code.
NEVER_AUTO = word_set(
    "eval exec source . read mapfile readarray declare typeset local export readonly unset let "
    "alias unalias trap builtin enable shopt hash wait bind complete compgen caller fc history "
    "pushd popd xargs nohup stdbuf sudo doas su"
)
SAFE_VARS = word_set(
    "LANG LANGUAGE TZ NO_COLOR FORCE_COLOR COLUMNS LINES CI TERM PYTHONDONTWRITEBYTECODE PYTHONHASHSEED "
    "PYTHONUNBUFFERED PYTHONIOENCODING RUST_BACKTRACE RUST_LOG DEBUG VERBOSE"
)
PYTHONS = re.compile(r"^python(\d+(\.\d+)?)?$")
PYTHON_SAFE_FLAGS = word_set("-B -u -q -I -E -s -S -O -OO -b -bb")
_DEV_NET = re.compile(r"/dev/(?:tcp|udp)/")
_UNREVIEWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MAX_COMMAND = 20_000


def _safe_var(name: str) -> bool:
    return name in SAFE_VARS or name.startswith("LC_")


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
    ok_flags, ok_valued = word_set(flags), word_set(valued)
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
    if sub == "check" or (not sub and option_names(rest) & {"--version", "--help"}):
        return None
    if sub == "format" and option_names(rest) & {"--check", "--diff"}:
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
    return go_style_options(
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
    if any(OUTPUT_OPT.match(a) for a in rest):
        return "an output-file option"
    return None


def _rule_node(args: list[str]) -> str | None:
    """`node --test FILE...`, the test runner built into Node: it runs the project's test files, as pytest
    does. Any other use of node runs arbitrary code (`-e`, `--require`, `--import`, a script)."""
    if args in (["--version"], ["-v"]):
        return None
    if args[:1] != ["--test"]:
        return "node runs arbitrary code (allowed: node --test FILE...)"
    if any(a.startswith("-") for a in args[1:]):
        return "options after `node --test` are not allowed"
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
        "git": rule_git,
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
        "node": _rule_node,
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
