"""A client without Skiff's UI in direct mode: edits sent during the turn, declines, showMessageRequest
permissions, commands from actions."""

from __future__ import annotations

import pytest
from conftest import EDIT_NEW, EDIT_OLD, STATS_PY
from lsp_editor import chat, ed, plain, set_model
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
INIT_OPTIONS = {
    "model": "test/hello",
    "skiffUi": False,
    "bash": {"mode": "manual"},
    "proposals": {"mode": "direct"},
}


async def test_direct_mode_applies_every_proposal_during_the_turn(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    await set_model(client, "test/edit")
    result = await chat(client, "add a docstring")
    assert len(editor.applied) == 1  # sent before the chat response
    edit = editor.applied[0].edit
    assert isinstance((edit.document_changes or [])[0], lsp.TextDocumentEdit)
    assert editor.text(uri) == STATS_PY.replace(EDIT_OLD, EDIT_NEW)
    proposal = plain(await editor.request("skiff/proposal", {"id": result["proposalIds"][0]}))
    assert proposal["status"] == "applied"


async def test_a_direct_edit_the_editor_declines_is_rejected_with_an_info_message(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    editor.apply_answer = False  # as Eglot's "Proceed? n" (applied: false here)
    await set_model(client, "test/edit")
    before = len(client.messages)
    result = await chat(client, "add a docstring")
    pid = result["proposalIds"][0]
    assert editor.text(uri) == STATS_PY
    assert plain(await editor.request("skiff/proposal", {"id": pid}))["status"] == "rejected"
    messages = [m for m in client.messages[before:] if pid in m.message]
    assert [m.type for m in messages] == [lsp.MessageType.Info]
    assert messages[0].message.startswith(f"Skiff: proposal {pid} rejected: the editor did not apply")


@pytest.mark.parametrize(("answer", "status"), [("Allow once", "completed"), (None, "failed")])
async def test_permission_falls_back_to_show_message_request(
    client: LanguageClient, answer: str | None, status: str
):
    editor = ed(client)
    editor.message_answer = answer
    await set_model(client, "test/bash")
    result = await chat(client, "run it")
    assert editor.permission_requests == []
    assert len(editor.message_requests) == 2
    request = editor.message_requests[0]
    assert "echo skiff-permission-ok" in request.message
    assert [a.title for a in request.actions or []] == ["Allow once", "Allow always", "Reject"]
    assert [u["status"] for u in editor.updates(result["sessionId"], "tool_call_update")] == [status, status]


async def test_ask_command_with_a_preset_runs_in_the_background_and_shows_the_answer(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    before = len(client.messages)
    result = plain(
        await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(
                command="skiff.ask",
                arguments=[
                    {
                        "uri": uri,
                        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
                        "preset": "explain",
                    }
                ],
            )
        )
    )
    assert set(result) == {"sessionId"}
    await editor.wait_for(
        lambda: any(m.message == "Hello from Skiff." for m in client.messages[before:]), "answer"
    )
    session = plain(await editor.request("skiff/session", {"sessionId": result["sessionId"]}))
    assert "Explain what the selected code does" in session["messages"][0]["content"]
    assert "def mean(xs):" in session["messages"][0]["expanded"]


async def test_ask_command_without_prompt_asks_for_a_preset(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    editor.message_answer = "Add docstring with agent"
    await set_model(client, "test/edit")
    result = plain(
        await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(
                command="skiff.ask",
                arguments=[
                    {
                        "uri": uri,
                        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                    }
                ],
            )
        )
    )
    await editor.wait_for(lambda: editor.applied, "the direct-mode edit")
    assert [a.title for a in editor.message_requests[0].actions or []] == [
        "Fix with agent",
        "Explain with agent",
        "Add docstring with agent",
        "Write a test with agent",
    ]
    assert editor.text(uri) == STATS_PY.replace(EDIT_OLD, EDIT_NEW)
    session = plain(await editor.request("skiff/session", {"sessionId": result["sessionId"]}))
    assert "Add a docstring" in session["messages"][0]["content"]
