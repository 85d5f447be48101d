"""An edit stated in prose: "the line `A` should be `B`", "change `A` to `B`", "replace `A` with `B`".

Small models asked to explain a fix sometimes answer with the corrected line in inline code and no code
block. Such an answer names the change exactly; this module finds it. A change is taken only when it is
unambiguous: `A` occurs once in the file, `B` differs from `A` and shares a name with it, and the words
between them say "becomes". Anything less returns no change, and the caller asks again as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPAN = re.compile(r"(?<!`)`([^`\n]{3,200})`(?!`)")
# What may stand between the old code and the new: "`A` should be `B`", "`A` -> `B`" ...
_BECOMES = re.compile(
    r"\bshould\s+(?:be|read|become|say)\b|\bmust\s+be\b|\b(?:chang|replac|updat|modif|correct|rewrit)\w*"
    r"\b.*\b(?:to|with|by|into)\b|->|→",
    re.I | re.S,
)
# ... or a verb before the old code and a preposition between: "change `A` to `B`", "replace `A` with `B`".
_VERB = re.compile(r"\b(?:chang|replac|updat|modif|correct|rewrit|turn)\w*\b[^.!?\n]*$", re.I)
_PREPOSITION = re.compile(r"\s*(?:to|with|by|into)\s*:?\s*", re.I)
_GAP = 240  # most characters of prose between the old code and the new
_NAME = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class ProseChange:
    old: str
    new: str


def prose_change(reply: str, base: str) -> ProseChange | None:
    """The one change `reply` states in prose for a file whose text is `base`, or None."""
    spans = [(m.start(), m.end(), m.group(1).strip()) for m in _SPAN.finditer(reply)]
    found: list[ProseChange] = []
    for j, (start, end, new) in enumerate(spans):
        for i in range(j - 1, -1, -1):
            a_start, a_end, old = spans[i]
            between = reply[a_end:start]
            if len(between) > _GAP or "\n\n" in between:
                break
            before = reply[max(0, a_start - 80) : a_start]
            verb_first = _PREPOSITION.fullmatch(between) and _VERB.search(before)
            if not (verb_first or _BECOMES.search(between)) or "instead of" in between.lower():
                continue
            change = _checked(old, new, base)
            if change is not None:
                found.append(change)
                break
        # "`B` instead of `A`": the new code comes first.
        if j + 1 < len(spans):
            b_start, _b_end, old = spans[j + 1]
            between = reply[end:b_start]
            if len(between) <= _GAP and re.fullmatch(r"\s*instead\s+of\s*", between, re.I):
                change = _checked(old, new, base)
                if change is not None:
                    found.append(change)
    distinct = {(c.old, c.new) for c in found}
    return found[0] if len(distinct) == 1 else None


def _checked(old: str, new: str, base: str) -> ProseChange | None:
    if old == new or base.count(old) != 1:
        return None
    if not set(_NAME.findall(old)) & set(_NAME.findall(new)):
        return None
    if not re.search(r"[^\w\s]", old):  # a bare word or phrase is a name, not a line of code
        return None
    return ProseChange(old, new)


def apply_prose_change(base: str, change: ProseChange) -> str:
    return base.replace(change.old, change.new, 1)
