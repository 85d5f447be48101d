"""Session store: chat sessions, their proposals and traces on disk, one folder per workspace.

Layout under `$XDG_DATA_HOME/skiff/workspaces/<hash of the workspace root>/` (`~/.local/share` when
XDG_DATA_HOME is unset):

- `workspace.json`: the workspace root, for people reading the folder;
- `sessions/<id>.json`: a session's snapshot (title, model, messages, proposal ids, traces), replaced
  atomically (temp file + os.replace) at every update the client was shown;
- `sessions/<id>.stream`: text streamed since the last snapshot, appended line by line (JSON per line,
  tagged with the snapshot's `seq`), so a killed server keeps what was on screen without rewriting the
  whole snapshot for every chunk;
- `proposals/<id>.json`: a proposal with its state and what undo needs, replaced atomically.

Bounds (module constants, documented in docs/configuration.md): a session snapshot is trimmed to
MAX_SESSION_BYTES (traces first, then long message bodies, then the oldest messages), sessions not updated
for MAX_AGE_DAYS are deleted with their proposals, and the oldest sessions go when a workspace folder
exceeds MAX_WORKSPACE_BYTES or MAX_SESSIONS. A file that does not parse is skipped with one log line.
Everything written passes through agent/redact.py first, so no secret reaches the data dir; a stored
proposal whose new text had to be redacted cannot be accepted after a restart (`blocked_hunks`): it would
write the placeholder instead of what the user reviewed. No LSP imports: the CLI reads the same store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skiff.agent.messages import Message, ToolCall
from skiff.agent.redact import PLACEHOLDER
from skiff.agent.redact import redact as redact_text

log = logging.getLogger(__name__)

FORMAT = 1
MAX_SESSION_BYTES = 4 * 1024 * 1024  # one session snapshot
MAX_PROPOSAL_BYTES = 16 * 1024 * 1024  # one proposal (it holds the texts undo needs); larger: not kept
MAX_WORKSPACE_BYTES = 256 * 1024 * 1024  # everything stored for one workspace
MAX_SESSIONS = 200  # per workspace
MAX_AGE_DAYS = 30.0  # sessions (and their proposals) not updated for this long are deleted
MAX_TRACES = 1000  # per session, oldest dropped first
TRACE_TEXT_LIMIT = 4000  # characters of a tool result or arguments kept in a trace
MESSAGE_TRIM_LIMIT = 8000  # a message body longer than this is cut when a snapshot is over its bound

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


REDACTED_MARK = PLACEHOLDER.split("{", 1)[0]  # "[REDACTED:": what redaction leaves in stored text


def redact_for_store(value: Any, redact: Callable[[str], str] | None = None) -> Any:
    """`value` with every string passed through agent/redact.py (the one chokepoint for secrets), or
    through `redact` when given; dict keys are kept."""
    fn = redact or redact_text
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: redact_for_store(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_for_store(v, fn) for v in value]
    return value


def data_home() -> Path:
    """`$XDG_DATA_HOME/skiff` or `~/.local/share/skiff`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "skiff"


