"""skiff/chat end to end: streaming order, progress, context, unsaved buffers, sessions, errors."""

from __future__ import annotations

import asyncio
import re

import pytest
from conftest import EDIT_NEW, EDIT_OLD, STATS_PY
from lsp_editor import chat, ed, plain, set_model
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_chat_streams_updates_in_order_with_progress_and_a_pinned_proposal(client: LanguageClient):
    editor = ed(client)
    # The buffer has unsaved text the disk lacks: the edit can only succeed on the buffer.
    (editor.root / "stats.py").write_text("# saved long ago\n")
    uri = editor.open("stats.py", STATS_PY, version=7)
    await set_model(client, "test/edit")

    result = await chat(client, "add a docstring to mean()")

    sid = result["sessionId"]
    assert result["stopReason"] == "end_turn"
    assert set(result["usage"]) == {"promptTokens", "completionTokens", "tokensPerSecond"}
    updates = editor.updates(sid)
    kinds = [u["sessionUpdate"] for u in updates]
    chunks = [i for i, k in enumerate(kinds) if k == "agent_message_chunk"]
    proposal_at = kinds.index("proposal")
    assert kinds.index("tool_call") < kinds.index("tool_call_update") < proposal_at
    assert chunks and max(chunks) < proposal_at < len(kinds) - 1
    assert kinds[-1] == "usage"
    assert "".join(updates[i]["content"]["text"] for i in chunks) == "Added a docstring."
    # the response comes after every update of the turn
    last_update = max(
        i for i, (what, p) in enumerate(editor.log) if what == "update" and p["sessionId"] == sid
    )
    assert any(what == "response" for what, _ in editor.log[last_update + 1 :])

    tool_call, tool_update = updates[kinds.index("tool_call")], updates[kinds.index("tool_call_update")]
    assert tool_call["kind"] == "edit" and tool_call["status"] == "in_progress"
    assert tool_call["rawInput"]["path"] == "stats.py"
    assert tool_update["toolCallId"] == tool_call["toolCallId"] and tool_update["status"] == "completed"
    assert tool_update["content"][0]["content"]["type"] == "text"

    proposal = updates[proposal_at]["proposal"]
    assert result["proposalIds"] == [proposal["id"]]
    assert proposal["status"] == "pending" and proposal["sessionId"] == sid
    (f,) = proposal["files"]
    assert (f["uri"], f["path"], f["kind"], f["version"]) == (uri, "stats.py", "modify", 7)
    assert [h["id"] for h in f["hunks"]] == ["h1"]
    assert f["hunks"][0]["newText"] == '    """Return the mean."""\n'
    assert '+    """Return the mean."""' in f["diff"]

    full = plain(await editor.request("skiff/proposal", {"id": proposal["id"]}))
    assert full["files"][0]["baseText"] == STATS_PY
    assert full["files"][0]["newText"] == STATS_PY.replace(EDIT_OLD, EDIT_NEW)

    reports = [r for r in client.progress_reports.values() if r]
    assert reports, "the turn reported work-done progress"
    begin, end = reports[-1][0], reports[-1][-1]
    assert isinstance(begin, lsp.WorkDoneProgressBegin) and begin.cancellable is True
    assert isinstance(end, lsp.WorkDoneProgressEnd)


async def test_one_call_edit_of_the_buffer_carries_its_checks(client: LanguageClient):
    editor = ed(client)
    (editor.root / "stats.py").write_text("# saved long ago\n")
    uri = editor.open("stats.py", STATS_PY, version=3)
    await set_model(client, "test/oneshot")
    context = {
        "uri": uri,
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
    }
    result = await chat(client, "add a docstring to mean()", context=context)
    assert result["stopReason"] == "end_turn"
    updates = editor.updates(result["sessionId"])
    (proposal,) = [u["proposal"] for u in updates if u["sessionUpdate"] == "proposal"]
    assert proposal["verification"]["summary"] == "syntax ok"
    assert proposal["verification"]["checks"] == [{"name": "syntax", "ok": True, "summary": "syntax ok"}]
    (f,) = proposal["files"]
    assert (f["path"], f["version"]) == ("stats.py", 3)
    assert [h["newText"] for h in f["hunks"]] == ['    """Return the mean."""\n']
    assert not any(u["sessionUpdate"] == "tool_call" for u in updates)


async def test_tools_see_unsaved_buffers_and_the_disk_for_closed_files(client: LanguageClient):
    editor = ed(client)
    editor.open("stats.py", STATS_PY + "UNSAVED_MARKER = 1\n")
    await set_model(client, "test/read")
    result = await chat(client, "read the files")
    outputs = [
        u["content"][0]["content"]["text"] for u in editor.updates(result["sessionId"], "tool_call_update")
    ]
    read_open, read_closed, grep = outputs
    assert "UNSAVED_MARKER" in read_open
    assert "ON_DISK = True" in read_closed
    assert "stats.py" in grep and "UNSAVED_MARKER" in grep


