"""One turn with the real SmolLM2-135M GGUF, in process, through the server (not a quality test)."""

from __future__ import annotations

import pytest
from lsp_editor import chat, ed, plain, set_model
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.asyncio(loop_scope="module")]

KNOWN = {
    "agent_message_chunk",
    "agent_thought_chunk",
    "tool_call",
    "tool_call_update",
    "plan",
    "proposal",
    "usage",
    "mechanism",
    "error",
}


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_a_turn_with_the_real_smollm2_model(client: LanguageClient):
    editor = ed(client)
    editor.open("stats.py")
    await set_model(client, "embedded-test/smollm2")
    result = await chat(client, "Say hello in five words.")
    assert result["stopReason"] in {"end_turn", "max_turn_requests"}
    sid = result["sessionId"]
    updates = editor.updates(sid)
    assert updates, "the turn streamed updates"
    assert {u["sessionUpdate"] for u in updates} <= KNOWN
    assert not editor.updates(sid, "error")
    for u in editor.updates(sid, "agent_message_chunk"):
        assert u["content"]["type"] == "text" and isinstance(u["content"]["text"], str)
    last = updates[-1]
    assert last["sessionUpdate"] == "usage"
    assert last["completionTokens"] > 0 and last["promptTokens"] > 0
    assert result["usage"]["completionTokens"] == last["completionTokens"]
    status = plain(await editor.request("skiff/status", {}))
    assert status["model"] == "embedded-test/smollm2" and status["busy"] is False
