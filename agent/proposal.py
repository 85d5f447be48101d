"""Proposals: a turn's edits as per-file changes with hunk ids, text edits and unified diffs.

A proposal is pure data computed from the turn's overlay. Applying a subset of hunks, rebasing onto a
document that changed since, and inverting an applied change are all text operations here, so the language
server and the CLI share them.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import unidiff

from skiff.agent.textdiff import all_opcodes, line_offset, opcodes, split_lines, unified_diff
from skiff.agent.workspace import Overlay

CONTEXT_LINES = 3


@dataclass(frozen=True)
class HunkConflict:
    """Why one hunk (or a whole created/deleted file, named by its hunk) cannot be applied."""

    path: str
    hunk: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "hunk": self.hunk, "reason": self.reason}


class ProposalConflict(Exception):
    """Hunks no longer apply to the current text of their document; `conflicts` names each one."""

    def __init__(self, message: str, conflicts: list[HunkConflict] | None = None) -> None:
        super().__init__(message)
        self.conflicts = conflicts or []

    @classmethod
    def of(cls, conflicts: list[HunkConflict]) -> ProposalConflict:
        text = "; ".join(f"hunk {c.hunk} of {c.path}: {c.reason}" for c in conflicts)
        return cls(text, conflicts)


@dataclass
class TextEdit:
    """Replace base[start:end] (character offsets into the base text) with `new_text`."""

    start: int
    end: int
    new_text: str


@dataclass
class Hunk:
    """One contiguous change: the base lines [base_start, base_start + len(old_lines)) become `new_lines`.
    `before` and `after` are surrounding base lines, used to find the hunk again after the text moved."""

    id: str
    base_start: int
    old_lines: list[str]
    new_lines: list[str]
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    def text_edit(self, base_lines: list[str]) -> TextEdit:
        start = line_offset(base_lines, self.base_start)
        end = start + sum(len(x) for x in self.old_lines)
        return TextEdit(start, end, "".join(self.new_lines))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "baseStartLine": self.base_start,
            "oldLines": [x.rstrip("\r\n") for x in self.old_lines],
            "newLines": [x.rstrip("\r\n") for x in self.new_lines],
        }


ChangeKind = Literal["modify", "create", "delete"]


@dataclass
class FileChange:
    path: str  # workspace-relative, POSIX
    abs_path: Path
    base_text: str | None  # None: the turn creates this file
    new_text: str | None  # None: the turn deletes this file
    hunks: list[Hunk]

    @property
    def kind(self) -> ChangeKind:
        if self.base_text is None:
            return "create"
        if self.new_text is None:
            return "delete"
        return "modify"

    def diff(self) -> str:
        return unified_diff(self.base_text, self.new_text, self.path)

    def text_edits(self, hunk_ids: set[str] | None = None) -> list[TextEdit]:
        base_lines = split_lines(self.base_text or "")
        return [h.text_edit(base_lines) for h in self.hunks if hunk_ids is None or h.id in hunk_ids]

    def apply(self, hunk_ids: set[str] | None = None) -> str:
        """The base text with the chosen hunks (all when None) applied."""
        return apply_edits(self.base_text or "", self.text_edits(hunk_ids))

    def rebase(self, current: str) -> FileChange:
        """The same change re-anchored on `current`, the document's text now.

        A hunk moves only where its context proves it belongs: its old lines with the context lines the
        user reviewed around them (up to CONTEXT_LINES each side; a hunk at the start or end of the file
        stays there). The line diff from the base to `current` says where that region went when the user
        left it untouched; otherwise the region must occur exactly once in `current`. Anything else is a
        conflict: ProposalConflict lists every hunk that cannot be placed and why. Never a bare line
        number: a pure insertion whose context changed is a conflict, not an insertion at its old line.
        """
        if current == self.base_text:
            return self
        if self.base_text is None:
            raise ProposalConflict.of(
                [HunkConflict(self.path, h.id, "the file was created since") for h in self.hunks[:1]]
            )
        base_lines = split_lines(self.base_text)
        lines = split_lines(current)
        ops = [op for op in all_opcodes(base_lines, lines) if op[0] == "equal"]
        placed: list[Hunk] = []
        conflicts: list[HunkConflict] = []
        for hunk in self.hunks:
            start, reason = _locate(lines, hunk, ops)
            if start is None:
                conflicts.append(HunkConflict(self.path, hunk.id, reason))
            else:
                placed.append(_hunk(hunk.id, lines, start, start + len(hunk.old_lines), hunk.new_lines))
        placed.sort(key=lambda h: h.base_start)
        for a, b in itertools.pairwise(placed):
            if a.base_start + len(a.old_lines) > b.base_start or a.base_start == b.base_start:
                conflicts.append(HunkConflict(self.path, b.id, f"it overlaps hunk {a.id} after your edits"))
        if conflicts:
            raise ProposalConflict.of(conflicts)
        rebased = FileChange(self.path, self.abs_path, current, None, placed)
        rebased.new_text = rebased.apply() if self.new_text is not None else None
        return rebased

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "hunks": [h.to_dict() for h in self.hunks],
            "diff": self.diff(),
        }


@dataclass
class Proposal:
    id: str
    changes: list[FileChange]
    summary: str = ""
    verification: dict[str, Any] | None = None  # checks run on the proposal (agent/verify.py), if any

    @classmethod
    def from_overlay(cls, overlay: Overlay, summary: str = "", proposal_id: str | None = None) -> Proposal:
        changes = []
        counter = 0
        for path in overlay.changed_paths():
            base, new = overlay.base.get(path), overlay.current[path]
            change = make_change(overlay.workspace.relative(path), path, base, new, start_id=counter + 1)
            counter += len(change.hunks)
            changes.append(change)
        return cls(proposal_id or uuid.uuid4().hex[:12], changes, summary)

    @property
    def empty(self) -> bool:
        return not self.changes

    def hunk_ids(self) -> list[str]:
        return [h.id for c in self.changes for h in c.hunks]

    def unified_diff(self) -> str:
        return "".join(c.diff() for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "summary": self.summary,
            "files": [c.to_dict() for c in self.changes],
        }
        if self.verification is not None:
            out["verification"] = self.verification
        return out


def proposal_to_store(proposal: Proposal) -> dict[str, Any]:
    """Everything needed to rebuild the proposal (base and new texts, hunks with their context)."""
    return {
        "id": proposal.id,
        "summary": proposal.summary,
        "verification": proposal.verification,
        "changes": [
            {
                "path": c.path,
                "baseText": c.base_text,
                "newText": c.new_text,
                "hunks": [
                    {
                        "id": h.id,
                        "baseStart": h.base_start,
                        "oldLines": h.old_lines,
                        "newLines": h.new_lines,
                        "before": h.before,
                        "after": h.after,
                    }
                    for h in c.hunks
                ],
            }
            for c in proposal.changes
        ],
    }


def proposal_from_store(data: dict[str, Any], root: Path) -> Proposal:
    """The inverse of proposal_to_store; paths are re-rooted on `root`. Raises KeyError, TypeError or
    ValueError on a malformed record (the caller skips it)."""
    changes = []
    for c in data["changes"]:
        path = str(c["path"])
        abs_path = (root / path).resolve()
        if not abs_path.is_relative_to(root.resolve()):
            raise ValueError(f"stored path {path!r} leaves the workspace")
        hunks = [
            Hunk(
                str(h["id"]),
                int(h["baseStart"]),
                [str(x) for x in h["oldLines"]],
                [str(x) for x in h["newLines"]],
                [str(x) for x in h.get("before", [])],
                [str(x) for x in h.get("after", [])],
            )
            for h in c["hunks"]
        ]
        base, new = c.get("baseText"), c.get("newText")
        if not all(x is None or isinstance(x, str) for x in (base, new)):
            raise TypeError("stored texts must be strings or null")
        changes.append(FileChange(path, abs_path, base, new, hunks))
    return Proposal(str(data["id"]), changes, str(data.get("summary", "")), data.get("verification"))


def make_change(
    path: str, abs_path: Path, base: str | None, new: str | None, start_id: int = 1
) -> FileChange:
    """A FileChange with one hunk per changed block; hunk ids are `h<N>` numbered from start_id."""
    a, b = split_lines(base or ""), split_lines(new or "")
    hunks = []
    if base is None or new is None:  # creation and deletion are one hunk each
        hunks.append(_hunk(f"h{start_id}", a, 0, len(a), b))
    else:
        for n, (_tag, i1, i2, j1, j2) in enumerate(opcodes(a, b)):
            hunks.append(_hunk(f"h{start_id + n}", a, i1, i2, b[j1:j2]))
    return FileChange(path, abs_path, base, new, hunks)


def _hunk(hunk_id: str, base_lines: list[str], i1: int, i2: int, new_lines: list[str]) -> Hunk:
    return Hunk(
        hunk_id,
        i1,
        base_lines[i1:i2],
        list(new_lines),
        base_lines[max(0, i1 - CONTEXT_LINES) : i1],
        base_lines[i2 : i2 + CONTEXT_LINES],
    )


def _locate(
    lines: list[str], hunk: Hunk, equal_ops: list[tuple[str, int, int, int, int]]
) -> tuple[int | None, str]:
    """Where hunk.old_lines start in `lines`, proven by the hunk's reviewed context; (None, why) if not.

    `equal_ops` are the unchanged blocks of the line diff base -> lines. The region is the old lines
    with their context; `before == []` anchors the hunk to the file start, `after == []` to its end.
    """
    n = len(hunk.old_lines)
    before, after = hunk.before, hunk.after
    lo, hi = hunk.base_start - len(before), hunk.base_start + n + len(after)
    if lo == hi:  # an empty base: nothing the user reviewed is left to anchor the change to
        return None, "the file was empty when the proposal was made and was edited since"

    def anchored(s: int) -> bool:
        return (bool(before) or s == 0) and (bool(after) or s + n == len(lines))

    for _tag, i1, i2, j1, _j2 in equal_ops:  # the region is untouched: follow it
        if i1 <= lo and hi <= i2:
            start = hunk.base_start + j1 - i1
            if anchored(start):
                return start, ""
            break
    pattern = [*before, *hunk.old_lines, *after]
    found = [
        s
        for s in range(len(before), len(lines) - n - len(after) + 1)
        if lines[s - len(before) : s - len(before) + len(pattern)] == pattern and anchored(s)
    ]
    if len(found) == 1:
        return found[0], ""
    what = "the lines it changes" if n else "the lines around the insertion"
    if not found:
        return None, f"{what} or the context you reviewed around them were edited"
    return None, f"its context now occurs {len(found)} times; the place you reviewed is ambiguous"


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (any order) to text."""
    out = text
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: e.start] + e.new_text + out[e.end :]
    return out


def validate_diff(diff: str) -> unidiff.PatchSet:
    """Parse a unified diff with unidiff; raises unidiff.UnidiffParseError when it is malformed."""
    return unidiff.PatchSet(diff)
