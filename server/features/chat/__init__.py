"""Chat: `skiff/chat` turns, `skiff/cancel` (and the `skiff.cancel` command), `skiff/sessions`,
`skiff/session`.

`sessions.py` keeps the sessions and their records in the session store, `turns.py` runs each turn as its
own task, `updates.py` turns agent events into `skiff/update` notifications, `context.py` builds the
request context from the editor's buffers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skiff.server import params as p
from skiff.server.features.asking import Asking
from skiff.server.features.chat.context import build_context
from skiff.server.features.chat.turns import TurnRequest, Turns
from skiff.server.features.proposals import ProposalRequests

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer


def setup(server: SkiffLanguageServer, proposals: ProposalRequests, asking: Asking) -> Turns:
    sessions, documents = server.sessions, server.documents
    turns = Turns(server.client, documents, server.settings, server.models, sessions, proposals, asking)

    @server.feature("skiff/chat")
    async def chat(params: Any) -> dict[str, Any]:
        args = p.parse(p.ChatParams, params)
        entry = sessions.entry(args.session_id)
        ctx = args.context
        context = build_context(documents, ctx.uri, ctx.range, ctx.diagnostics) if ctx is not None else None
        request = TurnRequest(args.prompt, context, args.work_done_token, send_updates=True)
        return await turns.start(entry, request)

    @server.feature("skiff/cancel")
    def cancel(params: Any) -> dict[str, Any]:
        args = p.parse(p.SessionParams, params)
        sessions.entry(args.session_id)
        return {"cancelled": sessions.cancel(args.session_id)}

    @server.command(p.CANCEL)
    def cmd_cancel(*args: Any) -> dict[str, Any]:
        params = p.parse(p.CancelArgs, args[0] if args else None)
        sessions.entry(params.session_id)
        return {"cancelled": sessions.cancel(params.session_id)}

    @server.feature("skiff/sessions")
    def list_sessions(params: Any) -> dict[str, Any]:
        return {"sessions": [sessions.describe(e) for e in sessions.all().values()]}

    @server.feature("skiff/session")
    def session(params: Any) -> dict[str, Any]:
        args = p.parse(p.SessionParams, params)
        return sessions.history(sessions.entry(args.session_id))

    return turns
