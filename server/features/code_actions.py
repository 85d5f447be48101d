"""Code actions: the list (presets, per-diagnostic fixes, user actions, proposal accept/reject), lazy
resolve, and the `skiff.ask` command they run.

The list is built from the request alone, never calling the model (listing must be instant). Every action
carries a `skiff.ask` (or proposal) command; nothing runs until the user picks one. Clients whose
`codeAction/resolve` support lists `command` get the command lazily from `data`. `skiff.ask` answers at
once and runs its turn in the background.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from skiff.server import params as p
from skiff.server.documents import uri_to_path
from skiff.server.features.asking import Asking
from skiff.server.features.chat.context import build_context
from skiff.server.features.chat.turns import TurnRequest, Turns
from skiff.server.features.proposals import ProposalRequests
from skiff.server.features.proposals.plain_review import REPLY_GAP
from skiff.server.params import ASK, COMMANDS, RESOLVE, SHOW, converter
from skiff.server.settings import UserAction

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    kind: str
    prompt: str
    edits: bool = True  # False: a text-only answer (shown with window/showMessage)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("fix", "Fix with agent", "quickfix", "Fix the problems in the selected code."),
        Preset(
            "explain",
            "Explain with agent",
            "refactor.rewrite",
            "Explain what the selected code does, briefly. Do not change any file.",
            edits=False,
        ),
        Preset(
            "docstring",
            "Add docstring with agent",
            "refactor.rewrite",
            "Add a docstring to the selected code, in the style the file already uses. Change nothing else.",
        ),
        Preset(
            "test",
            "Write a test with agent",
            "refactor.rewrite",
            "Write a unit test for the selected code, next to the existing tests if there are any.",
        ),
    ]
}


@dataclass
class ActionSupport:
    """The client's code action capabilities that shape the answer."""

    tags: bool = False
    lazy_command: bool = False
    review: bool = False  # plain-client review: a "Show diff" action before Accept / Reject
    presets_anywhere: bool = False  # the client cannot be asked for a preset: offer them on any range

    @classmethod
    def of(cls, caps: lsp.ClientCapabilities | None) -> ActionSupport:
        ca = caps.text_document.code_action if caps and caps.text_document else None
        if ca is None:
            return cls()
        tags = bool(ca.tag_support and lsp.CodeActionTag.LlmGenerated in ca.tag_support.value_set)
        lazy = bool(ca.resolve_support and "command" in ca.resolve_support.properties)
        return cls(tags, lazy)


