"""The proposal store: pinned versions, versioned annotated WorkspaceEdits, rebase, resolve and undo.

A proposal is pending until resolved. Resolving re-reads every affected document (buffer or disk), rebases
hunks onto text that changed since (a `conflict` answer, the proposal still pending, when a hunk no longer
applies where the user reviewed it), and sends the accepted hunks through `workspace/applyEdit` with
versioned `documentChanges`, `CreateFile`/`DeleteFile` resource operations and one `needsConfirmation`
change annotation per hunk. `applied: false` keeps it pending; undo applies the inverse while the text is
still what the proposal left. Every new proposal and change of state goes to `on_change` (the session
store), and stored records come back through `record_from_store`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lsprotocol import types as lsp

from skiff.agent.proposal import (
    FileChange,
    HunkConflict,
    Proposal,
    ProposalConflict,
    make_change,
    proposal_from_store,
    proposal_to_store,
)
from skiff.agent.session_store import blocked_hunks
from skiff.agent.textdiff import split_lines
from skiff.server.documents import Buffers, Encoding, position_at

log = logging.getLogger(__name__)

Status = Literal["pending", "applied", "partially_applied", "rejected", "undone"]
STATUSES: frozenset[str] = frozenset({"pending", "applied", "partially_applied", "rejected", "undone"})
ApplyEdit = Callable[[lsp.WorkspaceEdit, str], Awaitable[lsp.ApplyWorkspaceEditResult]]


class EditUnsupported(Exception):
    """The client cannot express this edit (e.g. file creation without resource operations)."""


@dataclass
class EditCapabilities:
    """What the client's `workspace.workspaceEdit` capabilities allow."""

    document_changes: bool = True
    resource_operations: frozenset[str] = frozenset({"create", "rename", "delete"})
    change_annotations: bool = True

    @classmethod
    def of(cls, caps: lsp.ClientCapabilities | None) -> EditCapabilities:
        ws_edit = caps.workspace.workspace_edit if caps and caps.workspace else None
        if ws_edit is None:
            return cls(False, frozenset(), False)
        ops = frozenset(str(getattr(op, "value", op)) for op in ws_edit.resource_operations or [])
        # resourceOperations only exist inside documentChanges, so advertising them implies support.
        return cls(
            bool(ws_edit.document_changes) or bool(ops), ops, ws_edit.change_annotation_support is not None
        )


@dataclass
class AppliedFile:
    """What an applied edit did to one file, for undo: `before`/`after` are None for a missing file."""

    path: str
    abs_path: Path
    before: str | None
    after: str | None


@dataclass
class Record:
    proposal: Proposal
    session_id: str
    versions: dict[str, int | None]
    status: Status = "pending"
    applied_hunks: list[str] = field(default_factory=list)
    applied_files: list[AppliedFile] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # hunk id -> why it cannot be applied
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def id(self) -> str:
        return self.proposal.id


@dataclass
class PreparedEdit:
    edit: lsp.WorkspaceEdit
    hunks: list[str]
    rebased: bool
    files: list[AppliedFile]


class EditBuilder:
    """Accumulates file changes into one WorkspaceEdit for the client's capabilities."""

    def __init__(self, encoding: Encoding, caps: EditCapabilities, label: str, description: str = "") -> None:
        self.encoding: Encoding = encoding
        self.caps = caps
        self.label = label
        self.description = description[:300]
        self.document_changes: list[Any] = []
        self.changes: dict[str, list[lsp.TextEdit]] = {}
        self.annotations: dict[str, lsp.ChangeAnnotation] = {}

    def _annotation(self, key: str, title: str) -> str | None:
        if not (self.caps.document_changes and self.caps.change_annotations):
            return None
        self.annotations.setdefault(
            key,
            lsp.ChangeAnnotation(
                label=f"{self.label}: {title}", needs_confirmation=True, description=self.description or None
            ),
        )
        return key

    def _need_op(self, op: str, path: str) -> None:
        if not self.caps.document_changes or op not in self.caps.resource_operations:
            raise EditUnsupported(f"the editor cannot {op} files through a workspace edit ({path})")

    def text_edits(
        self, uri: str, version: int | None, base: str, edits: list[tuple[int, int, str, str]]
    ) -> None:
        """Replace base[start:end] with text for each (start, end, text, annotation key)."""
        if not edits:
            return
        out: list[lsp.TextEdit | lsp.AnnotatedTextEdit] = []
        for start, end, text, key in edits:
            s = position_at(base, start, self.encoding)
            e = position_at(base, end, self.encoding)
            rng = lsp.Range(lsp.Position(*s), lsp.Position(*e))
            annotation = self._annotation(key, key.rsplit(":", 1)[-1])
            if annotation is not None:
                out.append(lsp.AnnotatedTextEdit(range=rng, new_text=text, annotation_id=annotation))
            else:
                out.append(lsp.TextEdit(range=rng, new_text=text))
        if self.caps.document_changes:
            doc = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            self.document_changes.append(lsp.TextDocumentEdit(text_document=doc, edits=out))
        else:
            self.changes.setdefault(uri, []).extend(
                lsp.TextEdit(range=x.range, new_text=x.new_text) for x in out
            )

    def create(self, uri: str, path: str, text: str, key: str) -> None:
        self._need_op("create", path)
        self.document_changes.append(
            lsp.CreateFile(
                uri=uri,
                options=lsp.CreateFileOptions(overwrite=False, ignore_if_exists=False),
                annotation_id=self._annotation(key, f"create {path}"),
            )
        )
        if text:
            self.text_edits(uri, None, "", [(0, 0, text, key)])

    def delete(self, uri: str, path: str, key: str) -> None:
        self._need_op("delete", path)
        self.document_changes.append(
            lsp.DeleteFile(
                uri=uri,
                options=lsp.DeleteFileOptions(ignore_if_not_exists=True),
                annotation_id=self._annotation(key, f"delete {path}"),
            )
        )

    def build(self) -> lsp.WorkspaceEdit:
        if self.caps.document_changes:
            return lsp.WorkspaceEdit(
                document_changes=self.document_changes, change_annotations=self.annotations or None
            )
        return lsp.WorkspaceEdit(changes=self.changes)


