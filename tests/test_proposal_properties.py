"""Property tests (hypothesis) for proposal integrity: random documents, proposals and concurrent user edits.

The oracle tracks where every base line went under the user's edits. After any edits, an accept either
gives exactly "the user's text with the accepted hunks at their reviewed places" (the old lines with the
context lines the user reviewed around them) or is refused with the hunks named; never text in a place
the user did not review. The server-level machine adds reject and undo through the real ProposalStore.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from buffers import change_doc, make_buffers, open_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

from skiff.agent.proposal import FileChange, Hunk, ProposalConflict, make_change
from skiff.agent.textdiff import split_lines
from skiff.server.documents import Buffers, offset_at, path_to_uri
from skiff.server.features.proposals.store import EditCapabilities, ProposalStore, ResolveError

PATH = Path("/ws/m.py")
# Few distinct lines, so contexts repeat and the ambiguous cases come up often.
LINES = ["a\n", "b\n", "c\n", "def f():\n", "    return 1\n", "\n", "import os\n"]
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

line = st.sampled_from(LINES)
docs = st.lists(line, min_size=0, max_size=12)


@st.composite
def edits(draw: st.DrawFn, doc: list[str], max_ops: int) -> list[tuple[int, int, list[str]]]:
    """Up to max_ops line edits (start, end, new lines) applied one after another."""
    ops = []
    size = len(doc)
    for _ in range(draw(st.integers(0, max_ops))):
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, min(size, start + 2)))
        new = draw(st.lists(line, max_size=2))
        ops.append((start, end, new))
        size += len(new) - (end - start)
    return ops


def apply_ops(
    doc: list[str], origin: list[int | None], ops: list[tuple[int, int, list[str]]]
) -> tuple[list[str], list[int | None]]:
    """The edited lines and, for each, the base line it came from (None: typed by the user)."""
    doc, origin = list(doc), list(origin)
    for start, end, new in ops:
        doc[start:end] = new
        origin[start:end] = [None] * len(new)
    return doc, origin


def tracked_start(hunk: Hunk, origin: list[int | None]) -> int | None:
    """Where the hunk's reviewed region (context + old lines) sits in the user's text, if it is intact
    (every line still the base line it was, in order, and a file-edge hunk still at the edge)."""
    lo = hunk.base_start - len(hunk.before)
    hi = hunk.base_start + len(hunk.old_lines) + len(hunk.after)
    if lo == hi:
        return None
    for p in range(len(origin) - (hi - lo) + 1):
        if origin[p : p + hi - lo] == list(range(lo, hi)):
            if not hunk.before and p != 0:
                return None
            if not hunk.after and p + hi - lo != len(origin):
                return None
            return p + len(hunk.before)
    return None


def matches(hunk: Hunk, lines: list[str]) -> list[int]:
    """Every start where the hunk's old lines with their reviewed context (and file edges) match."""
    pattern = [*hunk.before, *hunk.old_lines, *hunk.after]
    n = len(hunk.old_lines)
    out = []
    for s in range(len(hunk.before), len(lines) - n - len(hunk.after) + 1):
        if lines[s - len(hunk.before) : s - len(hunk.before) + len(pattern)] != pattern:
            continue
        if not hunk.before and s != 0:
            continue
        if not hunk.after and s + n != len(lines):
            continue
        out.append(s)
    return out


def place(lines: list[str], placements: list[tuple[int, Hunk]]) -> str:
    out = list(lines)
    for start, hunk in sorted(placements, key=lambda x: x[0], reverse=True):
        out[start : start + len(hunk.old_lines)] = hunk.new_lines
    return "".join(out)


@dataclass
class Case:
    base: list[str]
    new: list[str]
    user: list[str]
    origin: list[int | None]
    accepted: list[Hunk]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    base = draw(docs)
    new, _ = apply_ops(base, list(range(len(base))), draw(edits(base, 3)))
    user, origin = apply_ops(base, list(range(len(base))), draw(edits(base, 3)))
    change = make_change("m.py", PATH, "".join(base), "".join(new))
    chosen = draw(st.lists(st.booleans(), min_size=len(change.hunks), max_size=len(change.hunks)))
    accepted = [h for h, keep in zip(change.hunks, chosen, strict=True) if keep] or change.hunks
    return Case(base, new, user, origin, accepted)


