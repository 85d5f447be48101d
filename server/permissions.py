"""Asking the user before a shell command outside the bash policy runs, or before a tool opens a
secret-looking or .gitignored file (read, grep: `kind` "read", `rawInput.path`).

Clients with Skiff's UI get `skiff/requestPermission` (shaped like ACP's `session/request_permission`);
others, or a Skiff client that fails to answer it, get `window/showMessageRequest`. No usable answer means
reject. If the turn is cancelled while the question is open, the request is cancelled on the client.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from skiff.agent.tools.base import AskPermission, PermissionAnswer, PermissionRequest
from skiff.server.params import to_plain

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer

log = logging.getLogger(__name__)

REQUEST_PERMISSION = "skiff/requestPermission"
OPTIONS = [
    {"optionId": "allow_once", "name": "Allow once", "kind": "allow_once"},
    {"optionId": "allow_always", "name": "Allow always", "kind": "allow_always"},
    {"optionId": "reject", "name": "Reject", "kind": "reject_once"},
]
ANSWERS: dict[str, PermissionAnswer] = {
    "allow_once": "allow_once",
    "allow_always": "allow_always",
    "reject": "reject",
}
TITLES: dict[str, PermissionAnswer] = {o["name"]: ANSWERS[o["optionId"]] for o in OPTIONS}


def permission_params(session_id: str, call_id: str, request: PermissionRequest) -> dict[str, Any]:
    runs = request.tool == "bash"
    return {
        "sessionId": session_id,
        "toolCall": {
            "toolCallId": call_id,
            "title": f"{request.tool}: {request.command}",
            "kind": "execute" if runs else "read",
            "rawInput": {"command": request.command} if runs else {"path": request.command},
        },
        "reason": request.reason,
        "options": OPTIONS,
    }


def parse_answer(result: Any) -> PermissionAnswer:
    """`{"outcome": {"outcome": "selected", "optionId": ...}}`; anything else is a reject."""
    data = to_plain(result)
    outcome = data.get("outcome") if isinstance(data, dict) else None
    if isinstance(outcome, dict) and outcome.get("outcome") == "selected":
        return ANSWERS.get(str(outcome.get("optionId")), "reject")
    return "reject"


async def _request(ls: SkiffLanguageServer, method: str, params: Any) -> Any:
    """A server -> client request that is cancelled on the client when the awaiting task is cancelled."""
    msg_id = f"skiff-{uuid.uuid4().hex[:12]}"
    try:
        return await ls.protocol.send_request_async(method, params, msg_id=msg_id)
    except asyncio.CancelledError:
        ls.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=msg_id))
        raise


def make_asker(ls: SkiffLanguageServer, session_id: str, current_call: Callable[[], str]) -> AskPermission:
    """The AskPermission callback of one session. `current_call` names the tool call being run."""

    async def ask(request: PermissionRequest) -> PermissionAnswer:
        if ls.settings.current.skiff_ui:
            try:
                result = await _request(
                    ls, REQUEST_PERMISSION, permission_params(session_id, current_call(), request)
                )
                return parse_answer(result)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the client failed to answer: fall back to a plain question
                log.warning("skiff/requestPermission failed (%s); asking with window/showMessageRequest", exc)
        params = lsp.ShowMessageRequestParams(
            type=lsp.MessageType.Warning,
            message=(
                f"Skiff wants to run `{request.command}` ({request.reason})."
                if request.tool == "bash"
                else f"Skiff wants to open `{request.command}` with {request.tool}: {request.reason}."
            ),
            actions=[lsp.MessageActionItem(title=o["name"]) for o in OPTIONS],
        )
        try:
            item = await _request(ls, lsp.WINDOW_SHOW_MESSAGE_REQUEST, params)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("window/showMessageRequest failed (%s); rejecting", exc)
            return "reject"
        title = getattr(item, "title", None) if item is not None else None
        return TITLES.get(str(title), "reject")

    return ask