def hunk_offsets(change: FileChange, hunk_ids: set[str] | None = None) -> list[tuple[str, int, int, str]]:
    """(hunk id, start, end, new text) of each chosen hunk, as offsets into change.base_text."""
    base_lines = split_lines(change.base_text or "")
    out = []
    for h in change.hunks:
        if hunk_ids is None or h.id in hunk_ids:
            e = h.text_edit(base_lines)
            out.append((h.id, e.start, e.end, e.new_text))
    return out


def subset(change: FileChange, hunk_ids: set[str]) -> FileChange:
    """The change restricted to the chosen hunks."""
    hunks = [h for h in change.hunks if h.id in hunk_ids]
    if change.kind != "modify":
        return change
    out = FileChange(change.path, change.abs_path, change.base_text, None, hunks)
    out.new_text = out.apply()
    return out


def record_to_store(record: Record) -> dict[str, Any]:
    """The record as plain data for the session store: the proposal, its state and what undo needs."""
    return {
        "id": record.id,
        "sessionId": record.session_id,
        "status": record.status,
        "appliedHunks": list(record.applied_hunks),
        "appliedFiles": [
            {"path": f.path, "before": f.before, "after": f.after} for f in record.applied_files
        ],
        "proposal": proposal_to_store(record.proposal),
        "redacted": bool(record.blocked),  # stays blocked after it is saved again
    }


def record_from_store(data: dict[str, Any], root: Path) -> Record:
    """A record read back from the session store; raises KeyError/TypeError/ValueError when malformed.
    Document versions pinned by an earlier server mean nothing now: every version is unknown. Hunks whose
    new text lost a secret to the store's redaction are blocked (a conflict when accepted)."""
    proposal = proposal_from_store(data["proposal"], root)
    status = str(data.get("status", "pending"))
    if status not in STATUSES:
        raise ValueError(f"unknown proposal status {status!r}")
    files = []
    for f in data.get("appliedFiles", []):
        path = str(f["path"])
        before, after = f.get("before"), f.get("after")
        if not all(x is None or isinstance(x, str) for x in (before, after)):
            raise TypeError("applied file texts must be strings or null")
        files.append(AppliedFile(path, (root / path).resolve(), before, after))
    return Record(
        proposal,
        str(data["sessionId"]),
        {c.path: None for c in proposal.changes},
        status,  # type: ignore[arg-type]
        [str(h) for h in data.get("appliedHunks", [])],
        files,
        blocked_hunks(data),
    )


