"""Review for clients without Skiff's UI: the effective proposal mode, diff files, announcements, asking.

A plain LSP client (Eglot, Helix, Sublime, Zed) has no per-hunk review. In `review` mode a proposal waits;
its unified diff is written to `<cache>/skiff/proposals/<id>.diff`, the waiting proposal is announced
with `window/showMessage`, and code actions show the diff (`window/showDocument` where the client
supports it, else the diff text in a message), accept or reject it. An edit the editor declines (Eglot's
"no") rejects the proposal with an info message. The preset question of `Ask agent…` is asked only where
the client advertises `window.showMessage.messageActionItem`, after `workspace/executeCommand` was
answered, with a timeout; otherwise the presets are offered as separate code actions.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from skiff.server.features.proposals.store import Record

Mode = Literal["review", "direct"]
PRESET_TIMEOUT = 120.0  # seconds the preset question waits for an answer
DIFF_MESSAGE_LIMIT = 6000  # characters of diff shown in a message where showDocument is missing
# Seconds between a command's answer and the first message of the work it started. Emacs 28's jsonrpc
# leaves a message that arrives in the same read as the answer to a synchronous request unread until more
# output comes (Eglot 1.9 would show "working on …" only when the turn ends).
REPLY_GAP = 0.2


def cache_dir() -> Path:
    """The user's cache folder for Skiff: $XDG_CACHE_HOME/skiff (~/.cache/skiff), per platform."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "skiff"


def proposal_diff(record: Record) -> str:
    """The proposal as one unified diff, after `#` comment lines naming it (patch and diff-mode skip them)."""
    proposal = record.proposal
    head = [f"# Skiff proposal {proposal.id}"]
    head += [f"# {line}" for line in proposal.summary.strip().splitlines()[:5] if line.strip()]
    body = "".join(c.diff() for c in proposal.changes)
    if body and not body.endswith("\n"):
        body += "\n"
    return "\n".join(head) + "\n" + body


def write_diff(record: Record) -> Path:
    """Write (or rewrite) the proposal's diff file and return its path."""
    folder = cache_dir() / "proposals"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.id}.diff"
    path.write_text(proposal_diff(record), encoding="utf-8")
    return path


def supports_show_document(caps: lsp.ClientCapabilities | None) -> bool:
    window = caps.window if caps else None
    return bool(window and window.show_document and window.show_document.support)


def can_ask(caps: lsp.ClientCapabilities | None) -> bool:
    """Whether the client says it answers `window/showMessageRequest` with a choice of actions."""
    window = caps.window if caps else None
    return bool(window and window.show_message and window.show_message.message_action_item is not None)


def effective_mode(configured: str, skiff_ui: bool, caps: lsp.ClientCapabilities | None) -> Mode:
    """`auto`: review for Skiff's UI and for plain clients that can open the diff or confirm nothing
    themselves; direct (annotated applyEdit, the client confirms each change) only for a plain client that
    supports change annotations but not `window/showDocument`."""
    if configured in ("review", "direct"):
        return configured  # type: ignore[return-value]
    if skiff_ui or supports_show_document(caps):
        return "review"
    ws_edit = caps.workspace.workspace_edit if caps and caps.workspace else None
    if ws_edit is not None and ws_edit.change_annotation_support is not None:
        return "direct"
    return "review"


def announcement(record: Record, path: Path) -> str:
    files = ", ".join(c.path for c in record.proposal.changes)
    return (
        f"Skiff: a proposal is waiting ({record.id}: {files}): Accept/Reject from the code actions "
        f"(Skiff: Accept proposal {record.id}), diff at {path}"
    )


def diff_message(record: Record, path: Path) -> str:
    text = proposal_diff(record)
    if len(text) > DIFF_MESSAGE_LIMIT:
        text = text[:DIFF_MESSAGE_LIMIT] + f"\n… (the whole diff is in {path})"
    return f"Skiff: proposal {record.id} (diff at {path}):\n{text}"
