"""A plain client that advertises no `window` capabilities (as Eglot 1.9): no preset question (the presets
become code actions, said once), the diff shown in a message, a "working" message instead of progress."""

from __future__ import annotations

import pytest
from lsp_editor import ed, plain, set_model
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from test_lsp_plain_review import actions_at, ask_params, propose, run_action

pytestmark = pytest.mark.asyncio(loop_scope="module")
INIT_OPTIONS = {"model": "test/hello", "skiffUi": False}


def CAPABILITIES(caps: lsp.ClientCapabilities) -> lsp.ClientCapabilities:  # the conftest hook
    caps.window = None
    if caps.workspace and caps.workspace.workspace_edit:
        caps.workspace.workspace_edit.change_annotation_support = None  # else `auto` means direct
    return caps


async def test_ask_without_a_way_to_ask_points_to_the_preset_actions_once(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    before = len(client.messages)
    for _ in range(2):
        result = plain(await editor.request("workspace/executeCommand", ask_params(uri)))
        assert set(result) == {"sessionId"}
    await editor.wait_for(lambda: len(client.messages) > before, "the message")
    await editor.request("skiff/status", {})  # both commands' tasks have run by now
    told = [m.message for m in client.messages[before:] if "presets are separate code actions" in m.message]
    assert len(told) == 1 and "Explain with agent" in told[0]
    assert editor.message_requests == []
    titles = [a.title for a in await actions_at(client, uri, line=4)]  # an empty range
    assert {"Fix with agent", "Explain with agent", "Add docstring with agent"} <= set(titles)
    action = next(a for a in await actions_at(client, uri, line=4) if a.title == "Explain with agent")
    command = action.command or (await client.code_action_resolve_async(action)).command
    assert command is not None and command.arguments is not None
    assert command.arguments[0]["range"] == {
        "start": {"line": 4, "character": 0},
        "end": {"line": 5, "character": 0},
    }


async def test_the_diff_is_shown_in_a_message_and_the_turn_says_it_started(client: LanguageClient):
    editor = ed(client)
    uri = editor.open("stats.py")
    before = len(client.messages)
    pid = await propose(client, uri)
    assert any(m.message.startswith("Skiff: working on") for m in client.messages[before:])
    await set_model(client, "test/hello")
    actions = {a.title: a for a in await actions_at(client, uri)}
    before = len(client.messages)
    shown = await run_action(client, actions[f"Skiff: Show diff of proposal {pid}"])
    assert shown["shown"] is False and client.shown_documents == []
    await editor.wait_for(lambda: len(client.messages) > before, "the diff message")
    message = client.messages[before].message
    assert message.startswith(f"Skiff: proposal {pid} (diff at {shown['path']}):")
    assert '+    """Return the mean."""' in message
    assert editor.applied == []
