"""server/features/proposals/plain_review.py and the plain-client code actions: the effective proposal
mode per client, the diff file, and the presets offered as code actions where the client cannot be asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

from skiff.agent.proposal import Proposal, make_change
from skiff.server.features.code_actions import ActionSupport, build_actions
from skiff.server.features.proposals.plain_review import can_ask, effective_mode, proposal_diff, write_diff
from skiff.server.features.proposals.store import Record


def caps(show_document: bool = False, annotations: bool = False, ask: bool = False) -> lsp.ClientCapabilities:
    window = lsp.WindowClientCapabilities(
        show_document=lsp.ShowDocumentClientCapabilities(support=True) if show_document else None,
        show_message=lsp.ShowMessageRequestClientCapabilities(
            message_action_item=lsp.ClientShowMessageActionItemOptions()
        )
        if ask
        else None,
    )
    edit = lsp.WorkspaceEditClientCapabilities(
        document_changes=True,
        change_annotation_support=lsp.ChangeAnnotationsSupportOptions() if annotations else None,
    )
    return lsp.ClientCapabilities(
        window=window, workspace=lsp.WorkspaceClientCapabilities(workspace_edit=edit)
    )


@pytest.mark.parametrize(
    ("configured", "skiff_ui", "client", "mode"),
    [
        ("auto", True, caps(), "review"),  # Skiff's own UI
        ("auto", False, caps(show_document=True, annotations=True), "review"),  # opens the diff
        ("auto", False, caps(annotations=True), "direct"),  # the client confirms each annotated change
        ("auto", False, caps(), "review"),  # Eglot 1.9: the diff comes in a message
        ("auto", False, None, "review"),
        ("direct", False, caps(show_document=True), "direct"),
        ("review", True, caps(annotations=True), "review"),
    ],
)
def test_effective_mode(configured: str, skiff_ui: bool, client: lsp.ClientCapabilities | None, mode: str):
    assert effective_mode(configured, skiff_ui, client) == mode


def test_can_ask_needs_message_action_items():
    assert can_ask(caps(ask=True)) and not can_ask(caps()) and not can_ask(None)


def test_the_diff_file_holds_the_proposal_as_a_unified_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    change = make_change("stats.py", tmp_path / "stats.py", "a = 1\n", "a = 2\n")
    record = Record(Proposal("p1", [change], "Set a to 2."), "s1", {})
    path = write_diff(record)
    assert path == tmp_path / "skiff" / "proposals" / "p1.diff"
    text = path.read_text()
    assert text == proposal_diff(record)
    assert text.startswith("# Skiff proposal p1\n# Set a to 2.\n--- a/stats.py\n+++ b/stats.py\n")
    assert "-a = 1\n+a = 2\n" in text


def test_presets_are_code_actions_on_an_empty_range_when_the_client_cannot_ask():
    pos = lsp.Position(3, 2)
    params = lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri="file:///w/stats.py"),
        range=lsp.Range(pos, pos),
        context=lsp.CodeActionContext(diagnostics=[]),
    )
    support = ActionSupport(review=True, presets_anywhere=True)
    actions = build_actions(params, support, [], ["p1"])
    titles = [a.title for a in actions]
    assert titles == [
        "Ask agent…",
        "Fix with agent",
        "Explain with agent",
        "Add docstring with agent",
        "Write a test with agent",
        "Skiff: Show diff of proposal p1",
        "Skiff: Accept proposal p1",
        "Skiff: Reject proposal p1",
    ]
    explain = actions[2].command
    assert explain is not None and explain.arguments is not None
    assert explain.arguments[0]["range"] == {
        "start": {"line": 3, "character": 0},
        "end": {"line": 4, "character": 0},
    }
    assert [a.title for a in build_actions(params, ActionSupport(), [], [])] == ["Ask agent…"]
