"""Capabilities, code actions, errors and the read-only skiff/* methods, over stdio with both presets."""

from __future__ import annotations

import pytest
from conftest import DEFAULT_OPTIONS, MODELS_FILE
from lsp_editor import ed, plain
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
INIT_OPTIONS = {**DEFAULT_OPTIONS, "actions": [{"title": "Add type hints", "prompt": "Add type hints."}]}


def diag(line: int, message: str, source: str = "pyright") -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(lsp.Position(line, 4), lsp.Position(line, 10)),
        message=message,
        severity=lsp.DiagnosticSeverity.Error,
        source=source,
    )


async def code_actions(client: LanguageClient, uri: str, start, end, diagnostics=()) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(*start), lsp.Position(*end)),
            context=lsp.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )
    assert result is not None
    assert all(isinstance(a, lsp.CodeAction) for a in result)
    return [a for a in result if isinstance(a, lsp.CodeAction)]


async def test_initialize_advertises_incremental_sync_resolve_and_commands(client: LanguageClient):
    result = ed(client).init_result
    assert result is not None and result.server_info is not None
    caps = result.capabilities
    assert result.server_info.name == "skiff"
    assert isinstance(caps.text_document_sync, lsp.TextDocumentSyncOptions)
    assert caps.text_document_sync.change == lsp.TextDocumentSyncKind.Incremental
    assert isinstance(caps.code_action_provider, lsp.CodeActionOptions)
    assert caps.code_action_provider.resolve_provider is True
    assert caps.execute_command_provider is not None
    assert sorted(caps.execute_command_provider.commands) == [
        "skiff.ask",
        "skiff.cancel",
        "skiff.resolveProposal",
        "skiff.showProposal",
        "skiff.undoProposal",
    ]


async def test_code_actions_for_selection_diagnostics_presets_and_user_actions(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    problem = diag(1, '"total" is not defined')
    actions = await code_actions(client, uri, (0, 0), (2, 0), [problem])
    by_title = {a.title: a for a in actions}
    assert list(by_title) == [
        'Ask agent to fix: "total" is not defined',
        "Ask agent…",
        "Fix with agent",
        "Explain with agent",
        "Add docstring with agent",
        "Write a test with agent",
        "Add type hints",
    ]
    fix = by_title['Ask agent to fix: "total" is not defined']
    assert fix.kind == lsp.CodeActionKind.QuickFix
    assert fix.diagnostics is not None and fix.diagnostics[0].message == problem.message
    assert by_title["Ask agent…"].kind == lsp.CodeActionKind.RefactorRewrite
    for action in actions:
        if action.command is None:  # neovim resolves commands lazily
            action = await client.code_action_resolve_async(action)
        assert action.command is not None and action.command.command == "skiff.ask"
        args = action.command.arguments[0]
        assert args["uri"] == uri
    resolved_fix = fix if fix.command else await client.code_action_resolve_async(fix)
    assert resolved_fix.command is not None
    assert '"total" is not defined' in resolved_fix.command.arguments[0]["prompt"]
    # an empty range offers only the free-form and user actions
    empty = await code_actions(client, uri, (1, 2), (1, 2))
    assert [a.title for a in empty] == ["Ask agent…", "Add type hints"]


async def test_unknown_method_and_malformed_params_keep_the_server_serving(client: LanguageClient):
    editor = ed(client)
    with pytest.raises(JsonRpcException) as unknown:
        await editor.request("skiff/doesNotExist", {})
    assert unknown.value.code == -32601
    with pytest.raises(JsonRpcException) as bad_chat:
        await editor.request("skiff/chat", {"prompt": 5})
    assert bad_chat.value.code == -32602 and "prompt" in bad_chat.value.message
    with pytest.raises(JsonRpcException) as bad_resolve:
        await editor.request("skiff/resolveProposal", {"id": "x", "accept": 3})
    assert bad_resolve.value.code == -32602 and "accept" in bad_resolve.value.message
    with pytest.raises(JsonRpcException) as bad_action:
        await editor.raw_request("textDocument/codeAction", {"textDocument": 5})
    assert bad_action.value.code == -32602
    with pytest.raises(JsonRpcException) as no_proposal:
        await editor.request("skiff/proposal", {"id": "missing"})
    assert no_proposal.value.code == -32602 and "missing" in no_proposal.value.message
    status = plain(await editor.request("skiff/status", {}))
    assert status["busy"] is False


async def test_did_change_of_a_document_that_is_not_open_shows_no_error(client: LanguageClient):
    editor = ed(client)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=editor.uri("stats.py"), version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
        )
    )
    status = plain(await editor.request("skiff/status", {}))  # answered after the notification
    assert status["busy"] is False
    assert not [m for m in client.messages if "Error in server" in m.message]


async def test_models_set_model_and_status(client: LanguageClient):
    editor = ed(client)
    models = plain(await editor.request("skiff/models", {}))
    assert models["current"] == "test/hello"
    entry = next(m for m in models["models"] if m["id"] == "test/edit")
    assert entry == {
        "id": "test/edit",
        "name": "Scripted edit",
        "provider": "test",
        "api": "scripted",
        "contextWindow": 4096,
        "contextLimit": 4096,
        "profile": "test",
        "source": str(MODELS_FILE),
        "discovered": False,
        "served": False,
    }
    with pytest.raises(JsonRpcException) as unknown:
        await editor.request("skiff/setModel", {"model": "test/nope"})
    assert unknown.value.code == -32602
    assert plain(await editor.request("skiff/setModel", {"model": "test/steady"})) == {"model": "test/steady"}
    status = plain(await editor.request("skiff/status", {}))
    assert status["model"] == "test/steady"
    assert set(status) == {
        "version",
        "model",
        "busy",
        "contextUsed",
        "contextLimit",
        "contextFill",
        "tokensPerSecond",
        "modelCheck",
    }
    assert status["modelCheck"] is None  # only `checkModel: true` tries the model
    assert status["contextLimit"] == 4096


async def test_debug_stats_report_code_action_handler_times(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    await editor.request("skiff/debugStats", {"reset": True})
    for _ in range(3):
        await code_actions(client, uri, (0, 0), (1, 0))
    stats = plain(await editor.request("skiff/debugStats", {"reset": True}))
    (entry,) = [h for h in stats["handlers"] if h["method"] == "textDocument/codeAction"]
    assert entry["count"] == 3
    assert 0 <= entry["p50Ms"] <= entry["p99Ms"] <= entry["maxMs"]
    assert plain(await editor.request("skiff/debugStats", {}))["handlers"] == []
