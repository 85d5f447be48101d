"""Cancelling a turn: $/cancelRequest, window/workDoneProgress/cancel, skiff/cancel and skiff.cancel."""

from __future__ import annotations

import asyncio

import pytest
from lsp_editor import Editor, chat, ed, plain, set_model
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def expect_cancelled(task: asyncio.Task) -> None:
    with pytest.raises(JsonRpcException) as exc:
        await task
    assert exc.value.code == -32800


async def first_chunk(editor: Editor, count: int = 1) -> None:
    await editor.wait_for(
        lambda: len(editor.updates(kind="agent_message_chunk")) >= count, "a streamed chunk"
    )


def open_progress(client: LanguageClient) -> lsp.ProgressToken:
    """The token of the progress that has begun and not ended."""
    for token, reports in client.progress_reports.items():
        if (
            reports
            and isinstance(reports[0], lsp.WorkDoneProgressBegin)
            and not isinstance(reports[-1], lsp.WorkDoneProgressEnd)
        ):
            return token
    raise AssertionError("no open progress")


async def test_cancel_request_stops_generation_and_keeps_the_session(client: LanguageClient):
    editor = ed(client)
    await set_model(client, "test/slow")
    task = editor.start("skiff/chat", {"prompt": "think at length"}, msg_id="chat-to-cancel")
    await first_chunk(editor)
    client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="chat-to-cancel"))
    await expect_cancelled(task)
    streamed = len(editor.updates(kind="agent_message_chunk"))
    sid = next(p["sessionId"] for w, p in editor.log if w == "update")
    sessions = plain(await editor.request("skiff/sessions", {}))["sessions"]
    assert [s["busy"] for s in sessions if s["sessionId"] == sid] == [False]
    assert plain(await editor.request("skiff/status", {}))["busy"] is False
    assert len(editor.updates(kind="agent_message_chunk")) == streamed  # nothing after the cancellation
    assert any(isinstance(r[-1], lsp.WorkDoneProgressEnd) for r in client.progress_reports.values() if r)
    # the session is kept and takes the next turn
    await set_model(client, "test/hello", session_id=sid)
    again = await chat(client, "hello", sessionId=sid)
    assert again["stopReason"] == "end_turn"


async def test_progress_cancel_stops_the_turn_for_server_and_client_tokens(client: LanguageClient):
    editor = ed(client)
    await set_model(client, "test/slow")
    task = editor.start("skiff/chat", {"prompt": "server token"})
    await first_chunk(editor)
    token = open_progress(client)
    client.protocol.notify(
        lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL, lsp.WorkDoneProgressCancelParams(token=token)
    )
    await expect_cancelled(task)

    client.progress_reports.setdefault("client-token-1", [])
    seen = len(editor.updates(kind="agent_message_chunk"))
    task = editor.start("skiff/chat", {"prompt": "client token", "workDoneToken": "client-token-1"})
    await first_chunk(editor, seen + 1)
    begin = client.progress_reports["client-token-1"][0]
    assert isinstance(begin, lsp.WorkDoneProgressBegin) and begin.cancellable is True
    client.protocol.notify(
        lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL, lsp.WorkDoneProgressCancelParams(token="client-token-1")
    )
    await expect_cancelled(task)
    assert isinstance(client.progress_reports["client-token-1"][-1], lsp.WorkDoneProgressEnd)


async def test_skiff_cancel_and_the_cancel_command(client: LanguageClient):
    editor = ed(client)
    await set_model(client, "test/slow")
    task = editor.start("skiff/chat", {"prompt": "go"})
    await first_chunk(editor)
    sid = next(p["sessionId"] for w, p in editor.log if w == "update")
    assert plain(await editor.request("skiff/cancel", {"sessionId": sid})) == {"cancelled": True}
    await expect_cancelled(task)
    assert plain(await editor.request("skiff/cancel", {"sessionId": sid})) == {"cancelled": False}

    seen = len(editor.updates(kind="agent_message_chunk"))
    task = editor.start("skiff/chat", {"prompt": "again", "sessionId": sid})
    await first_chunk(editor, seen + 1)
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="skiff.cancel", arguments=[{"sessionId": sid}])
    )
    assert plain(result) == {"cancelled": True}
    await expect_cancelled(task)
