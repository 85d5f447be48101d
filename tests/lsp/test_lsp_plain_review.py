"""Review before accept for a client without Skiff's UI (default `auto` mode): the proposal waits, is
announced with its diff file, code actions show the diff (showDocument), accept or reject it anywhere; an
edit the editor declines rejects it; the preset question comes after the executeCommand answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import EDIT_NEW, EDIT_OLD, STATS_PY
from lsp_editor import Editor, ed, plain, set_model
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
INIT_OPTIONS = {"model": "test/hello", "skiffUi": False}
WHOLE = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}


async def actions_at(client: LanguageClient, uri: str, line: int = 0) -> list[lsp.CodeAction]:
    pos = lsp.Position(line=line, character=0)
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(start=pos, end=pos),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


async def run_action(client: LanguageClient, action: lsp.CodeAction) -> Any:
    if action.command is None:
        action = await client.code_action_resolve_async(action)
    assert action.command is not None
    return plain(
        await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
        )
    )


async def propose(client: LanguageClient, uri: str) -> str:
    """Ask for a docstring in the background; wait for the announcement; return the proposal id."""
    editor = ed(client)
    await set_model(client, "test/edit")
    before = len(client.messages)
    await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(
            command="skiff.ask", arguments=[{"uri": uri, "range": WHOLE, "preset": "docstring"}]
        )
    )
    await editor.wait_for(
        lambda: any("a proposal is waiting" in m.message for m in client.messages[before:]), "announcement"
    )
    message = next(m.message for m in client.messages[before:] if "a proposal is waiting" in m.message)
    return message.split("(", 1)[1].split(":", 1)[0]


def ask_params(uri: str) -> lsp.ExecuteCommandParams:
    return lsp.ExecuteCommandParams(command="skiff.ask", arguments=[{"uri": uri, "range": WHOLE}])


def diff_path(message: str) -> Path:
    return Path(message.rsplit("diff at ", 1)[1].split(":\n", 1)[0].strip())


async def test_a_proposal_waits_with_its_diff_and_is_accepted_from_a_code_action(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    before = len(client.messages)
    pid = await propose(client, uri)
    assert editor.applied == []  # nothing touched the buffer
    assert editor.text(uri) == STATS_PY
    announced = next(m for m in client.messages[before:] if "a proposal is waiting" in m.message)
    assert announced.type == lsp.MessageType.Info
    assert "Accept/Reject from the code actions" in announced.message
    path = diff_path(announced.message)
    assert path.suffix == ".diff" and path.name == f"{pid}.diff"
    diff = path.read_text()
    assert "--- a/stats.py" in diff and '+    """Return the mean."""' in diff

    other = editor.open("closed.py")  # a document the proposal does not touch: the actions are there too
    titles = [a.title for a in await actions_at(client, other)]
    assert [t for t in titles if t.startswith("Skiff:") and pid in t] == [
        f"Skiff: Show diff of proposal {pid}",
        f"Skiff: Accept proposal {pid}",
        f"Skiff: Reject proposal {pid}",
    ]
    actions = {a.title: a for a in await actions_at(client, uri, line=4)}
    shown = await run_action(client, actions[f"Skiff: Show diff of proposal {pid}"])
    assert shown["shown"] is True
    assert [d.uri for d in client.shown_documents] == [path.as_uri()]
    assert editor.applied == []

    before = len(client.messages)
    result = await run_action(client, actions[f"Skiff: Accept proposal {pid}"])
    assert result["status"] == "applied"
    assert editor.text(uri) == STATS_PY.replace(EDIT_OLD, EDIT_NEW)
    await editor.wait_for(lambda: len(client.messages) > before, "the outcome message")
    assert f"Skiff: proposal {pid} applied" in [m.message for m in client.messages[before:]]
    assert not any(pid in a.title for a in await actions_at(client, uri))


@pytest.mark.parametrize("answer", ["error", False])
async def test_a_declined_edit_rejects_the_proposal_with_an_info_message(
    client: LanguageClient, answer: str | bool, monkeypatch: pytest.MonkeyPatch
):
    editor = ed(client)
    uri = editor.open("stats.py")
    pid = await propose(client, uri)
    editor.apply_answer = answer  # "error": Eglot's "no" (an error answer); False: applied: false
    # The test client's own handler raising is how it answers with an error; it is not a test failure.
    monkeypatch.setattr(client, "report_server_error", lambda *args: None)
    actions = {a.title: a for a in await actions_at(client, uri)}
    before = len(client.messages)
    result = await run_action(client, actions[f"Skiff: Accept proposal {pid}"])
    assert result["status"] == "rejected"
    await editor.wait_for(lambda: len(client.messages) > before, "the decline message")
    message = client.messages[before]
    assert message.type == lsp.MessageType.Info
    assert message.message.startswith(f"Skiff: proposal {pid} rejected: the editor did not apply the edit")
    assert editor.text(uri) == STATS_PY
    assert not any(pid in a.title for a in await actions_at(client, uri))
    status = plain(await editor.request("skiff/proposal", {"id": pid}))["status"]
    assert status == "rejected"


async def test_reject_action_rejects_and_says_so(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    pid = await propose(client, uri)
    actions = {a.title: a for a in await actions_at(client, uri)}
    before = len(client.messages)
    result = await run_action(client, actions[f"Skiff: Reject proposal {pid}"])
    assert result["status"] == "rejected" and editor.applied == []
    await editor.wait_for(lambda: len(client.messages) > before, "the outcome message")
    assert client.messages[before].message == f"Skiff: proposal {pid} rejected"


async def test_the_preset_question_comes_after_the_execute_command_answer(client: LanguageClient):
    editor: Editor = ed(client)
    uri = editor.open("stats.py")
    editor.message_answer = "Add docstring with agent"
    await set_model(client, "test/edit")
    before = len(client.messages)
    result = plain(await editor.request("workspace/executeCommand", ask_params(uri), msg_id="ask-1"))
    assert set(result) == {"sessionId"}
    await editor.wait_for(
        lambda: any("a proposal is waiting" in m.message for m in client.messages[before:]), "announcement"
    )
    answered = editor.log.index(("response", "ask-1"))
    asked = next(i for i, (what, _) in enumerate(editor.log) if what == "message_request")
    assert answered < asked


async def test_no_preset_chosen_runs_nothing_and_says_so(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    editor.message_answer = None
    before = len(client.messages)
    await editor.request("workspace/executeCommand", ask_params(uri))
    await editor.wait_for(lambda: len(client.messages) > before, "the message")
    assert client.messages[before].message == "Skiff: nothing chosen, nothing runs"
    assert editor.applied == []
