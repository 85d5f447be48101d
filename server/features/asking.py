"""Asking the user: permission before a shell command outside the bash policy runs or a tool opens a
secret-looking or .gitignored file, and the preset question of `Ask agent…`.

Permission: clients with Skiff's UI get `skiff/requestPermission` (shaped like ACP's
`session/request_permission`); others, or a Skiff client that fails to answer it, get
`window/showMessageRequest`. No usable answer means reject. If the turn is cancelled while the question is
open, the request is cancelled on the client. The preset question is asked only where the client says it
can answer one (server/features/proposals/plain_review.py, `can_ask`), with a timeout; otherwise the
presets are separate code actions, said once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from skiff.agent.tools.base import AskPermission, PermissionAnswer, PermissionRequest
from skiff.server.client import Client
from skiff.server.features.proposals.plain_review import PRESET_TIMEOUT, can_ask
from skiff.server.params import to_plain
from skiff.server.settings import SettingsManager

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


class Asking:
    """Questions to the user, and what this client showed it can answer."""

    def __init__(self, client: Client, settings: SettingsManager) -> None:
        self.client = client
        self.settings = settings
        self.told_presets = False  # said once that the presets are code actions (the client cannot ask)
        self.cannot_ask = False  # the client failed to answer a showMessageRequest

    def can_ask(self) -> bool:
        return not self.cannot_ask and can_ask(self.client.capabilities)

    # -- permission --------------------------------------------------------------------------------

    def permission_asker(self, session_id: str, current_call: Callable[[], str]) -> AskPermission:
        """The AskPermission callback of one session. `current_call` names the tool call being run."""
        client, settings = self.client, self.settings

        async def ask(request: PermissionRequest) -> PermissionAnswer:
            if settings.current.skiff_ui:
                try:
                    params = permission_params(session_id, current_call(), request)
                    return parse_answer(await client.request(REQUEST_PERMISSION, params))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the client failed to answer: fall back to a plain question
                    log.warning(
                        "skiff/requestPermission failed (%s); asking with window/showMessageRequest", exc
                    )
            question = lsp.ShowMessageRequestParams(
                type=lsp.MessageType.Warning,
                message=(
                    f"Skiff wants to run `{request.command}` ({request.reason})."
                    if request.tool == "bash"
                    else f"Skiff wants to open `{request.command}` with {request.tool}: {request.reason}."
                ),
                actions=[lsp.MessageActionItem(title=o["name"]) for o in OPTIONS],
            )
            try:
                item = await client.request(lsp.WINDOW_SHOW_MESSAGE_REQUEST, question)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("window/showMessageRequest failed (%s); rejecting", exc)
                return "reject"
            title = getattr(item, "title", None) if item is not None else None
            return TITLES.get(str(title), "reject")

        return ask

    # -- the preset question -----------------------------------------------------------------------

    async def pick_preset(self, titles: dict[str, str]) -> str | None:
        """Ask for one of `titles` (title -> preset name) where the client can answer, with a timeout;
        else point to the preset actions. None when nothing was chosen."""
        if not self.can_ask():
            self.tell_presets(list(titles))
            return None
        try:
            item = await asyncio.wait_for(
                self.client.show_message_request(
                    lsp.ShowMessageRequestParams(
                        type=lsp.MessageType.Info,
                        message="Skiff: what should the agent do with the selection?",
                        actions=[lsp.MessageActionItem(title=t) for t in titles],
                    )
                ),
                PRESET_TIMEOUT,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an error answer, or no answer in time
            log.warning("window/showMessageRequest failed: %s", exc or type(exc).__name__)
            self.cannot_ask = True
            self.tell_presets(list(titles))
            return None
        if item is None:
            self.client.show_message("Skiff: nothing chosen, nothing runs")
            return None
        return titles.get(getattr(item, "title", ""))

    def tell_presets(self, names: list[str]) -> None:
        """Say once that this client gets the presets as separate code actions."""
        if self.told_presets:
            return
        self.told_presets = True
        self.client.show_message(
            "Skiff: this editor cannot offer a choice here, so the presets are separate code actions: "
            f"{', '.join(names)} (or define your own `actions`)"
        )


def setup(server: SkiffLanguageServer) -> Asking:
    """No handlers of its own: the questions are asked by the turns (permission) and `skiff.ask`."""
    return Asking(server.client, server.settings)
