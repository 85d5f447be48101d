"""Search/replace matching for the edit tool: exact, then quote/whitespace-tolerant, else the closest region.

Small models quote code from memory: indentation drifts, quotes change style, CRLF files get LF. The
matcher tries, in order:

1. exact: the text of `old` as is;
2. quotes: the same with ', ", and smart quotes treated as equal (offsets map one to one);
3. lines: whole lines compared with leading/trailing whitespace dropped, runs of inner whitespace
   collapsed and quotes equated. The replacement is re-indented so that `new` keeps its relative
   indentation but sits at the indentation the file has there, and uses the file's line endings.

The first mode that finds anything decides; more than one match there is ambiguous unless replace_all.
On no match, `closest_region` finds the window of the file most similar to `old` (difflib ratio over a
sliding window of old's line count, prefiltered by an incremental character-multiset score).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from skiff.agent.text.similarity import SimilarTo
from skiff.agent.textdiff import split_lines

Mode = Literal["exact", "quotes", "lines"]

_QUOTES = str.maketrans({"'": '"', "\u2018": '"', "\u2019": '"', "\u201c": '"', "\u201d": '"'})
_NEWLINE = re.compile(r"\r\n|\r|\n")
_WS = re.compile(r"\s+")
TAB_WIDTH = 4


@dataclass
class Span:
    """One replaced region: base[start:end] becomes `replacement`; lines are 1-based and inclusive."""

    start: int
    end: int
    first_line: int
    last_line: int
    replacement: str


@dataclass
class EditOutcome:
    text: str
    mode: Mode
    spans: list[Span] = field(default_factory=list)


@dataclass
class Closest:
    """The file region most similar to a search string that was not found."""

    first_line: int  # 1-based, inclusive
    last_line: int
    ratio: float
    lines: list[str]


class EditMatchError(Exception):
    """`kind` is "no_match" or "ambiguous"; `lines` are the 1-based first lines of ambiguous matches."""

    def __init__(self, kind: Literal["no_match", "ambiguous"], mode: Mode | None, lines: list[int]) -> None:
        super().__init__(kind)
        self.kind = kind
        self.mode = mode
        self.lines = lines


def apply_edit(text: str, old: str, new: str, replace_all: bool = False) -> EditOutcome:
    """Replace `old` by `new` in `text` (once, or everywhere with replace_all); raises EditMatchError."""
    if not old:
        raise ValueError("old must not be empty")
    starts = _line_starts(text)
    for mode in ("exact", "quotes", "lines"):
        spans = _find(mode, text, old, new, starts)
        if not spans:
            continue
        if len(spans) > 1 and not replace_all:
            raise EditMatchError("ambiguous", mode, [s.first_line for s in spans])
        return EditOutcome(_splice(text, spans), mode, spans)
    raise EditMatchError("no_match", None, [])


def _find(mode: str, text: str, old: str, new: str, starts: list[int]) -> list[Span]:
    if mode == "exact":
        return [_span(text, starts, a, a + len(old), new) for a in _find_all(text, old)]
    if mode == "quotes":
        hay, needle = text.translate(_QUOTES), old.translate(_QUOTES)
        if hay == text and needle == old:
            return []
        return [_span(text, starts, a, a + len(old), new) for a in _find_all(hay, needle)]
    return _find_lines(text, old, new, starts)


def _find_all(hay: str, needle: str) -> list[int]:
    found, i = [], hay.find(needle)
    while i >= 0:
        found.append(i)
        i = hay.find(needle, i + len(needle))
    return found


def _line_starts(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in split_lines(text):
        pos += len(line)
        starts.append(pos)
    return starts


def _span(text: str, starts: list[int], start: int, end: int, replacement: str) -> Span:
    first = bisect.bisect_right(starts, start)
    last = bisect.bisect_right(starts, max(start, end - 1))
    return Span(start, end, first, last, replacement)


def _splice(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(s.replacement)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def normalize_line(line: str) -> str:
    """A line as the tolerant mode compares it: trimmed, inner whitespace collapsed, quotes equated."""
    return _WS.sub(" ", line.strip()).translate(_QUOTES)


def block_lines(s: str) -> list[str]:
    """Lines of a search/replace block: one final line break is a terminator, not an empty line."""
    s = s[:-2] if s.endswith("\r\n") else s[:-1] if s.endswith(("\n", "\r")) else s
    return _NEWLINE.split(s) if s else []


def _trim_blank(lines: list[str]) -> tuple[list[str], int, int]:
    lead = 0
    while lead < len(lines) and not lines[lead].strip():
        lead += 1
    trail = 0
    while trail < len(lines) - lead and not lines[len(lines) - 1 - trail].strip():
        trail += 1
    return lines[lead : len(lines) - trail], lead, trail


def _find_lines(text: str, old: str, new: str, starts: list[int]) -> list[Span]:
    file_lines = split_lines(text)
    bodies = [line.rstrip("\r\n") for line in file_lines]
    core, lead, trail = _trim_blank(block_lines(old))
    if not core:
        return []
    want = [normalize_line(x) for x in core]
    n = len(want)
    norm = [normalize_line(b) for b in bodies]
    new_lines = block_lines(new)
    new_lead = 0
    while new_lead < min(lead, len(new_lines)) and not new_lines[new_lead].strip():
        new_lead += 1
    new_lines = new_lines[new_lead:]
    new_trail = 0
    while new_trail < min(trail, len(new_lines)) and not new_lines[len(new_lines) - 1 - new_trail].strip():
        new_trail += 1
    new_lines = new_lines[: len(new_lines) - new_trail]
    spans: list[Span] = []
    i = 0
    while i + n <= len(norm):
        if norm[i] == want[0] and norm[i : i + n] == want:
            region = file_lines[i : i + n]
            eol = _eol(region, text)
            body = _reindent(new_lines, core, bodies[i : i + n], text)
            last_ending = region[-1][len(bodies[i + n - 1]) :]
            replacement = eol.join(body) + last_ending if body else ""
            spans.append(Span(starts[i], starts[i + n], i + 1, i + n, replacement))
            i += n
        else:
            i += 1
    return spans


def _eol(region: list[str], text: str) -> str:
    for line in [*region, *split_lines(text)]:
        stripped = line.rstrip("\r\n")
        if stripped != line:
            return line[len(stripped) :]
    return "\n"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(indent: str) -> int:
    return len(indent.expandtabs(TAB_WIDTH))


def _reindent(new_lines: list[str], old_core: list[str], file_core: list[str], text: str) -> list[str]:
    """Move `new_lines` from the indentation the model used in old to the one the file has there."""
    pairs = [(_indent(o), _indent(f)) for o, f in zip(old_core, file_core, strict=True) if o.strip()]
    mapping: dict[str, str] = {}
    for o, f in pairs:
        mapping.setdefault(o, f)
    base_old, base_file = min(pairs, key=lambda p: _width(p[0]))
    bw_old, bw_file = _width(base_old), _width(base_file)
    scale = 1.0
    for o, f in pairs:
        if _width(o) != bw_old and (_width(f) - bw_file) * (_width(o) - bw_old) > 0:
            scale = (_width(f) - bw_file) / (_width(o) - bw_old)
            break
    tabs = "\t" in base_file or (not base_file.strip("\t") and _uses_tabs(text))
    out = []
    for line in new_lines:
        if not line.strip():
            out.append("")
            continue
        ind = _indent(line)
        if ind in mapping:
            out.append(mapping[ind] + line[len(ind) :])
            continue
        width = max(0, round(bw_file + (_width(ind) - bw_old) * scale))
        prefix = "\t" * (width // TAB_WIDTH) + " " * (width % TAB_WIDTH) if tabs else " " * width
        out.append(prefix + line[len(ind) :])
    return out


def _uses_tabs(text: str) -> bool:
    tab = sum(1 for line in split_lines(text) if line.startswith("\t"))
    space = sum(1 for line in split_lines(text) if line.startswith("  "))
    return tab > space


def closest_region(text: str, old: str, candidates: int = 12) -> Closest | None:
    """The window of the file (old's line count long) most similar to `old`, ignoring indentation."""
    bodies = [line.rstrip("\r\n") for line in split_lines(text)]
    core, _, _ = _trim_blank(block_lines(old))
    if not bodies or not core:
        return None
    n = min(len(core), len(bodies))
    target = "\n".join(x.strip() for x in core)
    stripped = [b.strip() + "\n" for b in bodies]
    want = Counter(target)
    have: Counter[str] = Counter()
    inter = 0
    length = 0

    def add(s: str, sign: int) -> None:
        nonlocal inter, length
        for c in s:
            if sign > 0:
                if have[c] < want[c]:
                    inter += 1
                have[c] += 1
            else:
                have[c] -= 1
                if have[c] < want[c]:
                    inter -= 1
        length += sign * len(s)

    scores: list[tuple[float, int]] = []
    for i, s in enumerate(stripped):
        add(s, 1)
        if i >= n:
            add(stripped[i - n], -1)
        if i >= n - 1:
            scores.append((2.0 * inter / (length + len(target) or 1), i - n + 1))
    scores.sort(key=lambda p: (-p[0], p[1]))
    similar = SimilarTo(target)
    best: tuple[float, int] = (-1.0, 0)
    for _, i in scores[:candidates]:
        ratio = similar("\n".join(x.strip() for x in bodies[i : i + n]))
        if ratio > best[0] or (ratio == best[0] and i < best[1]):
            best = (ratio, i)
    ratio, i = best
    return Closest(i + 1, i + n, ratio, bodies[i : i + n])
