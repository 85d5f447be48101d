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


SRC = "def mean(xs):\n    return sum(xs) / len(xs)\n"
DOC = 'def mean(xs):\n    """Return the mean."""\n    return sum(xs) / len(xs)\n'


def test_a_pure_insertion_follows_its_context_past_a_new_import() -> None:
    change = make_change("s.py", Path("/s.py"), SRC, DOC)
    rebased = change.rebase("import math\n" + SRC)
    assert rebased.new_text == "import math\n" + DOC


def test_a_pure_insertion_whose_context_changed_is_a_conflict_not_its_old_line() -> None:
    """The reported bug: the docstring landed after the new import line (IndentationError)."""
    change = make_change("s.py", Path("/s.py"), SRC, DOC)
    edited = "import math\ndef mean(values):\n    return sum(values) / len(values)\n"
    with pytest.raises(ProposalConflict) as refused:
        change.rebase(edited)
    (conflict,) = refused.value.conflicts
    assert (conflict.path, conflict.hunk) == ("s.py", "h1")
    assert "edited" in conflict.reason
    assert conflict.to_dict() == {"path": "s.py", "hunk": "h1", "reason": conflict.reason}


def test_every_conflicting_hunk_is_named() -> None:
    change = make_change("f.txt", Path("/f.txt"), BASE, NEW)
    with pytest.raises(ProposalConflict) as refused:
        change.rebase(BASE.replace("b\n", "bee\n").replace("h\n", "hay\n"))
    assert [c.hunk for c in refused.value.conflicts] == ["h1", "h2"]


def test_an_ambiguous_context_is_a_conflict() -> None:
    change = make_change("f.txt", Path("/f.txt"), "c\na\nc\n", "c\nY\nc\n")
    with pytest.raises(ProposalConflict, match="ambiguous"):
        change.rebase("c\nc\na\nc\na\nc\n")  # which "c a c" did the user review? both fit


def test_a_hunk_at_the_file_start_stays_at_the_start() -> None:
    change = make_change("f.txt", Path("/f.txt"), "a\nb\n", "top\na\nb\n")
    with pytest.raises(ProposalConflict, match="h1"):
        change.rebase("import os\na\nb\n")
    assert change.rebase("a\nb\nc\n").new_text == "top\na\nb\nc\n"


def test_proposals_round_trip_through_the_store_form(tmp_path: Path) -> None:
    from skiff.agent.proposal import proposal_from_store, proposal_to_store

    (tmp_path / "one.txt").write_text(BASE)
    ws = Workspace(tmp_path)
    overlay = Overlay(ws)
    overlay.write(ws.resolve("one.txt"), NEW)
    overlay.write(ws.resolve("new.txt"), "n\n")
    proposal = Proposal.from_overlay(overlay, summary="s")
    again = proposal_from_store(proposal_to_store(proposal), tmp_path)
    assert again.to_dict() == proposal.to_dict()
    assert [c.abs_path for c in again.changes] == [c.abs_path for c in proposal.changes]
    bad = proposal_to_store(proposal)
    bad["changes"][0]["path"] = "../outside.txt"
    with pytest.raises(ValueError, match="leaves the workspace"):
        proposal_from_store(bad, tmp_path)
