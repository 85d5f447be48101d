"""Proposals end to end: versioned annotated applyEdit, rebase, conflicts, applied:false, undo."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import EDIT_NEW, EDIT_OLD, STATS_PY
from lsp_editor import chat, ed, plain, set_model
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

DOCSTRING = STATS_PY.replace(EDIT_OLD, EDIT_NEW)
FLOAT = STATS_PY.replace("    return sum(xs)\n", "    return float(sum(xs))\n")


async def propose(client: LanguageClient, model: str = "test/edit") -> tuple[str, dict[str, Any]]:
    """Open stats.py (if needed), run a turn that edits it; returns the document URI and the proposal."""
    editor = ed(client)
    uri = editor.uri("stats.py")
    if uri not in editor.docs:
        editor.open("stats.py")
    await set_model(client, model)
    result = await chat(client, "change stats.py")
    (pid,) = result["proposalIds"]
    return uri, plain(await editor.request("skiff/proposal", {"id": pid}))


async def resolve(client: LanguageClient, pid: str, accept: Any = "all") -> dict[str, Any]:
    return plain(await ed(client).request("skiff/resolveProposal", {"id": pid, "accept": accept}))


async def status_of(client: LanguageClient, pid: str) -> str:
    return plain(await ed(client).request("skiff/proposal", {"id": pid}))["status"]


def annotations_supported(client: LanguageClient) -> bool:
    caps = client.capabilities
    ws = caps.workspace.workspace_edit if caps and caps.workspace else None
    return bool(ws and ws.change_annotation_support)


async def test_accept_sends_a_versioned_annotated_edit_and_undo_restores(client: LanguageClient):
    editor = ed(client)
    uri, proposal = await propose(client)
    assert await resolve(client, proposal["id"]) == {
        "status": "applied",
        "appliedHunks": ["h1"],
        "rebased": False,
    }
    edit = editor.applied[-1].edit
    (doc_edit,) = edit.document_changes or []
    assert isinstance(doc_edit, lsp.TextDocumentEdit)
    assert (doc_edit.text_document.uri, doc_edit.text_document.version) == (uri, 1)
    if annotations_supported(client):  # VS Code: one needsConfirmation annotation per hunk
        assert edit.change_annotations is not None
        (edit_item,) = doc_edit.edits
        assert isinstance(edit_item, lsp.AnnotatedTextEdit)
        assert edit.change_annotations[edit_item.annotation_id].needs_confirmation is True
    else:  # Neovim does not advertise change annotations: plain versioned edits
        assert edit.change_annotations is None
    assert editor.text(uri) == DOCSTRING
    assert await status_of(client, proposal["id"]) == "applied"

    assert plain(await editor.request("skiff/undoProposal", {"id": proposal["id"]})) == {"status": "undone"}
    assert editor.text(uri) == STATS_PY
    assert await status_of(client, proposal["id"]) == "undone"
    with pytest.raises(JsonRpcException) as again:
        await resolve(client, proposal["id"])
    assert again.value.code == -32803


async def test_a_stale_document_is_rebased_when_its_hunks_still_apply(client: LanguageClient):
    editor = ed(client)
    uri, proposal = await propose(client)
    editor.edit(uri, (0, 0), (0, 0), "import math\n\n")
    result = await resolve(client, proposal["id"])
    assert result == {"status": "applied", "appliedHunks": ["h1"], "rebased": True}
    (doc_edit,) = editor.applied[-1].edit.document_changes or []
    assert isinstance(doc_edit, lsp.TextDocumentEdit) and doc_edit.text_document.version == 2
    assert editor.text(uri) == "import math\n\n" + DOCSTRING


async def test_a_conflicting_edit_is_refused_and_the_proposal_stays_pending(client: LanguageClient):
    editor = ed(client)
    uri, proposal = await propose(client, "test/edit2")
    assert [h["id"] for h in proposal["files"][0]["hunks"]] == ["h1", "h2"]
    editor.edit(uri, (5, 4), (5, 18), "return 0")  # the line hunk h2 rewrites
    refused = await resolve(client, proposal["id"])
    assert refused["status"] == "conflict" and refused["appliedHunks"] == []
    assert [(c["path"], c["hunk"]) for c in refused["conflicts"]] == [("stats.py", "h2")]
    assert "edited" in refused["conflicts"][0]["reason"] and "h2" in refused["message"]
    assert await status_of(client, proposal["id"]) == "pending"
    assert editor.applied == []
    # the hunk that still applies can be taken alone
    result = await resolve(client, proposal["id"], ["h1"])
    assert result == {"status": "partially_applied", "appliedHunks": ["h1"], "rebased": True}
    assert editor.text(uri) == DOCSTRING.replace("    return sum(xs)\n", "    return 0\n")


async def test_a_docstring_whose_context_changed_is_a_conflict_not_an_insertion_at_its_old_line(
    client: LanguageClient,
):
    """The reported bug: the docstring hunk landed after a newly added import (IndentationError)."""
    editor = ed(client)
    uri, proposal = await propose(client)
    editor.edit(uri, (0, 0), (1, 0), "import math\ndef mean(values):\n")  # the line the hunk follows
    refused = await resolve(client, proposal["id"])
    assert refused["status"] == "conflict"
    assert [c["hunk"] for c in refused["conflicts"]] == ["h1"]
    assert editor.applied == [] and await status_of(client, proposal["id"]) == "pending"
    assert editor.text(uri).startswith("import math\ndef mean(values):\n    return sum(xs)")


async def test_applied_false_keeps_the_proposal_pending_until_accepted_later(client: LanguageClient):
    editor = ed(client)
    uri, proposal = await propose(client, "test/edit2")
    editor.apply_answer = False
    declined = await resolve(client, proposal["id"])
    assert declined == {
        "status": "pending",
        "appliedHunks": [],
        "rebased": False,
        "message": "the editor did not apply the edit: the user declined",
    }
    assert await status_of(client, proposal["id"]) == "pending"
    assert editor.text(uri) == STATS_PY
    editor.apply_answer = True
    assert (await resolve(client, proposal["id"], ["h2"]))["status"] == "partially_applied"
    assert editor.text(uri) == FLOAT


async def test_reject_and_unknown_hunks(client: LanguageClient):
    editor = ed(client)
    _, proposal = await propose(client)
    with pytest.raises(JsonRpcException) as unknown:
        await resolve(client, proposal["id"], ["h7"])
    assert unknown.value.code == -32602 and "h7" in unknown.value.message
    assert await resolve(client, proposal["id"], "none") == {
        "status": "rejected",
        "appliedHunks": [],
        "rebased": False,
    }
    assert await status_of(client, proposal["id"]) == "rejected"
    assert editor.applied == []


async def test_created_files_are_resource_operations_and_undo_deletes_them(client: LanguageClient):
    editor = ed(client)
    _, proposal = await propose(client, "test/create")
    (f,) = proposal["files"]
    assert (f["kind"], f["path"], f["version"]) == ("create", "util.py", None)
    assert (await resolve(client, proposal["id"]))["status"] == "applied"
    changes = editor.applied[-1].edit.document_changes or []
    assert isinstance(changes[0], lsp.CreateFile) and changes[0].uri == editor.uri("util.py")
    assert isinstance(changes[1], lsp.TextDocumentEdit) and changes[1].text_document.version is None
    assert (editor.root / "util.py").read_text() == "def one():\n    return 1\n"
    assert plain(await editor.request("skiff/undoProposal", {"id": proposal["id"]})) == {"status": "undone"}
    assert isinstance((editor.applied[-1].edit.document_changes or [])[0], lsp.DeleteFile)
    assert not (editor.root / "util.py").exists()


async def test_undo_is_refused_once_the_text_was_edited(client: LanguageClient):
    editor = ed(client)
    uri, proposal = await propose(client)
    await resolve(client, proposal["id"])
    editor.edit(uri, (0, 0), (0, 0), "# mine\n")
    with pytest.raises(JsonRpcException) as refused:
        await editor.request("skiff/undoProposal", {"id": proposal["id"]})
    assert refused.value.code == -32803 and "edited" in refused.value.message
    assert await status_of(client, proposal["id"]) == "applied"


async def test_pending_proposals_offer_accept_and_reject_code_actions(client: LanguageClient):
    editor = ed(client)
    uri, proposal = await propose(client)
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            context=lsp.CodeActionContext(diagnostics=[], only=[lsp.CodeActionKind.Source]),
        )
    )
    assert actions is not None
    mine = [a for a in actions if a.title.endswith(proposal["id"])]
    assert [a.title for a in mine] == [
        f"Skiff: Accept proposal {proposal['id']}",
        f"Skiff: Reject proposal {proposal['id']}",
    ]
    assert all(a.title.startswith(("Skiff: Accept proposal", "Skiff: Reject proposal")) for a in actions)
    accept = mine[0]
    assert isinstance(accept, lsp.CodeAction)
    if accept.command is None:
        accept = await client.code_action_resolve_async(accept)
    assert accept.command is not None
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=accept.command.command, arguments=accept.command.arguments)
    )
    assert plain(result)["status"] == "applied"
    assert editor.text(uri) == DOCSTRING