async def test_context_carries_selection_text_and_diagnostics_in_range(client: LanguageClient):
    editor = ed(client)
    # 😀 is 2 UTF-16 units and 4 UTF-8 bytes: VS Code counts UTF-16, Neovim negotiates UTF-8
    uri = editor.open("stats.py", "# 😀 ok\n" + STATS_PY)
    line, col = editor.find(uri, "ok")
    editor.edit(uri, (line, col), (line, col + 2), "fine")  # unsaved: the selection comes from the buffer
    editor.edit(uri, (2, 4), (2, 10), "result =")
    assert editor.text(uri).startswith("# 😀 fine\ndef mean(xs):\n    result = sum(xs)")
    near = {
        "range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 10}},
        "severity": 1,
        "source": "pyright",
        "message": '"result" is not accessed',
    }
    far = {
        **near,
        "range": {"start": {"line": 6, "character": 0}, "end": {"line": 6, "character": 3}},
        "message": "far away",
    }
    start = editor.find(uri, "fine")
    context = {
        "uri": uri,
        "range": {"start": {"line": start[0], "character": start[1]}, "end": {"line": 3, "character": 0}},
        "diagnostics": [near, far],
    }
    result = await chat(client, "explain this", context=context)
    session = plain(await editor.request("skiff/session", {"sessionId": result["sessionId"]}))
    user = session["messages"][0]
    assert user["role"] == "user"
    assert user["content"] == "explain this"  # what the user typed; `expanded` is what the model saw
    assert "File: stats.py" in user["expanded"]
    assert (
        "```\nfine\ndef mean(xs):\n    result = sum(xs) / len(xs)\n" in user["expanded"]
    )  # exactly the range
    assert '"result" is not accessed' in user["expanded"] and "pyright" in user["expanded"]
    assert "far away" not in user["expanded"]


async def test_sessions_and_session_history(client: LanguageClient):
    editor = ed(client)
    editor.open("stats.py")
    await set_model(client, "test/edit")
    result = await chat(client, "add a docstring to mean()")
    sid = result["sessionId"]
    listed = plain(await editor.request("skiff/sessions", {}))["sessions"]
    mine = [s for s in listed if s["sessionId"] == sid]
    assert mine and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", mine[0].pop("updated"))
    assert mine == [
        {
            "sessionId": sid,
            "title": "add a docstring to mean()",
            "model": "test/edit",
            "turns": 1,
            "busy": False,
        }
    ]
    history = plain(await editor.request("skiff/session", {"sessionId": sid}))
    roles = [m["role"] for m in history["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert history["messages"][0]["content"] == "add a docstring to mean()"
    call = history["messages"][1]["toolCalls"][0]
    assert call["name"] == "edit" and call["arguments"]["path"] == "stats.py"
    assert history["messages"][2]["toolCallId"] == call["id"]
    assert history["messages"][3]["content"] == "Added a docstring."
    assert history["proposals"] == [{"id": result["proposalIds"][0], "status": "pending"}]
    with pytest.raises(JsonRpcException) as unknown:
        await editor.request("skiff/session", {"sessionId": "nope"})
    assert unknown.value.code == -32602


async def test_a_model_server_that_is_down_ends_the_turn_with_an_error_and_keeps_the_session(
    client: LanguageClient,
):
    editor = ed(client)
    await set_model(client, "down/nothing-listens")
    failed = await chat(client, "hello?")
    sid = failed["sessionId"]
    assert failed["stopReason"] == "error" and failed["proposalIds"] == []
    errors = editor.updates(sid, "error")
    assert errors and errors[-1]["message"]
    await set_model(client, "test/hello", session_id=sid)
    again = await chat(client, "hello again", sessionId=sid)
    assert (again["sessionId"], again["stopReason"]) == (sid, "end_turn")
    sessions = plain(await editor.request("skiff/sessions", {}))["sessions"]
    assert [s["turns"] for s in sessions if s["sessionId"] == sid] == [2]


async def test_scripted_provider_error_is_an_error_update(client: LanguageClient):
    editor = ed(client)
    await set_model(client, "test/broken")
    result = await chat(client, "fail please")
    assert result["stopReason"] == "error"
    assert "connection refused" in editor.updates(result["sessionId"], "error")[-1]["message"]


async def test_two_sessions_run_concurrently_and_a_busy_session_refuses_a_second_turn(client: LanguageClient):
    editor = ed(client)
    await set_model(client, "test/steady")
    first = editor.start("skiff/chat", {"prompt": "one"}, msg_id="chat-one")
    second = editor.start("skiff/chat", {"prompt": "two"}, msg_id="chat-two")
    await editor.wait_for(
        lambda: len({p["sessionId"] for w, p in editor.log if w == "update"}) == 2, "both sessions"
    )
    sid_one = next(p["sessionId"] for w, p in editor.log if w == "update")
    with pytest.raises(JsonRpcException) as busy:
        await editor.request("skiff/chat", {"prompt": "three", "sessionId": sid_one})
    assert busy.value.code == -32002
    results = [plain(r) for r in await asyncio.gather(first, second)]
    assert {r["stopReason"] for r in results} == {"end_turn"}
    assert len({r["sessionId"] for r in results}) == 2
    # both streamed before either finished: the first response follows chunks of both sessions
    first_response = next(
        i for i, (w, x) in enumerate(editor.log) if w == "response" and x.startswith("chat-")
    )
    streaming = {p["sessionId"] for w, p in editor.log[:first_response] if w == "update"}
    assert len(streaming) == 2
