"""The bash tool's policy: splits a command line into simple commands and decides which may run unasked.

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
Test and lint runners (pytest, python -m pytest/unittest/mypy/ruff, cargo test, go test, npm test,
node --test FILE...) are admitted with their option allowlists: they run the project's own code by design.
A line that cannot be shown faithfully (control or bidi characters, over MAX_COMMAND chars) is denied.

"Allow always" remembers the exact command line. Config patterns (`bash.allow`) are whole-word prefixes
the user typed: "npm run lint" admits `npm run lint -- --quiet` but not `npm run lint-fix`; the line-wide
rules above (no `$`, no /dev/tcp) still apply to lines they admit.

Its parts, one module each: `scanner` (shell text to simple commands, redirections and substitutions;
`ShellParseError`), `allowlists` (`Spec`, `check_options`, each program's option allowlist), `git_rules`
(read-only git subcommands, the repository-config check `unsafe_git_config`, the neutral environment
`git_neutral_env`) and `rules` (wrappers, builtins, the per-program rules and `check_command`).
"""

from __future__ import annotations

from skiff.agent.tools.bash_policy.git_rules import GIT_NEUTRAL, git_neutral_env, unsafe_git_config
from skiff.agent.tools.bash_policy.rules import Mode, Verdict, check_command, unreviewable
from skiff.agent.tools.bash_policy.scanner import Redirect, ShellParseError, SimpleCommand, parse_command

__all__ = [
    "GIT_NEUTRAL",
    "Mode",
    "Redirect",
    "ShellParseError",
    "SimpleCommand",
    "Verdict",
    "check_command",
    "git_neutral_env",
    "parse_command",
    "unreviewable",
    "unsafe_git_config",
]
