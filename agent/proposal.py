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

from skiff.agent.textdiff import line_offset, opcodes, split_lines, unified_diff
from skiff.agent.workspace import Overlay

CONTEXT_LINES = 3


class ProposalConflict(Exception):
    """A hunk no longer applies to the current text of its document."""


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

        Each hunk is located again by its old lines and surrounding context; the occurrence nearest to its
        old position wins. Raises ProposalConflict naming the first hunk that no longer applies.
        """
        if current == self.base_text:
            return self
        if self.base_text is None:
            raise ProposalConflict(f"{self.path} was created since the proposal was made")
        lines = split_lines(current)
        new_hunks: list[Hunk] = []
        shift = 0
        for hunk in self.hunks:
            start = _locate(lines, hunk, hunk.base_start + shift)
            if start is None:
                raise ProposalConflict(
                    f"hunk {hunk.id} of {self.path} no longer applies: the text it changes was edited"
                )
            shift = start - hunk.base_start
            new_hunks.append(_hunk(hunk.id, lines, start, start + len(hunk.old_lines), hunk.new_lines))
        for a, b in itertools.pairwise(new_hunks):
            if a.base_start + len(a.old_lines) > b.base_start:
                raise ProposalConflict(f"hunks {a.id} and {b.id} of {self.path} overlap after the edit")
        rebased = FileChange(self.path, self.abs_path, current, None, new_hunks)
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


def _locate(lines: list[str], hunk: Hunk, expected: int) -> int | None:
    """Start line of hunk.old_lines in `lines`, with its context when that still matches, nearest first."""
    n = len(hunk.old_lines)
    for before, after in ((hunk.before, hunk.after), (hunk.before[-1:], hunk.after[:1]), ([], [])):
        if not n and not before and not after:
            return expected if 0 <= expected <= len(lines) else None
        found = [
            s
            for s in range(len(before), len(lines) - n - len(after) + 1)
            if lines[s : s + n] == hunk.old_lines
            and lines[s - len(before) : s] == before
            and lines[s + n : s + n + len(after)] == after
        ]
        if found:
            return min(found, key=lambda s: abs(s - expected))
    return None


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (any order) to text."""
    out = text
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: e.start] + e.new_text + out[e.end :]
    return out


def validate_diff(diff: str) -> unidiff.PatchSet:
    """Parse a unified diff with unidiff; raises unidiff.UnidiffParseError when it is malformed."""
    return unidiff.PatchSet(diff)
