"""Line-level text utilities shared by proposals and edits: splitting, hunks, unified diffs, offsets."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, splitting only on \\n, \\r\\n and \\r (the LSP definition of a line)."""
    return _LINE.findall(text)


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """The changed blocks between two line lists (difflib opcodes without the 'equal' ones)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [op for op in matcher.get_opcodes() if op[0] != "equal"]


def line_offset(lines: Sequence[str], line: int) -> int:
    """Character offset of the start of `line` (0-based) in the text made of `lines`."""
    return sum(len(x) for x in lines[:line])


def unified_diff(old: str | None, new: str | None, path: str, context: int = 3) -> str:
    """A git-style unified diff of one file; None stands for a missing file (creation or deletion)."""
    a = split_lines(old or "")
    b = split_lines(new or "")
    if a == b:
        return ""
    fromfile = "/dev/null" if old is None else f"a/{path}"
    tofile = "/dev/null" if new is None else f"b/{path}"
    out = [f"--- {fromfile}\n", f"+++ {tofile}\n"]
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(_mark(" ", a[a1:a2]))
                continue
            out.extend(_mark("-", a[a1:a2]))
            out.extend(_mark("+", b[b1:b2]))
    return "".join(out)


def _range(start: int, length: int) -> str:
    first = start + 1 if length else start
    return f"{first}" if length == 1 else f"{first},{length}"


def _mark(prefix: str, lines: Sequence[str]) -> list[str]:
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        out.append(f"{prefix}{body}\n")
        if body == line:
            out.append("\\ No newline at end of file\n")
    return out
