"""Code blocks in a model's reply: fenced blocks, SEARCH/REPLACE blocks and unified diffs, as data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import unidiff

from skiff.agent.parsing.fences import fenced_blocks
from skiff.agent.textdiff import split_lines

SEARCH_REPLACE_BLOCK = re.compile(
    r"^[ \t]*<{5,9}[ \t]*SEARCH[^\n]*\n(?P<search>.*?)^[ \t]*={5,9}[ \t]*\n"
    r"(?P<replace>.*?)^[ \t]*>{5,9}[ \t]*REPLACE[^\n]*$",
    re.M | re.S,
)

_PATHLIKE = re.compile(r"[\w./\\-]+\.\w+")

_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")


@dataclass
class SearchReplace:
    search: str
    replace: str
    path: str | None = None


@dataclass
class Hunk:
    """One diff hunk as a search/replace: the old side (context and removed lines) and the new side."""

    old: str
    new: str


@dataclass
class FileDiff:
    path: str | None
    hunks: list[Hunk] = field(default_factory=list)


def search_replace_blocks(text: str) -> list[SearchReplace]:
    """aider-style `<<<<<<< SEARCH / ======= / >>>>>>> REPLACE` blocks, with the file named just above."""
    out = []
    for m in SEARCH_REPLACE_BLOCK.finditer(text):
        head = text[: m.start()].rstrip("\n`").rsplit("\n", 1)[-1].strip().strip("`*:")
        path = head if _PATHLIKE.fullmatch(head) else None
        out.append(SearchReplace(m.group("search"), m.group("replace"), path))
    return out


def unified_diffs(text: str) -> list[FileDiff]:
    """The unified diffs in a reply: inside ```diff/```patch blocks, or bare in the text."""
    sources = [b.code for b in fenced_blocks(text) if b.lang in ("diff", "patch", "udiff")]
    if not sources and re.search(r"^@@ .*@@", text, re.M):
        sources = [text]
    diffs: list[FileDiff] = []
    for src in sources:
        if not re.search(r"^@@", src, re.M):
            continue
        diffs.extend(_parse_with_unidiff(src) or _parse_lenient(src))
    return diffs


def _strip_prefix(path: str) -> str | None:
    path = path.strip().split("\t")[0]
    if path in ("/dev/null", ""):
        return None
    return path[2:] if path.startswith(("a/", "b/")) else path


def _parse_with_unidiff(src: str) -> list[FileDiff]:
    if not re.search(r"^--- ", src, re.M):
        src = "--- a/file\n+++ b/file\n" + src
    try:
        patch = unidiff.PatchSet(src)
    except unidiff.UnidiffParseError:
        return []
    out = []
    for pf in patch:
        path = _strip_prefix(pf.target_file) or _strip_prefix(pf.source_file)
        fd = FileDiff(None if path == "file" else path)
        for h in pf:
            old = "".join(x.value for x in h if x.is_context or x.is_removed)
            new = "".join(x.value for x in h if x.is_context or x.is_added)
            fd.hunks.append(Hunk(old, new))
        if fd.hunks:
            out.append(fd)
    return out


def _parse_lenient(src: str) -> list[FileDiff]:
    """Hunks read line by line, ignoring the counts in `@@` headers (small models get them wrong)."""
    out: list[FileDiff] = []
    current: FileDiff | None = None
    old: list[str] | None = None
    new: list[str] = []

    def flush() -> None:
        nonlocal old, new
        if current is not None and old is not None and (old or new):
            current.hunks.append(Hunk("".join(old), "".join(new)))
        old, new = None, []

    for line in split_lines(src):
        body = line.rstrip("\r\n") + "\n"
        if line.startswith("+++ "):
            if current is not None:
                current.path = _strip_prefix(line[4:]) or current.path
            continue
        if line.startswith("--- "):
            flush()
            current = FileDiff(_strip_prefix(line[4:]))
            out.append(current)
            continue
        if line.startswith("@@"):
            flush()
            if current is None:
                current = FileDiff(None)
                out.append(current)
            old = []
            continue
        if old is None or line.startswith("\\"):
            continue
        if line.startswith("-"):
            old.append(body[1:])
        elif line.startswith("+"):
            new.append(body[1:])
        else:
            ctx = body[1:] if line.startswith(" ") else body
            old.append(ctx)
            new.append(ctx)
    flush()
    return [d for d in out if d.hunks]
