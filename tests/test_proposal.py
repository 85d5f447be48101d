"""Proposals: hunks, subsets, diffs that unidiff accepts, rebase onto moved text, conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.agent.proposal import Proposal, ProposalConflict, make_change, validate_diff
from skiff.agent.textdiff import split_lines
from skiff.agent.workspace import Overlay, Workspace

BASE = "a\nb\nc\nd\ne\nf\ng\nh\n"
NEW = "a\nB\nc\nd\ne\nf\ng\nH\ni\n"


def test_hunks_and_subsets() -> None:
    change = make_change("f.txt", Path("/f.txt"), BASE, NEW)
    assert [h.id for h in change.hunks] == ["h1", "h2"]
    assert change.apply() == NEW
    assert change.apply({"h1"}) == "a\nB\nc\nd\ne\nf\ng\nh\n"
    assert change.apply({"h2"}) == "a\nb\nc\nd\ne\nf\ng\nH\ni\n"
    assert change.apply(set()) == BASE


def test_diff_is_valid_and_round_trips_counts() -> None:
    change = make_change("f.txt", Path("/f.txt"), BASE, NEW)
    patch = validate_diff(change.diff())
    assert patch[0].added == 3 and patch[0].removed == 2


def test_missing_final_newline_is_marked() -> None:
    change = make_change("f.txt", Path("/f.txt"), "x\ny", "x\nz")
    assert "\\ No newline at end of file" in change.diff()
    validate_diff(change.diff())
    assert change.apply() == "x\nz"


def test_rebase_onto_shifted_text() -> None:
    change = make_change("f.txt", Path("/f.txt"), BASE, NEW)
    moved = "header\nheader2\n" + BASE
    rebased = change.rebase(moved)
    assert rebased.new_text == "header\nheader2\n" + NEW
    assert rebased.base_text == moved


def test_rebase_conflict_names_the_hunk() -> None:
    change = make_change("f.txt", Path("/f.txt"), BASE, NEW)
    edited = BASE.replace("b\n", "bee\n")
    with pytest.raises(ProposalConflict, match="h1"):
        change.rebase(edited)


def test_crlf_lines_are_kept() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    change = make_change("w.txt", Path("/w.txt"), "a\r\nb\r\n", "a\r\nB\r\n")
    assert change.apply() == "a\r\nB\r\n"


def test_from_overlay_numbers_hunks_across_files(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text(BASE)
    (tmp_path / "two.txt").write_text("x\n")
    ws = Workspace(tmp_path)
    overlay = Overlay(ws)
    overlay.write(ws.resolve("one.txt"), NEW)
    overlay.write(ws.resolve("two.txt"), None)
    overlay.write(ws.resolve("three.txt"), "new\n")
    proposal = Proposal.from_overlay(overlay, summary="s")
    assert [c.path for c in proposal.changes] == ["one.txt", "three.txt", "two.txt"]
    assert [c.kind for c in proposal.changes] == ["modify", "create", "delete"]
    assert proposal.hunk_ids() == ["h1", "h2", "h3", "h4"]
    validate_diff(proposal.unified_diff())
    assert proposal.to_dict()["files"][2]["diff"].startswith("--- a/two.txt\n+++ /dev/null\n")
