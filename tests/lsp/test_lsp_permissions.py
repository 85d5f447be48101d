"""skiff/requestPermission answered each way, and a late answer after cancellation (pygls issue 621)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import DEFAULT_OPTIONS
from lsp_editor import chat, ed, plain, set_model
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
INIT_OPTIONS = {**DEFAULT_OPTIONS, "bash": {"mode": "manual"}}  # every command asks


def selected(option: str) -> dict[str, Any]:
    return {"outcome": {"outcome": "selected", "optionId": option}}


@pytest.mark.parametrize(
    ("answer", "asked", "status"),
    [
        (selected("allow_once"), 2, "completed"),  # the script runs the command twice: asked twice
        (selected("allow_always"), 1, "completed"),  # the second run is allowed without asking
        (selected("reject"), 2, "failed"),
        ({"outcome": {"outcome": "cancelled"}}, 2, "failed"),  # treated as reject
    ],
)
async def test_permission_answers(client: LanguageClient, answer: dict[str, Any], asked: int, status: str):
    editor = ed(client)
    editor.permission_answer = answer
    await set_model(client, "test/bash")
    result = await chat(client, "run the command")
    assert result["stopReason"] == "end_turn"
    calls = editor.updates(result["sessionId"], "tool_call")
    finished = editor.updates(result["sessionId"], "tool_call_update")
    assert len(editor.permission_requests) == asked
    request = editor.permission_requests[0]
    assert request["sessionId"] == result["sessionId"]
    assert request["toolCall"] == {
        "toolCallId": calls[0]["toolCallId"],
        "title": "bash: echo skiff-permission-ok",
        "kind": "execute",
        "rawInput": {"command": "echo skiff-permission-ok"},
    }
    assert [o["optionId"] for o in request["options"]] == ["allow_once", "allow_always", "reject"]
    assert request["reason"]
    assert [u["status"] for u in finished] == [status, status]
    output = finished[0]["content"][0]["content"]["text"]
    if status == "completed":
        assert output.startswith("skiff-permission-ok")
    else:
        assert "rejected" in output


async def test_a_late_reply_to_a_cancelled_permission_request_is_dropped(client: LanguageClient):
    """pygls issue 621: the client answers after the turn was cancelled; the server must not error."""
    editor = ed(client)
    editor.permission_gate = asyncio.Event()
    await set_model(client, "test/bash")
    task = editor.start("skiff/chat", {"prompt": "run it"}, msg_id="chat-waiting")
    await editor.wait_for(lambda: editor.permission_requests, "the permission request")
    sid = editor.permission_requests[0]["sessionId"]
    client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="chat-waiting"))
    with pytest.raises(JsonRpcException) as cancelled:
        await task
    assert cancelled.value.code == -32800
    editor.permission_gate.set()  # the answer arrives late
    await editor.request("skiff/status", {})
    await editor.request("skiff/status", {})
    assert not [m for m in client.messages if "Error in server" in m.message]
    sessions = plain(await editor.request("skiff/sessions", {}))["sessions"]
    assert [s["busy"] for s in sessions if s["sessionId"] == sid] == [False]
