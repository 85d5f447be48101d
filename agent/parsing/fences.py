"""The one home of fence syntax (```` ``` ```` or `~~~`, three or more) in model text, and the fence scanner.

`fenced_blocks` is the scanner: line-anchored fences, closed by a fence line of the same character at least
as long. The other readers of fences take their patterns from here, each built on `FENCE_MARK`:
`wrapping_fence` (a whole value inside one fence, for the lenient JSON parser), `INLINE_FENCE_OPEN` (the
tool-call scanner's opener, which may start mid-line and closes at the same mark), `is_lang_opener` (a
line that opens a block with a language tag) and `without_fenced` (prose with its ```` ``` ```` blocks
removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skiff.agent.textdiff import split_lines

FENCE_MARK = r"`{3,}|~{3,}"
FENCE_LINE = re.compile(rf"^(?P<indent>[ \t]*)(?P<ticks>{FENCE_MARK})[ \t]*(?P<info>[^\n`]*)$", re.M)
WRAPPING_FENCE = re.compile(rf"^\s*({FENCE_MARK})[\w+.\-]*[ \t]*\n?(.*?)\n?[ \t]*\1\s*$", re.S)
INLINE_FENCE_OPEN = re.compile(rf"({FENCE_MARK})[ \t]*([\w+.\-]*)[^\n`{{\[]*")
_LANG_OPENER = re.compile(rf"^\s*({FENCE_MARK})[\w+.#-]+\s*$")
_BACKTICK_BLOCK = re.compile(r"```.*?(```|$)", re.S)


@dataclass
class Fence:
    """A fenced block of the reply. `closed` is False when the reply ended inside the block."""

    lang: str
    info: str
    code: str
    closed: bool
    start: int  # offset of the opening fence in the reply
    end: int  # offset just past the closing fence (or the end of the reply)
    before: str = ""  # the prose line just above the fence (may name a file)


def fenced_blocks(text: str) -> list[Fence]:
    """Every fenced block, in order; an unclosed last block runs to the end of the reply."""
    blocks: list[Fence] = []
    pos = 0
    while True:
        m = FENCE_LINE.search(text, pos)
        if m is None:
            return blocks
        ticks = m.group("ticks")
        info = m.group("info").strip()
        body_start = m.end() + 1
        close = re.compile(rf"^[ \t]*{re.escape(ticks[0])}{{{len(ticks)},}}[ \t]*$", re.M)
        c = close.search(text, body_start) if body_start <= len(text) else None
        body_end = c.start() if c else len(text)
        code = text[body_start:body_end] if body_start <= len(text) else ""
        indent = m.group("indent")
        if indent:
            code = "".join(x[len(indent) :] if x.startswith(indent) else x for x in split_lines(code))
        lang = info.split()[0].lower() if info else ""
        line_start = text.rfind("\n", 0, m.start() - 1) + 1 if m.start() > 0 else 0
        before = text[line_start : m.start()].strip() if m.start() > 0 else ""
        blocks.append(Fence(lang, info, code, c is not None, m.start(), c.end() if c else len(text), before))
        pos = c.end() if c else len(text)
        if c is None:
            return blocks


def wrapping_fence(text: str) -> str | None:
    """The body when the whole text is one fenced block (an optional language tag after the mark)."""
    m = WRAPPING_FENCE.match(text)
    return m.group(2) if m else None


def is_lang_opener(line: str) -> bool:
    """Whether the line opens a fenced block with a language tag (```` ```python ````), nothing else."""
    return _LANG_OPENER.match(line) is not None


def without_fenced(text: str) -> str:
    """The text with its ```` ``` ```` blocks removed (an unclosed one runs to the end)."""
    return _BACKTICK_BLOCK.sub("", text)
