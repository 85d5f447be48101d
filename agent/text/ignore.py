""".gitignore matching and an ignore-aware file walker, for the pure-Python glob and grep paths.

Follows git's rules: `#` comments, `!` negation, trailing `/` for directories only, a pattern with a slash
anywhere but the end is anchored to its .gitignore's folder, otherwise it matches at any depth; `*`, `?`,
`[...]` never cross `/`, `**` does. Deeper .gitignore files override shallower ones and later lines win.
A directory that is ignored is not walked, so nothing inside it can be re-included (as in git).
`.git/info/exclude` counts as a root .gitignore; VCS folders (.git, .hg, .svn) are always skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ALWAYS_SKIP = frozenset({".git", ".hg", ".svn"})


def translate_glob(pattern: str) -> str:
    """Regex source (for fullmatch) of a path glob: `*`, `?` and `[...]` stay within one path segment,
    `**/` matches any number of folders and a final `**` matches everything below."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        at_segment_start = i == 0 or pattern[i - 1] == "/"
        if pattern.startswith("**", i) and at_segment_start and (i + 2 == n or pattern[i + 2] == "/"):
            if i + 2 == n:
                out.append(".*")
                i += 2
            else:
                out.append("(?:.*/)?")
                i += 3
        elif c == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _char_class(pattern, i)
            out.append(cls)
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _char_class(pattern: str, start: int) -> tuple[str, int]:
    """Translate `[...]` starting at `start`; an unclosed bracket is a literal `[`."""
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    body_start = i
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 1
    if i >= len(pattern):
        return re.escape("["), start + 1
    body = pattern[body_start:i].replace("\\", "\\\\").replace("[", "\\[")
    if negate:
        return f"[^/{body}]", i + 1
    return f"[{body}]", i + 1


def expand_braces(pattern: str) -> list[str]:
    """Expand shell braces: `*.{ts,tsx}` -> [`*.ts`, `*.tsx`] (nested braces work, unbalanced are literal)."""
    depth = 0
    start = -1
    for i, c in enumerate(pattern):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                options = _split_top_level(pattern[start + 1 : i])
                if len(options) < 2:
                    continue
                head, tail = pattern[:start], pattern[i + 1 :]
                return [x for opt in options for x in expand_braces(head + opt + tail)]
    return [pattern]


def _split_top_level(body: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for c in body:
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        depth += c == "{"
        depth -= c == "}" and depth > 0
        cur.append(c)
    parts.append("".join(cur))
    return parts


def compile_path_glob(pattern: str) -> re.Pattern[str]:
    """A matcher for workspace-relative POSIX paths. A pattern without `/` matches a file name at any
    depth (`*.py` finds `a/b/c.py`), one with `/` is relative to the search folder."""
    alternatives = []
    for pat in expand_braces(pattern.strip()):
        pat = pat.removeprefix("./").lstrip("/")
        if "/" not in pat:
            pat = "**/" + pat
        alternatives.append(translate_glob(pat))
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL)


@dataclass(frozen=True)
class Rule:
    """One .gitignore line: `base` is its file's folder relative to the root ('' for the root)."""

    base: str
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool

    def matches(self, rel: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.base:
            if not rel.startswith(self.base + "/"):
                return False
            rel = rel[len(self.base) + 1 :]
        return self.regex.fullmatch(rel) is not None


def parse_gitignore(text: str, base: str = "") -> list[Rule]:
    """The rules of one .gitignore file located in folder `base` (root-relative POSIX, '' for root)."""
    rules = []
    for raw in text.splitlines():
        line = _strip_trailing_spaces(raw)
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate or line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        if not anchored:
            line = "**/" + line
        rules.append(Rule(base, re.compile(translate_glob(line), re.DOTALL), negate, dir_only))
    return rules


def _strip_trailing_spaces(line: str) -> str:
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped[:-1] + " "
    return stripped


class IgnoreMatcher:
    """Answers "is this workspace path ignored?" by reading .gitignore files lazily, folder by folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._rules: dict[str, list[Rule]] = {}
        exclude = root / ".git" / "info" / "exclude"
        self._root_extra = parse_gitignore(_read(exclude)) if exclude.is_file() else []

    def _rules_in(self, folder: str) -> list[Rule]:
        rules = self._rules.get(folder)
        if rules is None:
            path = self.root / folder / ".gitignore" if folder else self.root / ".gitignore"
            rules = parse_gitignore(_read(path), folder) if path.is_file() else []
            if not folder:
                rules = self._root_extra + rules
            self._rules[folder] = rules
        return rules

    def _verdict(self, rel: str, is_dir: bool) -> bool:
        """Whether `rel` itself is ignored, not looking at its parents (the last matching rule wins)."""
        parts = rel.split("/")
        if parts[-1] in ALWAYS_SKIP:
            return True
        ignored = False
        folders = [""] + ["/".join(parts[:k]) for k in range(1, len(parts))]
        for folder in folders:
            for rule in self._rules_in(folder):
                if rule.matches(rel, is_dir):
                    ignored = not rule.negate
        return ignored

    def is_ignored(self, rel: str, is_dir: bool = False) -> bool:
        """Whether a root-relative POSIX path is ignored, itself or through an ignored parent folder."""
        rel = rel.strip("/")
        if not rel or rel == ".":
            return False
        parts = rel.split("/")
        for k in range(1, len(parts)):
            if self._verdict("/".join(parts[:k]), True):
                return True
        return self._verdict(rel, is_dir)

    def walk(self, start: Path, skip: frozenset[str] = frozenset()) -> Iterator[Path]:
        """Files under `start` (a folder inside the root) that are not ignored, in sorted order.
        `start` itself is not tested, so an explicitly named ignored folder is still searched.
        Symlinked folders are not followed; folders named in `skip` (hidden ones when it holds ".")
        are not entered."""
        hidden = "." in skip
        for dirpath, dirnames, filenames in os.walk(start):
            here = Path(dirpath)
            rel_here = "" if here == self.root else here.relative_to(self.root).as_posix()
            prefix = rel_here + "/" if rel_here else ""
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in ALWAYS_SKIP
                and d not in skip
                and not (hidden and d.startswith("."))
                and not self._verdict(prefix + d, True)
            )
            for name in sorted(filenames):
                if not self._verdict(prefix + name, False):
                    yield here / name


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