def _diag_json(d: lsp.Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = converter().unstructure(d, lsp.Diagnostic)
    return out


def _range_json(r: lsp.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def _short(message: str, limit: int = 60) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "problem"
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _action(
    title: str,
    kind: str,
    command: str,
    args: dict[str, Any],
    support: ActionSupport,
    diagnostics: list[lsp.Diagnostic] | None = None,
) -> lsp.CodeAction:
    cmd = lsp.Command(title=title, command=command, arguments=[args])
    return lsp.CodeAction(
        title=title,
        kind=kind,
        diagnostics=diagnostics or None,
        command=None if support.lazy_command else cmd,
        data={"skiff": {"title": title, "command": command, "arguments": [args]}},
        tags=[lsp.CodeActionTag.LlmGenerated] if support.tags else None,
    )


def build_actions(
    params: lsp.CodeActionParams,
    support: ActionSupport,
    user_actions: list[UserAction],
    pending_proposals: list[str],
) -> list[lsp.CodeAction]:
    """All Skiff code actions for one request, filtered by `context.only`."""
    uri = params.text_document.uri
    rng = params.range
    rng_json = _range_json(rng)
    only = [str(getattr(k, "value", k)) for k in params.context.only] if params.context.only else None
    empty = rng.start == rng.end
    preset_range = rng_json
    if empty and support.presets_anywhere:  # the cursor's line
        line = rng.start.line
        preset_range = {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}}
    out: list[lsp.CodeAction] = []

    def add(
        title: str, kind: str, command: str, args: dict[str, Any], diags: list[lsp.Diagnostic] | None = None
    ) -> None:
        if _wanted(kind, only):
            out.append(_action(title, kind, command, args, support, diags))

    for diag in params.context.diagnostics:
        args = {
            "uri": uri,
            "range": _range_json(diag.range),
            "preset": "fix",
            "prompt": f"Fix this problem: {diag.message}",
            "diagnostics": [_diag_json(diag)],
        }
        add(f"Ask agent to fix: {_short(diag.message)}", "quickfix", ASK, args, [diag])
    add("Ask agent…", "refactor.rewrite", ASK, {"uri": uri, "range": rng_json})
    if not empty or support.presets_anywhere:
        diags = [_diag_json(d) for d in params.context.diagnostics]
        for preset in PRESETS.values():
            add(
                preset.title,
                preset.kind,
                ASK,
                {"uri": uri, "range": preset_range, "preset": preset.name, "diagnostics": diags},
            )
    for action in user_actions:
        add(action.title, action.kind, ASK, {"uri": uri, "range": rng_json, "prompt": action.prompt})
    for pid in pending_proposals:
        if support.review:
            add(f"Skiff: Show diff of proposal {pid}", "source", SHOW, {"id": pid})
        add(f"Skiff: Accept proposal {pid}", "source", RESOLVE, {"id": pid, "accept": "all"})
        add(f"Skiff: Reject proposal {pid}", "source", RESOLVE, {"id": pid, "accept": "none"})
    return out


def resolve_action(action: lsp.CodeAction) -> lsp.CodeAction:
    """Fill in the command from `data` (no model call)."""
    data = action.data.get("skiff") if isinstance(action.data, dict) else None
    if action.command is None and isinstance(data, dict) and data.get("command") in COMMANDS:
        action.command = lsp.Command(
            title=str(data.get("title", action.title)),
            command=data["command"],
            arguments=list(data.get("arguments", [])),
        )
    return action


def setup(server: SkiffLanguageServer, proposals: ProposalRequests, asking: Asking, turns: Turns) -> None:
    client, settings, stats = server.client, server.settings, server.stats
    sessions, documents = server.sessions, server.documents

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                lsp.CodeActionKind.RefactorRewrite,
                lsp.CodeActionKind.Source,
            ],
            resolve_provider=True,
        ),
    )
    def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        with stats.timed(lsp.TEXT_DOCUMENT_CODE_ACTION):
            support = ActionSupport.of(client.capabilities)
            if (
                proposals.plain_review()
            ):  # every waiting proposal, wherever the cursor is (new files included)
                support.review = True
                pending = [r.id for r in proposals.store.records.values() if r.status == "pending"]
            else:
                path = uri_to_path(params.text_document.uri)
                pending = [r.id for r in proposals.store.pending_for(path)] if path is not None else []
            support.presets_anywhere = not asking.can_ask()
            return build_actions(params, support, settings.current.actions, pending)

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    def code_action_resolve(params: lsp.CodeAction) -> lsp.CodeAction:
        with stats.timed(lsp.CODE_ACTION_RESOLVE):
            return resolve_action(params)

    @server.command(ASK)
    def cmd_ask(*args: Any) -> dict[str, Any]:
        """`skiff.ask`: start a background turn and answer with its session id at once. A synchronous
        handler, so the answer is sent before the turn task runs (and before any question it asks)."""
        ask = p.parse(p.AskArgs, args[0] if args else None)
        entry = sessions.get_or_create(None)

        async def run() -> None:
            await asyncio.sleep(REPLY_GAP)  # the answer goes out on its own (plain_review.REPLY_GAP)
            prompt = ask.prompt
            if prompt is None and ask.preset is None:
                preset = await asking.pick_preset({x.title: name for name, x in PRESETS.items()})
                if preset is None:
                    return
                ask.preset = preset
            if ask.preset is not None and ask.preset not in PRESETS:
                client.show_message(f"Skiff: unknown preset '{ask.preset}'", lsp.MessageType.Error)
                return
            if prompt is None:
                prompt = PRESETS[ask.preset or "fix"].prompt
            context = build_context(documents, ask.uri, ask.range, ask.diagnostics)
            request = TurnRequest(prompt, context, None, settings.current.skiff_ui, background=True)
            if not client.supports_progress() and not settings.current.skiff_ui:
                client.show_message(f'Skiff: working on "{entry.title}" (the result comes as a message)')
            try:
                result = await turns.start(entry, request)
            except asyncio.CancelledError:
                return
            except JsonRpcException as exc:
                client.show_message(f"Skiff: {exc.message}", lsp.MessageType.Error)
                return
            if proposals.plain_review():
                proposals.announce(result.get("proposalIds", []))

        entry.title = ask.prompt or (PRESETS[ask.preset].title if ask.preset in PRESETS else "Ask agent")
        task = asyncio.create_task(run())
        server.background.add(task)
        task.add_done_callback(server.background.discard)
        return {"sessionId": entry.id}