def workspace_key(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def atomic_write(path: Path, data: bytes, fsync: bool = False) -> None:
    """Write `data` to `path` through a temp file in the same folder and os.replace: readers (and a
    server killed mid-write) see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


@dataclass
class StoredSession:
    """A session as read back: its snapshot with the streamed tail merged in."""

    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def updated(self) -> float:
        return float(self.data.get("updated", 0.0))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.data.get("messages", []))


class SessionStore:
    """The sessions and proposals of one workspace on disk. Every method is safe against a bad file: it
    logs and carries on. Writes raise nothing either (a full disk is logged, the server keeps serving)."""

    def __init__(self, root: Path, home: Path | None = None, *, now: Callable[[], float] = time.time) -> None:
        self.root = root
        self.dir = (home or data_home()) / "workspaces" / workspace_key(root)
        self.sessions_dir = self.dir / "sessions"
        self.proposals_dir = self.dir / "proposals"
        self.now = now
        self.max_session_bytes = MAX_SESSION_BYTES
        self.max_proposal_bytes = MAX_PROPOSAL_BYTES
        self.max_workspace_bytes = MAX_WORKSPACE_BYTES
        self.max_sessions = MAX_SESSIONS
        self.max_age_days = MAX_AGE_DAYS
        self._redact: Callable[[str], str] = redact_text
        self._seq: dict[str, int] = {}

    # -- writing -------------------------------------------------------------------------------------

    def _prepare_dir(self) -> None:
        if not (self.dir / "workspace.json").exists():
            atomic_write(self.dir / "workspace.json", _dumps({"root": str(self.root), "format": FORMAT}))

    def save_session(self, data: dict[str, Any]) -> bool:
        """Replace the snapshot of session data["id"] and clear its streamed tail. False if not written."""
        sid = str(data.get("id", ""))
        if not _ID.match(sid):
            log.warning("session store: refusing to store a session with id %r", sid)
            return False
        seq = self._seq.get(sid, int(data.get("seq", 0))) + 1
        self._seq[sid] = seq
        snapshot = redact_for_store(
            {**data, "format": FORMAT, "seq": seq, "updated": self.now()}, self._redact
        )
        snapshot.setdefault("created", snapshot["updated"])
        blob = self._bounded(snapshot)
        try:
            self._prepare_dir()
            atomic_write(self.sessions_dir / f"{sid}.json", blob)
            with contextlib.suppress(FileNotFoundError):
                (self.sessions_dir / f"{sid}.stream").unlink()
        except OSError as exc:
            log.warning("session store: cannot write session %s: %s", sid, exc)
            return False
        return True

    def append_stream(self, session_id: str, text: str) -> None:
        """Append streamed assistant text shown to the user since the last snapshot."""
        if not _ID.match(session_id) or not text:
            return
        line = _dumps({"seq": self._seq.get(session_id, 0), "text": self._redact(text)}) + b"\n"
        try:
            self.sessions_dir.mkdir(parents=True, exist_ok=True)
            with open(self.sessions_dir / f"{session_id}.stream", "ab") as f:
                f.write(line)
        except OSError as exc:
            log.warning("session store: cannot append to session %s: %s", session_id, exc)

    def save_proposal(self, data: dict[str, Any]) -> bool:
        pid = str(data.get("id", ""))
        if not _ID.match(pid):
            log.warning("session store: refusing to store a proposal with id %r", pid)
            return False
        clean = redact_for_store({**data, "format": FORMAT, "updated": self.now()}, self._redact)
        if data.get("redacted") or clean.get("proposal") != data.get("proposal"):
            clean["redacted"] = True  # a secret in the texts was replaced: see proposal_blocked_hunks
        blob = _dumps(clean)
        if len(blob) > self.max_proposal_bytes:
            log.warning(
                "session store: proposal %s is %d bytes, over the %d-byte bound; not kept",
                pid,
                len(blob),
                self.max_proposal_bytes,
            )
            return False
        try:
            self._prepare_dir()
            atomic_write(self.proposals_dir / f"{pid}.json", blob, fsync=True)
        except OSError as exc:
            log.warning("session store: cannot write proposal %s: %s", pid, exc)
            return False
        return True

    def _bounded(self, snapshot: dict[str, Any]) -> bytes:
        """The snapshot as JSON within max_session_bytes: traces go first (oldest first), then long
        message bodies are cut, then the oldest messages go."""
        traces = snapshot.get("traces") or []
        if len(traces) > MAX_TRACES:
            snapshot["traces"] = traces = traces[-MAX_TRACES:]
        blob = _dumps(snapshot)
        limit = self.max_session_bytes
        while len(blob) > limit and traces:
            traces = traces[len(traces) // 2 + 1 :] if len(traces) > 1 else []
            snapshot["traces"] = traces
            blob = _dumps(snapshot)
        if len(blob) > limit:
            for m in snapshot.get("messages", []):
                for key in ("content", "expanded"):
                    value = m.get(key)
                    if isinstance(value, str) and len(value) > MESSAGE_TRIM_LIMIT:
                        m[key] = value[:MESSAGE_TRIM_LIMIT] + "\n…[trimmed by the session store]"
            blob = _dumps(snapshot)
        messages = snapshot.get("messages", [])
        while len(blob) > limit and messages:
            messages = messages[max(1, len(messages) // 4) :]
            snapshot["messages"] = messages
            snapshot["trimmed"] = True
            blob = _dumps(snapshot)
        return blob

    # -- reading -------------------------------------------------------------------------------------

    def _read_json(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_bytes().decode("utf-8", "surrogatepass"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("session store: ignoring unreadable file %s: %s", path, exc)
            return None
        if not isinstance(data, dict) or not _ID.match(str(data.get("id", ""))):
            log.warning("session store: ignoring %s: not a stored session or proposal", path)
            return None
        return data

    def load_session(self, session_id: str) -> StoredSession | None:
        if not _ID.match(session_id):
            return None
        data = self._read_json(self.sessions_dir / f"{session_id}.json")
        if data is None:
            return None
        if not isinstance(data.get("messages", []), list):
            log.warning("session store: ignoring session %s: its messages are not a list", session_id)
            return None
        seq = int(data.get("seq", 0)) if isinstance(data.get("seq"), int) else 0
        self._seq[session_id] = max(self._seq.get(session_id, 0), seq)
        streamed = self._streamed(session_id, seq)
        tail = str(data.pop("streaming", "") or "") + streamed
        if tail:
            data.setdefault("messages", []).append(
                {"role": "assistant", "content": tail, "interrupted": True}
            )
        return StoredSession(data)

    def _streamed(self, session_id: str, seq: int) -> str:
        try:
            raw = (self.sessions_dir / f"{session_id}.stream").read_bytes()
        except FileNotFoundError:
            return ""
        except OSError as exc:
            log.warning("session store: cannot read the stream of session %s: %s", session_id, exc)
            return ""
        parts = []
        for line in raw.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill: the rest is still good
            if isinstance(item, dict) and item.get("seq") == seq and isinstance(item.get("text"), str):
                parts.append(item["text"])
        return "".join(parts)

    def sessions(self) -> list[StoredSession]:
        """Every readable stored session, most recently updated first."""
        out = []
        for path in sorted(self.sessions_dir.glob("*.json")) if self.sessions_dir.is_dir() else []:
            stored = self.load_session(path.stem)
            if stored is not None:
                out.append(stored)
        out.sort(key=lambda s: s.updated, reverse=True)
        return out

    def load_proposal(self, proposal_id: str) -> dict[str, Any] | None:
        if not _ID.match(proposal_id):
            return None
        return self._read_json(self.proposals_dir / f"{proposal_id}.json")

    def export(self, session_id: str) -> dict[str, Any] | None:
        """One session with its proposals and traces, as JSON-ready data (for `skiff sessions export`)."""
        stored = self.load_session(session_id)
        if stored is None:
            return None
        proposals = []
        for pid in stored.data.get("proposals", []):
            data = self.load_proposal(str(pid))
            if data is not None:
                proposals.append(data)
        return {**stored.data, "workspace": str(self.root), "proposalData": proposals}

    # -- bounds --------------------------------------------------------------------------------------

    def prune(self) -> list[str]:
        """Delete sessions older than max_age_days and, oldest first, those beyond max_sessions or
        max_workspace_bytes, with their proposals. Returns the deleted session ids."""
        if not self.sessions_dir.is_dir():
            return []
        entries: list[tuple[float, str, int, list[str]]] = []  # updated, id, bytes, proposal ids
        for path in self.sessions_dir.glob("*.json"):
            data = self._read_json(path)
            if data is None:
                continue
            pids = [str(p) for p in data.get("proposals", []) if _ID.match(str(p))]
            size = _size(path) + _size(path.with_suffix(".stream"))
            size += sum(_size(self.proposals_dir / f"{p}.json") for p in pids)
            entries.append((float(data.get("updated", 0.0)), path.stem, size, pids))
        entries.sort(reverse=True)  # newest first
        cutoff = self.now() - self.max_age_days * 86400
        keep_bytes = 0
        deleted = []
        for n, (updated, sid, size, pids) in enumerate(entries):
            keep_bytes += size
            too_old = updated < cutoff
            too_many = n >= self.max_sessions
            too_big = keep_bytes > self.max_workspace_bytes and n > 0
            if too_old or too_many or too_big:
                self.delete(sid, pids)
                deleted.append(sid)
        return deleted

    def delete(self, session_id: str, proposal_ids: list[str] | None = None) -> None:
        if proposal_ids is None:
            data = self._read_json(self.sessions_dir / f"{session_id}.json") or {}
            proposal_ids = [str(p) for p in data.get("proposals", []) if _ID.match(str(p))]
        for path in (
            self.sessions_dir / f"{session_id}.json",
            self.sessions_dir / f"{session_id}.stream",
            *(self.proposals_dir / f"{p}.json" for p in proposal_ids),
        ):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._seq.pop(session_id, None)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# -- messages ----------------------------------------------------------------------------------------


def message_to_store(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.display is not None and m.display != m.content:
        out["display"] = m.display
    if m.tool_calls:
        out["toolCalls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments}
            | ({"rawArguments": c.raw_arguments} if c.raw_arguments is not None else {})
            for c in m.tool_calls
        ]
    if m.tool_call_id is not None:
        out["toolCallId"] = m.tool_call_id
    if m.name is not None:
        out["name"] = m.name
    return out


def messages_from_store(items: list[Any], traces: list[Any] | None = None) -> list[Message]:
    """Messages read back, skipping malformed ones; a tool call left without a result (the server was
    killed while it ran) gets the result its trace recorded, or a note that it was interrupted, so the
    history stays valid for strict model servers."""
    out: list[Message] = []
    for d in items:
        if not isinstance(d, dict) or d.get("role") not in ("user", "assistant", "tool", "system"):
            continue
        calls = [
            ToolCall(
                str(c.get("id", "")),
                str(c.get("name", "")),
                dict(c.get("arguments") or {}),
                c.get("rawArguments"),
            )
            for c in d.get("toolCalls", [])
            if isinstance(c, dict)
        ]
        out.append(
            Message(
                d["role"],
                str(d.get("content", "")),
                calls,
                d.get("toolCallId"),
                d.get("name"),
                display=d.get("display"),
            )
        )
    outputs = {
        t.get("id"): t
        for t in traces or []
        if isinstance(t, dict) and t.get("type") == "tool_call" and isinstance(t.get("output"), str)
    }
    answered = {m.tool_call_id for m in out if m.role == "tool"}
    fixed: list[Message] = []
    for m in out:
        fixed.append(m)
        for c in m.tool_calls:
            if c.id not in answered:
                trace = outputs.get(c.id)
                text = (
                    str(trace["output"])
                    if trace is not None
                    else "Interrupted: the server stopped before this tool call finished."
                )
                fixed.append(Message("tool", text, tool_call_id=c.id, name=c.name))
                answered.add(c.id)
    return fixed


def blocked_hunks(stored: dict[str, Any]) -> dict[str, str]:
    """Hunk ids of a stored proposal record that cannot be applied as reviewed, with why: their new lines
    lost a secret to redaction. Their context or old lines, if redacted, simply no longer match the buffer
    (a conflict), and undo data with a secret never matches the buffer either (undo is refused)."""
    out: dict[str, str] = {}
    proposal = stored.get("proposal")
    if not stored.get("redacted") or not isinstance(proposal, dict):
        return out
    for change in proposal.get("changes", []):
        for hunk in change.get("hunks", []) if isinstance(change, dict) else []:
            if isinstance(hunk, dict) and any(REDACTED_MARK in str(x) for x in hunk.get("newLines", [])):
                out[str(hunk.get("id"))] = (
                    "it holds a secret, which the session store does not keep; ask for the change again"
                )
    return out