@SETTINGS
@given(cases())
def test_an_accept_lands_at_the_reviewed_places_or_is_refused(case: Case) -> None:
    base_text, user_text = "".join(case.base), "".join(case.user)
    part = FileChange("m.py", PATH, base_text, None, case.accepted)
    part.new_text = part.apply()
    tracked = {h.id: tracked_start(h, case.origin) for h in case.accepted}
    unique = {h.id: len(matches(h, case.user)) == 1 for h in case.accepted}
    try:
        rebased = part.rebase(user_text)
    except ProposalConflict as exc:
        named = {c.hunk for c in exc.conflicts}
        assert named, "a refusal names the hunks"
        assert named <= {h.id for h in case.accepted}
        # a refusal is only allowed when some hunk's place is not proven: its region was touched, or
        # its context is ambiguous in the user's text
        assert not all(tracked[h.id] is not None and unique[h.id] for h in case.accepted), exc
        return
    if user_text == base_text:
        assert rebased.new_text == part.new_text
        return
    by_id = {h.id: h for h in case.accepted}
    placements = []
    for placed in rebased.hunks:
        hunk = by_id[placed.id]
        # never a place the user did not review: the old lines and their full context are there
        assert placed.base_start in matches(hunk, case.user), (placed.id, placed.base_start)
        if unique[hunk.id] and tracked[hunk.id] is not None:
            assert placed.base_start == tracked[hunk.id]
        placements.append((placed.base_start, hunk))
    assert sorted(h.id for h in rebased.hunks) == sorted(by_id)
    assert rebased.new_text == place(case.user, placements)
    if all(tracked[h.id] is not None and unique[h.id] for h in case.accepted):
        expected = place(case.user, [(tracked[h.id] or 0, h) for h in case.accepted])
        assert rebased.new_text == expected


@SETTINGS
@given(docs, st.data())
def test_a_pure_insertion_never_moves_to_a_bare_line_number(base: list[str], data: st.DataObject) -> None:
    """The reported bug: an insertion hunk whose context changed must not land at its old line."""
    at = data.draw(st.integers(0, len(base)))
    new = [*base[:at], '    """Docstring."""\n', *base[at:]]
    change = make_change("m.py", PATH, "".join(base), "".join(new))
    (hunk,) = change.hunks
    user, _ = apply_ops(base, list(range(len(base))), data.draw(edits(base, 3)))
    try:
        rebased = change.rebase("".join(user))
    except ProposalConflict as exc:
        assert [c.hunk for c in exc.conflicts] == [hunk.id]
        assert "edited" in exc.conflicts[0].reason or "ambiguous" in exc.conflicts[0].reason
        return
    if "".join(user) != "".join(base):
        (placed,) = rebased.hunks
        assert placed.base_start in matches(hunk, user)


# -- the server's ProposalStore: accept, reject, undo with user edits in between ----------------------


def apply_workspace_edit(store: Buffers, edit: lsp.WorkspaceEdit) -> None:
    """Apply a TextDocumentEdit-only WorkspaceEdit to the in-memory documents (what an editor does)."""
    for change in edit.document_changes or []:
        assert isinstance(change, lsp.TextDocumentEdit)
        doc = store.by_uri(change.text_document.uri)
        assert doc is not None
        assert change.text_document.version == doc.version, "the edit is pinned to the current version"
        text = doc.source
        spans = []
        for e in change.edits:
            s = offset_at(text, e.range.start.line, e.range.start.character, store.encoding)
            t = offset_at(text, e.range.end.line, e.range.end.character, store.encoding)
            spans.append((s, t, e.new_text))
        for s, t, new_text in sorted(spans, reverse=True):
            text = text[:s] + new_text + text[t:]
        change_doc(store, change.text_document.uri, (doc.version or 0) + 1, text)


