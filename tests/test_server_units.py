"""Pure units of the language server: documents, position encodings, proposal edits, settings, actions."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from buffers import change_doc, close_doc, make_buffers, open_doc
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams

from skiff.agent.proposal import Proposal, ProposalConflict, make_change
from skiff.server.documents import offset_at, path_to_uri, position_at, uri_to_path
from skiff.server.features.code_actions import ActionSupport, build_actions, resolve_action
from skiff.server.features.proposals.store import EditCapabilities, EditUnsupported, ProposalStore
from skiff.server.params import ChatParams, ResolveParams, parse, to_plain
from skiff.server.pygls_compat import PYGLS_CHECKED
from skiff.server.settings import InvalidSettings, SettingsManager, UserAction
from skiff.server.stats import HandlerStats, percentile

# -- documents and positions ------------------------------------------------------------------------

EMOJI = "a😀b"  # 😀 is one code point, two UTF-16 units, four UTF-8 bytes


@pytest.mark.parametrize(
    ("encoding", "character", "offset"),
    [("utf-16", 3, 2), ("utf-8", 5, 2), ("utf-32", 2, 2), ("utf-16", 1, 1), ("utf-16", 4, 3)],
)
def test_offset_at_counts_units_of_the_negotiated_encoding(encoding, character, offset):
    assert offset_at(EMOJI, 0, character, encoding) == offset


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_position_and_offset_round_trip(encoding):
    text = "x = 1\r\ny = 'é😀'\rz\nlast"
    for offset in range(len(text) + 1):
        if text[offset - 1 : offset + 1] == "\r\n":
            continue  # between \r and \n is not a position
        line, char = position_at(text, offset, encoding)
        assert offset_at(text, line, char, encoding) == offset


def test_positions_past_the_end_clamp():
    text = "ab\ncd"
    assert offset_at(text, 0, 99) == 2  # end of line 0, before its newline
    assert offset_at(text, 7, 0) == len(text)


def test_buffers_see_pygls_incremental_sync_in_utf16_positions(tmp_path):
    store = make_buffers("utf-16")
    uri = path_to_uri(tmp_path / "m.py")
    open_doc(store, uri, "s = '😀'\nprint(s)\n", 1)
    change_doc(store, uri, 2, "ok", (0, 5), (0, 7))  # replace the emoji (two UTF-16 units)
    change_doc(store, uri, 2, "# note\n", (1, 0), (1, 0))  # insert a line
    doc = store.by_path((tmp_path / "m.py").resolve())
    assert doc is not None
    assert doc.source == "s = 'ok'\n# note\nprint(s)\n"
    assert doc.version == 2
    change_doc(store, uri, 3, "whole\n")
    assert store.get((tmp_path / "m.py").resolve()) == "whole\n"
    assert store.encoding == "utf-16" and make_buffers("utf-8").encoding == "utf-8"


def test_store_is_a_document_source_with_disk_fallback(tmp_path):
    (tmp_path / "open.py").write_text("disk\n")
    (tmp_path / "closed.py").write_text("closed on disk\n")
    store = make_buffers()
    open_doc(store, path_to_uri(tmp_path / "open.py"), "buffer\n", 4)
    assert store.get((tmp_path / "open.py").resolve()) == "buffer\n"
    assert store.get((tmp_path / "closed.py").resolve()) is None
    assert store.text_of((tmp_path / "closed.py").resolve()) == "closed on disk\n"
    assert store.open_paths() == [(tmp_path / "open.py").resolve()]
    close_doc(store, path_to_uri(tmp_path / "open.py"))
    assert store.open_paths() == []
    assert store.get((tmp_path / "open.py").resolve()) is None


def test_buffers_find_documents_whose_uri_is_percent_escaped(tmp_path):
    store = make_buffers()
    path = (tmp_path / "a dir" / "m.py").resolve()
    uri = path_to_uri(path)  # .../a%20dir/m.py; pygls keys its documents by the unescaped URI
    open_doc(store, uri, "x = 1\n", 1)
    assert store.get(path) == "x = 1\n"
    assert store.uri_for(path) == uri  # the editor's spelling


def test_uri_path_round_trip_with_escapes(tmp_path):
    path = (tmp_path / "a dir" / "ü.py").resolve()
    uri = path_to_uri(path)
    assert "%20" in uri
    assert uri_to_path(uri) == path
    assert uri_to_path("untitled:Untitled-1") is None


# -- proposals --------------------------------------------------------------------------------------

BASE = "def mean(xs):\n    return sum(xs) / len(xs)\n\n\ndef total(xs):\n    return sum(xs)\n"
NEW = BASE.replace("def mean(xs):\n", 'def mean(xs):\n    """Return the mean."""\n').replace(
    "    return sum(xs)\n", "    return float(sum(xs))\n"
)


def _store(tmp_path: Path, text: str = BASE, open_version: int | None = 3) -> tuple[ProposalStore, Path, str]:
    path = (tmp_path / "stats.py").resolve()
    path.write_text(text)
    docs = make_buffers()
    uri = path_to_uri(path)
    if open_version is not None:
        open_doc(docs, uri, text, open_version)
    return ProposalStore(docs), path, uri


def _proposal(path: Path, base: str | None = BASE, new: str | None = NEW) -> Proposal:
    return Proposal("p1", [make_change("stats.py", path, base, new)], "Added a docstring.")


def test_wire_shape_pins_version_and_has_hunks_with_ranges(tmp_path):
    store, path, uri = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    wire = store.wire(record)
    f = wire["files"][0]
    assert (wire["id"], wire["status"], f["uri"], f["kind"], f["version"]) == (
        "p1",
        "pending",
        uri,
        "modify",
        3,
    )
    assert [h["id"] for h in f["hunks"]] == ["h1", "h2"]
    assert f["hunks"][0]["range"] == {
        "start": {"line": 1, "character": 0},
        "end": {"line": 1, "character": 0},
    }
    assert f["hunks"][0]["newText"] == '    """Return the mean."""\n'
    assert f["diff"].startswith("--- a/stats.py\n+++ b/stats.py\n")
    assert "baseText" not in f and store.wire(record, full=True)["files"][0]["newText"] == NEW


def test_prepare_builds_versioned_annotated_document_changes(tmp_path):
    store, path, uri = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    prepared = store.prepare(record, {"h1", "h2"}, EditCapabilities())
    edit = prepared.edit
    assert edit.changes is None and edit.document_changes is not None
    (doc_edit,) = edit.document_changes
    assert isinstance(doc_edit, lsp.TextDocumentEdit)
    assert (doc_edit.text_document.uri, doc_edit.text_document.version) == (uri, 3)
    assert all(isinstance(e, lsp.AnnotatedTextEdit) for e in doc_edit.edits)
    ids = [e.annotation_id for e in doc_edit.edits if isinstance(e, lsp.AnnotatedTextEdit)]
    assert ids == ["p1:h1", "p1:h2"]
    assert edit.change_annotations is not None
    assert all(a.needs_confirmation for a in edit.change_annotations.values())
    assert prepared.files[0].after == NEW and prepared.rebased is False


def test_prepare_a_subset_of_hunks(tmp_path):
    store, path, _ = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    prepared = store.prepare(record, {"h2"}, EditCapabilities())
    assert prepared.hunks == ["h2"]
    assert prepared.files[0].after == BASE.replace("    return sum(xs)\n", "    return float(sum(xs))\n")


def test_prepare_rebases_onto_an_edited_document(tmp_path):
    store, path, uri = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    change_doc(store.documents, uri, 4, "import math\n\n", (0, 0), (0, 0))  # two lines above everything
    prepared = store.prepare(record, {"h1", "h2"}, EditCapabilities())
    assert prepared.rebased is True
    assert prepared.files[0].after == "import math\n\n" + NEW
    (doc_edit,) = prepared.edit.document_changes or []
    assert isinstance(doc_edit, lsp.TextDocumentEdit)
    assert doc_edit.text_document.version == 4
    assert doc_edit.edits[0].range.start.line == 3


def test_prepare_refuses_a_conflicting_edit_naming_the_hunk(tmp_path):
    store, path, uri = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    change_doc(store.documents, uri, 4, "return 0", (5, 4), (5, 21))  # the line h2 rewrites
    with pytest.raises(ProposalConflict, match="h2"):
        store.prepare(record, {"h1", "h2"}, EditCapabilities())
    assert store.prepare(record, {"h1"}, EditCapabilities()).hunks == ["h1"]


def test_create_and_delete_are_resource_operations(tmp_path):
    store, path, _ = _store(tmp_path)
    new_path = (tmp_path / "new.py").resolve()
    proposal = Proposal(
        "p2",
        [make_change("new.py", new_path, None, "x = 1\n", 1), make_change("stats.py", path, BASE, None, 2)],
    )
    record = store.add(proposal, "s1")
    edit = store.prepare(record, {"h1", "h2"}, EditCapabilities()).edit
    kinds = [type(c).__name__ for c in edit.document_changes or []]
    assert kinds == ["CreateFile", "TextDocumentEdit", "DeleteFile"]
    assert record.versions == {"new.py": None, "stats.py": 3}
    with pytest.raises(EditUnsupported):
        store.prepare(record, {"h1"}, EditCapabilities(True, frozenset({"delete"}), True))


def test_clients_without_document_changes_get_plain_changes(tmp_path):
    store, path, uri = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    edit = store.prepare(record, {"h1"}, EditCapabilities(False, frozenset(), False)).edit
    assert edit.document_changes is None and edit.changes is not None
    assert [type(e) for e in edit.changes[uri]] == [lsp.TextEdit]


def test_annotations_follow_the_client_capability():
    vscode = lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(
            workspace_edit=lsp.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[lsp.ResourceOperationKind.Create],
                change_annotation_support=lsp.ChangeAnnotationsSupportOptions(groups_on_label=True),
            )
        )
    )
    nvim = lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(
            workspace_edit=lsp.WorkspaceEditClientCapabilities(
                resource_operations=[lsp.ResourceOperationKind.Delete]
            )
        )
    )
    assert EditCapabilities.of(vscode) == EditCapabilities(True, frozenset({"create"}), True)
    assert EditCapabilities.of(nvim) == EditCapabilities(True, frozenset({"delete"}), False)


async def test_resolve_and_undo_with_a_fake_editor(tmp_path):
    store, path, uri = _store(tmp_path)
    record = store.add(_proposal(path), "s1")
    sent: list[lsp.WorkspaceEdit] = []
    answers = [False, True, True]

    async def apply(edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        sent.append(edit)
        applied = answers.pop(0)
        if applied:  # behave like an editor: apply to the buffer, bump the version
            doc = store.documents.by_path(path)
            assert doc is not None
            for change in edit.document_changes or []:
                assert isinstance(change, lsp.TextDocumentEdit)
                for e in sorted(
                    change.edits, key=lambda x: (x.range.start.line, x.range.start.character), reverse=True
                ):
                    r = e.range
                    start, end = (r.start.line, r.start.character), (r.end.line, r.end.character)
                    change_doc(store.documents, uri, (doc.version or 0) + 1, e.new_text, start, end)
        return lsp.ApplyWorkspaceEditResult(
            applied=applied, failure_reason=None if applied else "user said no"
        )

    first = await store.resolve(record, "all", EditCapabilities(), apply)
    assert first["status"] == "pending" and "user said no" in first["message"]
    assert record.status == "pending"
    second = await store.resolve(record, ["h1"], EditCapabilities(), apply)
    assert second == {"status": "partially_applied", "appliedHunks": ["h1"], "rebased": False}
    assert store.documents.get(path) == BASE.replace(
        "def mean(xs):\n", 'def mean(xs):\n    """Return the mean."""\n'
    )
    assert await store.undo(record, EditCapabilities(), apply) == {"status": "undone"}
    assert store.documents.get(path) == BASE
    assert len(sent) == 3


async def test_resolve_rejects_unknown_hunks_and_none_rejects(tmp_path):
    store, path, _ = _store(tmp_path)
    record = store.add(_proposal(path), "s1")

    async def never(edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        raise AssertionError("no edit expected")

    with pytest.raises(ValueError, match="h9"):
        await store.resolve(record, ["h9"], EditCapabilities(), never)
    assert await store.resolve(record, "none", EditCapabilities(), never) == {
        "status": "rejected",
        "appliedHunks": [],
        "rebased": False,
    }


async def test_undo_refuses_after_the_text_changed(tmp_path):
    store, path, _ = _store(tmp_path, open_version=None)  # a closed file: edits go to disk
    record = store.add(_proposal(path), "s1")

    async def write_disk(edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        path.write_text(NEW)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    await store.resolve(record, "all", EditCapabilities(), write_disk)
    path.write_text(NEW + "# edited by hand\n")
    with pytest.raises(ProposalConflict, match="edited since"):
        await store.undo(record, EditCapabilities(), write_disk)


# -- settings, params, code actions, stats ---------------------------------------------------------


def test_settings_layers_and_keeps_the_last_good_configuration():
    manager = SettingsManager()
    manager.set_initial({"skiffUi": True, "bash": {"allow": ["make"]}})
    assert manager.current.proposal_mode == "review"
    manager.set_workspace({"proposals": {"mode": "direct"}})
    assert manager.current.proposal_mode == "direct" and manager.current.bash.allow == ["make"]
    with pytest.raises(
        InvalidSettings, match=r"key 'bash.mode': Input should be 'auto', 'accept-all' or 'manual'"
    ):
        manager.set_workspace({"bash": {"mode": "sometimes"}})
    assert manager.current.proposal_mode == "direct"
    # auto without Skiff's UI and without known client capabilities: review (see review.effective_mode)
    assert SettingsManager().current.proposal_mode == "review"


def test_parse_accepts_namedtuples_and_names_the_bad_key():
    Params = collections.namedtuple("Params", ["prompt", "sessionId"])
    parsed = parse(ChatParams, Params("hi", "abc"))
    assert (parsed.prompt, parsed.session_id) == ("hi", "abc")
    with pytest.raises(JsonRpcInvalidParams, match="key 'accept'"):
        parse(ResolveParams, {"id": "p1", "accept": 3})
    assert to_plain([Params("a", None)]) == [{"prompt": "a", "sessionId": None}]


def _params(start: tuple[int, int], end: tuple[int, int], diags=(), only=None) -> lsp.CodeActionParams:
    return lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri="file:///w/m.py"),
        range=lsp.Range(lsp.Position(*start), lsp.Position(*end)),
        context=lsp.CodeActionContext(diagnostics=list(diags), only=only),
    )


def test_code_actions_for_a_selection_with_a_diagnostic():
    diag = lsp.Diagnostic(
        range=lsp.Range(lsp.Position(1, 4), lsp.Position(1, 9)), message="'total' is not defined"
    )
    actions = build_actions(
        _params((0, 0), (2, 0), [diag]),
        ActionSupport(),
        [UserAction(title="Add types", prompt="Add hints.")],
        ["p1"],
    )
    titles = [a.title for a in actions]
    assert titles == [
        "Ask agent to fix: 'total' is not defined",
        "Ask agent…",
        "Fix with agent",
        "Explain with agent",
        "Add docstring with agent",
        "Write a test with agent",
        "Add types",
        "Skiff: Accept proposal p1",
        "Skiff: Reject proposal p1",
    ]
    fix = actions[0]
    assert fix.kind == "quickfix" and fix.diagnostics == [diag]
    assert fix.command is not None and "'total' is not defined" in fix.command.arguments[0]["prompt"]
    assert all(a.tags is None for a in actions)


def test_code_actions_empty_range_tags_and_lazy_commands():
    actions = build_actions(_params((3, 2), (3, 2)), ActionSupport(tags=True, lazy_command=True), [], [])
    assert [a.title for a in actions] == ["Ask agent…"]
    assert actions[0].tags == [lsp.CodeActionTag.LlmGenerated]
    assert actions[0].command is None
    resolved = resolve_action(actions[0])
    assert resolved.command is not None and resolved.command.command == "skiff.ask"


def test_code_actions_respect_only():
    actions = build_actions(
        _params((0, 0), (1, 0), only=[lsp.CodeActionKind.QuickFix]), ActionSupport(), [], []
    )
    assert [a.title for a in actions] == ["Fix with agent"]


def test_handler_stats_percentiles():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 99) == 99.0
    stats = HandlerStats()
    with stats.timed("m"):
        pass
    (entry,) = stats.summary()
    assert (entry["method"], entry["count"]) == ("m", 1)


def test_pygls_is_the_version_the_compat_patches_were_checked_against():
    """server/pygls_compat.py patches pygls internals: an upgrade fails here until every patch is
    re-checked (and those pygls fixed upstream, like issue 621, deleted) and PYGLS_CHECKED moved on."""
    import tomllib
    from importlib.metadata import version

    assert version("pygls") == PYGLS_CHECKED
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert f"pygls=={PYGLS_CHECKED}" in project["project"]["dependencies"], "pyproject pins what was checked"
