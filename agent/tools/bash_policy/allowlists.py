"""Option allowlists for the bash policy: `Spec`, `check_options` and each admitted program's options.

Allowlists, not deny lists: an option a program is given must be on its list (or the command is asked).
The test and lint runners' specs (pytest, ruff, mypy, unittest, cargo, tsc) live here too; the rules that
use them are in `rules.py`, git's in `git_rules.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def word_set(text: str) -> frozenset[str]:
    """The space-separated words of `text`."""
    return frozenset(text.split())


def option_names(args: list[str]) -> set[str]:
    """The options among `args`, each without its `=value`."""
    return {a.split("=", 1)[0] for a in args if a.startswith("-")}


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
    return Spec(short, valued, optional, word_set(long), word_set(long_valued), numeric, max_args, data_only)


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


def go_style_options(name: str, args: list[str], flags: str, valued: str) -> str | None:
    """Options written `-name` or `-name=value` (go, find-like tools)."""
    ok_flags, ok_valued = word_set(flags), word_set(valued)
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
OUTPUT_OPT = re.compile(
    r"^(?:-o$|-o\S|--out|--report|--junit|--basetemp|--coverage-dir|--cache|--log-file|--config)", re.I
)

READ_ONLY = frozenset(SPECS)
