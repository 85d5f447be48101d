"""The one rule for reasoning in reply text: `<think>`, `<thinking>` or `<reasoning>` tags, in any case.

Both readers of reply text use it: the streaming assembler (`skiff.agent.reply`) moves a tagged span to
the reasoning as it arrives, even when a tag is split across deltas, and the tool-call parser
(`skiff.agent.parsing.toolcalls`) skips such spans, and everything before a closing tag that has no
opening one before it (the opening tag was in the prompt template).
"""

from __future__ import annotations

import re

TAG_NAMES = ("think", "thinking", "reasoning")
_NAMES = "|".join(TAG_NAMES)
THINK_SPAN = re.compile(rf"<({_NAMES})>.*?</\1>", re.S | re.I)
THINK_OPEN = re.compile(rf"<({_NAMES})>", re.I)
THINK_CLOSE = re.compile(rf"</({_NAMES})>", re.I)
_CLOSE_OF = {name: re.compile(rf"</{name}>", re.I) for name in TAG_NAMES}
_OPEN_TAGS = tuple(f"<{name}>" for name in TAG_NAMES)


def reasoning_spans(text: str) -> list[tuple[int, int]]:
    """The spans of `text` that are reasoning: tagged spans, and all up to a closing tag with no opening one
    before it."""
    spans = [m.span() for m in THINK_SPAN.finditer(text)]
    lone = THINK_CLOSE.search(text)
    if lone and not THINK_OPEN.search(text, 0, lone.start()):
        spans.append((0, lone.end()))
    return spans


def next_tag(text: str, open_name: str | None) -> re.Match[str] | None:
    """Outside reasoning (`open_name` None) the first opening tag; inside, the tag closing `open_name`.
    An opening match's group 1 is the tag's name."""
    return THINK_OPEN.search(text) if open_name is None else _CLOSE_OF[open_name].search(text)


def partial_tag(text: str, open_name: str | None) -> int:
    """Length of the longest suffix of `text` that may begin the tag `next_tag` looks for (a tag split
    across streamed deltas): hold it back until the next piece arrives."""
    tags = _OPEN_TAGS if open_name is None else (f"</{open_name}>",)
    tail = text[-max(map(len, tags)) :].lower()
    best = 0
    for tag in tags:
        for k in range(min(len(tag) - 1, len(tail)), best, -1):
            if tail.endswith(tag[:k]):
                best = k
                break
    return best