class ProposalStore:
    """Every proposal of this server, by id, with its resolution state. `on_change` (the session store's
    hook) is told of every new proposal and every change of state."""

    def __init__(self, documents: Buffers) -> None:
        self.documents = documents
        self.records: dict[str, Record] = {}
        self.on_change: Callable[[Record], None] | None = None
        self.loader: Callable[[], None] | None = None  # brings back stored proposals before a lookup

    def _changed(self, record: Record) -> None:
        if self.on_change is not None:
            try:
                self.on_change(record)
            except Exception:
                log.exception("saving proposal %s failed", record.id)

    def add(self, proposal: Proposal, session_id: str) -> Record:
        """Register a new pending proposal, pinning each open document's current version."""
        versions: dict[str, int | None] = {}
        for change in proposal.changes:
            doc = self.documents.by_path(change.abs_path)
            versions[change.path] = doc.version if doc is not None else None
        record = Record(proposal, session_id, versions)
        self.records[proposal.id] = record
        self._changed(record)
        return record

    def restore(self, record: Record) -> None:
        """Register a record read back from the session store (unless this server already has it)."""
        self.records.setdefault(record.id, record)

    def get(self, proposal_id: str) -> Record | None:
        if self.loader is not None:
            self.loader()
        return self.records.get(proposal_id)

    def pending_for(self, path: Path) -> list[Record]:
        if self.loader is not None:
            self.loader()
        return [
            r
            for r in self.records.values()
            if r.status == "pending" and any(c.abs_path == path for c in r.proposal.changes)
        ]

    # -- wire shapes -------------------------------------------------------------------------------

    def wire(self, record: Record, full: bool = False) -> dict[str, Any]:
        enc = self.documents.encoding
        files = []
        for change in record.proposal.changes:
            base = change.base_text or ""
            hunks = []
            for hunk_id, start, end, new_text in hunk_offsets(change):
                s, e = position_at(base, start, enc), position_at(base, end, enc)
                hunks.append(
                    {
                        "id": hunk_id,
                        "range": {
                            "start": {"line": s[0], "character": s[1]},
                            "end": {"line": e[0], "character": e[1]},
                        },
                        "oldText": base[start:end],
                        "newText": new_text,
                    }
                )
            entry: dict[str, Any] = {
                "uri": self.documents.uri_for(change.abs_path),
                "path": change.path,
                "kind": change.kind,
                "version": record.versions.get(change.path),
                "diff": change.diff(),
                "hunks": hunks,
            }
            if full:
                entry["baseText"] = change.base_text
                entry["newText"] = change.new_text
            files.append(entry)
        out: dict[str, Any] = {
            "id": record.id,
            "sessionId": record.session_id,
            "status": record.status,
            "summary": record.proposal.summary,
            "files": files,
        }
        if record.proposal.verification is not None:
            out["verification"] = record.proposal.verification
        return out

    # -- edits -------------------------------------------------------------------------------------

    def prepare(self, record: Record, accept: set[str], caps: EditCapabilities) -> PreparedEdit:
        """The WorkspaceEdit applying the accepted hunks to the documents as they are now.

        Raises ProposalConflict listing every accepted hunk that no longer applies (a document changed
        where the hunk or its reviewed context lies), and EditUnsupported when the client cannot express
        a needed resource operation.
        """
        proposal = record.proposal
        builder = EditBuilder(
            self.documents.encoding, caps, f"Skiff proposal {proposal.id}", proposal.summary
        )
        rebased = False
        hunks: list[str] = []
        files: list[AppliedFile] = []
        conflicts: list[HunkConflict] = []
        for change in proposal.changes:
            chosen = {h.id for h in change.hunks} & accept
            if not chosen:
                continue
            blocked = [
                HunkConflict(change.path, h, record.blocked[h]) for h in sorted(chosen & set(record.blocked))
            ]
            if blocked:
                conflicts.extend(blocked)
                continue
            uri = self.documents.uri_for(change.abs_path)
            doc = self.documents.by_path(change.abs_path)
            current = self.documents.text_of(change.abs_path)
            key = f"{proposal.id}:{change.hunks[0].id}"
            first = change.hunks[0].id
            if change.kind == "create":
                if current is not None and current != change.new_text:
                    conflicts.append(HunkConflict(change.path, first, "the file was created since"))
                    continue
                if current is None:
                    builder.create(uri, change.path, change.new_text or "", key)
                    files.append(AppliedFile(change.path, change.abs_path, None, change.new_text))
            elif change.kind == "delete":
                if current is not None and current != change.base_text:
                    conflicts.append(HunkConflict(change.path, first, "the file was edited since"))
                    continue
                if current is not None:
                    builder.delete(uri, change.path, key)
                    files.append(AppliedFile(change.path, change.abs_path, current, None))
            else:
                if current is None:
                    conflicts.extend(
                        HunkConflict(change.path, h.id, "the file was deleted since")
                        for h in change.hunks
                        if h.id in chosen
                    )
                    continue
                part = subset(change, chosen)
                if current != part.base_text:
                    try:
                        part = part.rebase(current)
                    except ProposalConflict as exc:
                        conflicts.extend(exc.conflicts)
                        continue
                    rebased = True
                version = doc.version if doc is not None else None
                edits = [(s, e, t, f"{proposal.id}:{hid}") for hid, s, e, t in hunk_offsets(part)]
                builder.text_edits(uri, version, current, edits)
                files.append(AppliedFile(change.path, change.abs_path, current, part.apply()))
            hunks.extend(h.id for h in change.hunks if h.id in chosen)
        if conflicts:
            raise ProposalConflict.of(conflicts)
        return PreparedEdit(builder.build(), hunks, rebased, files)

    def prepare_undo(self, record: Record, caps: EditCapabilities) -> PreparedEdit:
        """The inverse of the applied edit; ProposalConflict when a file was edited since."""
        builder = EditBuilder(self.documents.encoding, caps, f"Undo Skiff proposal {record.id}")
        for n, f in enumerate(record.applied_files):
            current = self.documents.text_of(f.abs_path)
            if current != f.after:
                raise ProposalConflict(f"{f.path} was edited since the proposal was applied; cannot undo")
            uri = self.documents.uri_for(f.abs_path)
            key = f"undo-{record.id}:f{n + 1}"
            if f.after is None:
                builder.create(uri, f.path, f.before or "", key)
            elif f.before is None:
                builder.delete(uri, f.path, key)
            else:
                inverse = make_change(f.path, f.abs_path, f.after, f.before)
                doc = self.documents.by_path(f.abs_path)
                edits = [(s, e, t, f"{key}-{hid}") for hid, s, e, t in hunk_offsets(inverse)]
                builder.text_edits(uri, doc.version if doc else None, f.after, edits)
        return PreparedEdit(builder.build(), [], False, [])

    # -- resolution ----------------------------------------------------------------------------------

    async def resolve(
        self, record: Record, accept: str | list[str], caps: EditCapabilities, apply_edit: ApplyEdit
    ) -> dict[str, Any]:
        """Accept all, none or some hunks. A hunk that no longer applies makes the answer
        `{"status": "conflict", "conflicts": [...]}` and applies nothing (the proposal stays pending).
        Raises ValueError for unknown hunk ids, ResolveError for a resolved proposal and EditUnsupported
        when the client cannot express the edit."""
        async with record.lock:
            if record.status != "pending":
                raise ResolveError(f"proposal {record.id} is {record.status}, not pending")
            all_ids = record.proposal.hunk_ids()
            if accept == "all":
                chosen = set(all_ids)
            elif accept == "none" or accept == []:
                record.status = "rejected"
                self._changed(record)
                return {"status": "rejected", "appliedHunks": [], "rebased": False}
            else:
                unknown = [h for h in accept if h not in all_ids]
                if unknown:
                    raise ValueError(f"unknown hunk id(s) {unknown}; proposal {record.id} has {all_ids}")
                chosen = set(accept)
            try:
                prepared = self.prepare(record, chosen, caps)
            except ProposalConflict as exc:
                return {
                    "status": "conflict",
                    "appliedHunks": [],
                    "rebased": False,
                    "conflicts": [c.to_dict() for c in exc.conflicts],
                    "message": f"nothing was applied: {exc}",
                }
            if _has_changes(prepared.edit):
                result = await apply_edit(prepared.edit, f"Skiff: apply proposal {record.id}")
                if not result.applied:
                    reason = result.failure_reason or "no reason given"
                    return {
                        "status": "pending",
                        "appliedHunks": [],
                        "rebased": prepared.rebased,
                        "message": f"the editor did not apply the edit: {reason}",
                    }
            record.status = "applied" if chosen == set(all_ids) else "partially_applied"
            record.applied_hunks = [h for h in all_ids if h in chosen]
            record.applied_files = prepared.files
            self._changed(record)
            return {
                "status": record.status,
                "appliedHunks": record.applied_hunks,
                "rebased": prepared.rebased,
            }

    async def undo(self, record: Record, caps: EditCapabilities, apply_edit: ApplyEdit) -> dict[str, Any]:
        async with record.lock:
            if record.status not in ("applied", "partially_applied"):
                raise ResolveError(
                    f"proposal {record.id} is {record.status}; only applied proposals can be undone"
                )
            prepared = self.prepare_undo(record, caps)
            if _has_changes(prepared.edit):
                result = await apply_edit(prepared.edit, f"Skiff: undo proposal {record.id}")
                if not result.applied:
                    reason = result.failure_reason or "no reason given"
                    raise ResolveError(f"the editor did not apply the undo edit: {reason}")
            record.status = "undone"
            self._changed(record)
            return {"status": "undone"}


class ResolveError(Exception):
    """The proposal is not in a state that allows the request (resolved twice, undo of a pending one)."""


def _has_changes(edit: lsp.WorkspaceEdit) -> bool:
    return bool(edit.document_changes or edit.changes)
