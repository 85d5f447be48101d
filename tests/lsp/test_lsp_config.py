"""Configuration: invalid initializationOptions, workspace/configuration, didChangeConfiguration."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsp_editor import ed
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
INIT_OPTIONS = {"model": "test/hello", "skiffUi": True, "bash": {"mode": "sometimes"}}  # invalid
CONFIGURATION = {
    "skiff": {"actions": [{"title": "From configuration", "prompt": "Do the configured thing."}]}
}


def action(title: str) -> dict[str, Any]:
    return {"title": title, "prompt": f"{title}, please."}


async def titles(client: LanguageClient) -> list[str]:
    uri = ed(client).uri("stats.py")
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    return [a.title for a in result or []]


async def has_action(client: LanguageClient, title: str) -> None:
    """Poll the code actions until `title` is listed (configuration is applied asynchronously)."""
    for _ in range(500):
        if title in await titles(client):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"code action {title!r} never appeared")


def errors(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == lsp.MessageType.Error]


async def test_invalid_initialization_options_are_reported_and_configuration_is_pulled(
    client: LanguageClient,
):
    editor = ed(client)
    await editor.wait_for(lambda: errors(client), "the configuration error")
    assert errors(client)[0] == (
        "Skiff: invalid configuration: key 'bash.mode': Input should be 'auto', 'accept-all' or 'manual'"
    )
    await has_action(client, "From configuration")  # workspace/configuration, section skiff


async def test_did_change_configuration_pushes_pulls_and_keeps_the_last_good_settings(client: LanguageClient):
    editor = ed(client)
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"skiff": {"actions": [action("Pushed")]}})
    )
    await has_action(client, "Pushed")

    before = len(errors(client))
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"skiff": {"proposals": {"mode": "sometimes"}}})
    )
    await editor.wait_for(lambda: len(errors(client)) > before, "the error message")
    assert "key 'proposals.mode'" in errors(client)[-1]
    assert "Pushed" in await titles(client)  # the last good configuration stays

    client.set_configuration({"skiff": {"actions": [action("Pulled")]}})
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await has_action(client, "Pulled")
    assert "Pushed" not in await titles(client)
