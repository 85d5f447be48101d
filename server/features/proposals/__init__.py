"""Proposals: `skiff/proposal`, `skiff/resolveProposal`, `skiff/undoProposal` and the proposal commands.

The store (`store.py`) pins versions, builds the versioned, annotated WorkspaceEdits, rebases and
resolves; this module answers the requests, sends the edits through the client, and, for clients without
Skiff's UI, reviews through diff files and messages (`plain_review.py`) and applies directly in `direct`
mode.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from skiff.agent.proposal import ProposalConflict
from skiff.server import params as p
from skiff.server.client import Client
from skiff.server.features.proposals.plain_review import (
    Mode,
    announcement,
    diff_message,
    effective_mode,
    supports_show_document,
    write_diff,
)
from skiff.server.features.proposals.store import (
    EditCapabilities,
    EditUnsupported,
    ProposalStore,
    Record,
    ResolveError,
)
from skiff.server.settings import SettingsManager

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer

log = logging.getLogger(__name__)


class ProposalRequests:
    """Resolve, undo and show proposals for this client."""

    def __init__(self, client: Client, store: ProposalStore, settings: SettingsManager) -> None:
        self.client = client
        self.store = store
        self.settings = settings

    def mode(self) -> Mode:
        """`review` or `direct` for this client (see plain_review.effective_mode)."""
        current = self.settings.current
        return effective_mode(current.proposals.mode, current.skiff_ui, self.client.capabilities)

    def plain_review(self) -> bool:
        """Proposals wait and are reviewed through diff files and code actions (no Skiff UI)."""
        return not self.settings.current.skiff_ui and self.mode() == "review"

    def edit_caps(self) -> EditCapabilities:
        return EditCapabilities.of(self.client.capabilities)

    def record(self, proposal_id: str) -> Record:
        record = self.store.get(proposal_id)
        if record is None:
            raise JsonRpcInvalidParams(f"invalid params: key 'id': unknown proposal '{proposal_id}'")
        return record

    async def resolve(self, params: p.ResolveParams) -> dict[str, Any]:
        record = self.record(params.id)
        try:
            result = await self.store.resolve(record, params.accept, self.edit_caps(), self.client.apply_edit)
        except ValueError as exc:  # unknown hunk ids (ProposalConflict is not a ValueError)
            raise JsonRpcInvalidParams(f"invalid params: key 'accept': {exc}") from None
        except (ProposalConflict, EditUnsupported, ResolveError) as exc:
            raise p.RequestFailed(f"cannot apply proposal {record.id}: {exc}") from None
        except JsonRpcException as exc:  # the client answered applyEdit with an error (Eglot's "no")
            if self.settings.current.skiff_ui:
                raise
            result = {"status": "pending", "message": f"the editor did not apply the edit: {exc.message}"}
        if result["status"] == "pending" and result.get("message") and not self.settings.current.skiff_ui:
            return await self._declined(record, str(result["message"]))
        return result

    async def _declined(self, record: Record, reason: str) -> dict[str, Any]:
        """A plain client declined the edit: the proposal is rejected (it leaves the code actions)."""
        result = await self.store.resolve(record, "none", self.edit_caps(), self.client.apply_edit)
        self.client.show_message(f"Skiff: proposal {record.id} rejected: {reason}", lsp.MessageType.Info)
        return {**result, "message": reason}

    async def undo(self, params: p.IdParams) -> dict[str, Any]:
        record = self.record(params.id)
        try:
            return await self.store.undo(record, self.edit_caps(), self.client.apply_edit)
        except (ProposalConflict, EditUnsupported, ResolveError) as exc:
            raise p.RequestFailed(f"cannot undo proposal {record.id}: {exc}") from None

    async def show(self, params: p.IdParams) -> dict[str, Any]:
        """`skiff.showProposal`: write the diff file and open it (showDocument) or show it in a message."""
        record = self.record(params.id)
        path = write_diff(record)
        shown = False
        if supports_show_document(self.client.capabilities):
            try:
                shown = await self.client.show_document(path.as_uri())
            except Exception as exc:
                log.warning("window/showDocument failed: %s", exc)
        if not shown:
            self.client.show_message(diff_message(record, path))
        return {"id": record.id, "uri": path.as_uri(), "path": str(path), "shown": shown}

    def announce(self, proposal_ids: list[str]) -> None:
        """Plain review: write each waiting proposal's diff and say where it is and how to resolve it."""
        for pid in proposal_ids:
            record = self.store.get(pid)
            if record is not None and record.status == "pending":
                self.client.show_message(announcement(record, write_diff(record)))

    async def apply_directly(self, proposal_ids: list[str]) -> None:
        """Direct mode: send every hunk to the editor at once (it asks for confirmation per annotation)."""
        for pid in proposal_ids:
            try:
                result = await self.resolve(p.ResolveParams(id=pid, accept="all"))
            except JsonRpcException as exc:
                self.client.show_message(f"Skiff: {exc.message}", lsp.MessageType.Error)
                continue
            self.report_resolution(pid, result, quiet=True)

    def report_resolution(self, pid: str, result: dict[str, Any], quiet: bool = False) -> None:
        """Tell a plain client what resolving did (a decline was already reported by _declined)."""
        status = str(result.get("status", ""))
        if status in ("pending", "conflict") and result.get("message"):
            self.client.show_message(f"Skiff: proposal {pid}: {result['message']}", lsp.MessageType.Warning)
        elif not quiet and not result.get("message"):
            self.client.show_message(f"Skiff: proposal {pid} {status.replace('_', ' ')}")


def setup(server: SkiffLanguageServer) -> ProposalRequests:
    requests = ProposalRequests(server.client, server.proposals, server.settings)

    @server.feature("skiff/proposal")
    def proposal(params: Any) -> dict[str, Any]:
        args = p.parse(p.IdParams, params)
        return requests.store.wire(requests.record(args.id), full=True)

    @server.feature("skiff/resolveProposal")
    async def resolve_proposal(params: Any) -> dict[str, Any]:
        return await requests.resolve(p.parse(p.ResolveParams, params))

    @server.feature("skiff/undoProposal")
    async def undo_proposal(params: Any) -> dict[str, Any]:
        return await requests.undo(p.parse(p.IdParams, params))

    @server.command(p.SHOW)
    async def cmd_show(*args: Any) -> dict[str, Any]:
        return await requests.show(p.parse(p.IdParams, args[0] if args else None))

    @server.command(p.RESOLVE)
    async def cmd_resolve(*args: Any) -> dict[str, Any]:
        params = p.parse(p.ResolveArgs, args[0] if args else None)
        result = await requests.resolve(params)
        if not requests.settings.current.skiff_ui:  # a plain client shows nothing of the result otherwise
            requests.report_resolution(params.id, result)
        return result

    @server.command(p.UNDO)
    async def cmd_undo(*args: Any) -> dict[str, Any]:
        return await requests.undo(p.parse(p.IdParams, args[0] if args else None))

    return requests