actions = st.lists(
    st.one_of(
        st.tuples(st.just("user"), st.integers(0, 40), st.integers(0, 2), st.lists(line, max_size=2)),
        st.tuples(st.just("accept"), st.lists(st.booleans(), min_size=4, max_size=4)),
        st.tuples(st.just("reject")),
        st.tuples(st.just("undo")),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(docs, docs, actions)
def test_accept_reject_undo_with_user_edits_keep_the_buffer_exact(
    base: list[str], new: list[str], steps: list[tuple]
) -> None:
    asyncio.run(_run_machine(base, new, steps))


async def _run_machine(base: list[str], new: list[str], steps: list[tuple]) -> None:
    documents = make_buffers("utf-16")
    uri = path_to_uri(PATH)
    open_doc(documents, uri, "".join(base), 1)
    from skiff.agent.proposal import Proposal

    change = make_change("m.py", PATH, "".join(base), "".join(new))
    if not change.hunks:
        return
    proposals = ProposalStore(documents)
    record = proposals.add(Proposal("p1", [change]), "s1")
    origin: list[int | None] = list(range(len(base)))
    caps = EditCapabilities()

    async def editor(edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        apply_workspace_edit(documents, edit)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    def text() -> str:
        doc = documents.by_uri(uri)
        assert doc is not None
        return doc.source

    before_accept: str | None = None
    for step in steps:
        kind = step[0]
        if kind == "user":
            lines = split_lines(text())
            start = min(step[1], len(lines))
            end = min(len(lines), start + step[2])
            lines[start:end] = step[3]
            origin[start:end] = [None] * len(step[3])
            doc = documents.by_uri(uri)
            assert doc is not None
            change_doc(documents, uri, (doc.version or 0) + 1, "".join(lines))
        elif kind == "accept":
            ids = [h.id for h, keep in zip(change.hunks, step[1], strict=False) if keep] or "all"
            was, status = text(), record.status
            try:
                result = await proposals.resolve(record, ids, caps, editor)
            except ResolveError:
                assert status != "pending" and text() == was
                continue
            chosen = [h for h in change.hunks if ids == "all" or h.id in ids]
            if result["status"] == "conflict":
                assert record.status == "pending" and text() == was, "a conflict applies nothing"
                assert {c["hunk"] for c in result["conflicts"]} <= {h.id for h in chosen}
                continue
            current = split_lines(was)
            placements = []
            for h in chosen:  # every accepted hunk is at a place whose full context matches
                starts = matches(h, current)
                assert starts, f"{h.id} applied without its reviewed context"
                tracked = tracked_start(h, origin)
                if len(starts) == 1 and tracked is not None:
                    assert starts == [tracked]
                placements.append((starts, h))
            candidates = {
                place(current, [(s, h) for (_, h), s in zip(placements, combo, strict=True)])
                for combo in _product([s for s, _ in placements])
            }
            assert text() in candidates
            before_accept = was
            origin = [None] * len(split_lines(text()))  # new base for later user edits: untracked
        elif kind == "reject":
            was, status = text(), record.status
            try:
                result = await proposals.resolve(record, "none", caps, editor)
            except ResolveError:
                assert status != "pending"
            else:
                assert result["status"] == "rejected" and record.status == "rejected"
            assert text() == was, "rejecting never touches the buffer"
        else:
            was, status = text(), record.status
            try:
                await proposals.undo(record, caps, editor)
            except (ResolveError, ProposalConflict):
                assert text() == was, "a refused undo leaves the buffer alone"
                continue
            assert status in ("applied", "partially_applied")
            assert text() == before_accept, "undo restores exactly the text before the accept"
            assert record.status == "undone"


def _product(options: list[list[int]]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for opts in options:
        out = [(*prefix, o) for prefix in out for o in opts[:4]]
    return out
