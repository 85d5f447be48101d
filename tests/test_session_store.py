"""The session store: atomic writes, the streamed tail, size/age/count bounds, corrupt files, redaction."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from buffers import make_buffers, open_doc
from lsprotocol import types as lsp

from skiff.agent.messages import Message, ToolCall
from skiff.agent.proposal import Proposal, make_change
from skiff.agent.session_store import (
    SessionStore,
    atomic_write,
    blocked_hunks,
    message_to_store,
    messages_from_store,
    workspace_key,
)
from skiff.server.documents import path_to_uri
from skiff.server.features.proposals.store import (
    EditCapabilities,
    ProposalStore,
    record_from_store,
    record_to_store,
)

AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> SessionStore:
    root = tmp_path / "ws"
    root.mkdir()
    return SessionStore(root, tmp_path / "data", now=clock)


def session(sid: str, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "title": f"title {sid}", "messages": [{"role": "user", "content": "hi"}], **extra}


def test_one_folder_per_workspace_keyed_by_a_hash_of_its_root(tmp_path: Path) -> None:
    a = SessionStore(tmp_path / "a", tmp_path / "data")
    b = SessionStore(tmp_path / "b", tmp_path / "data")
    assert a.dir != b.dir and a.dir.name == workspace_key(tmp_path / "a")
    assert a.dir.parent == tmp_path / "data" / "workspaces"
    monkey_home = SessionStore(tmp_path / "a")
    assert monkey_home.dir.parts[-3:-1] == ("skiff", "workspaces")


def test_the_data_dir_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert SessionStore(tmp_path).dir.is_relative_to(tmp_path / "xdg" / "skiff" / "workspaces")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert SessionStore(tmp_path).dir.is_relative_to(tmp_path / "home" / ".local" / "share" / "skiff")


def test_save_and_load_round_trip_with_the_workspace_recorded(store: SessionStore) -> None:
    assert store.save_session(session("s1", turns=2, proposals=["p1"]))
    (loaded,) = store.sessions()
    assert loaded.id == "s1" and loaded.data["turns"] == 2 and loaded.data["proposals"] == ["p1"]
    assert loaded.messages == [{"role": "user", "content": "hi"}]
    assert json.loads((store.dir / "workspace.json").read_text())["root"] == str(store.root)


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save_session(session("s1"))
    before = (store.sessions_dir / "s1.json").read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert store.save_session(session("s1", title="new")) is False  # logged, not raised
    monkeypatch.undo()
    assert (store.sessions_dir / "s1.json").read_bytes() == before
    assert [p.name for p in store.sessions_dir.iterdir()] == ["s1.json"]


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write(target, b"old")
    atomic_write(target, b"new", fsync=True)
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_streamed_text_since_the_last_snapshot_comes_back_as_an_interrupted_reply(
    store: SessionStore,
) -> None:
    store.save_session(session("s1"))
    store.append_stream("s1", "Hello, ")
    store.append_stream("s1", "world")
    with open(store.sessions_dir / "s1.stream", "ab") as f:
        f.write(b'{"seq": 1, "text": "cut by a ki')  # a line torn by SIGKILL
    (loaded,) = store.sessions()
    assert loaded.messages[-1] == {"role": "assistant", "content": "Hello, world", "interrupted": True}
    store.save_session(session("s1"))  # a new snapshot supersedes the tail
    assert not (store.sessions_dir / "s1.stream").exists()
    assert store.sessions()[0].messages == [{"role": "user", "content": "hi"}]


def test_a_tail_from_an_older_snapshot_is_ignored(store: SessionStore) -> None:
    store.save_session(session("s1"))
    store.append_stream("s1", "old")
    stream = (store.sessions_dir / "s1.stream").read_bytes()
    store.save_session(session("s1"))
    (store.sessions_dir / "s1.stream").write_bytes(stream)  # killed between the replace and the unlink
    assert store.sessions()[0].messages == [{"role": "user", "content": "hi"}]


def test_corrupt_files_are_skipped_with_a_log_line(store: SessionStore, caplog: Any) -> None:
    store.save_session(session("good"))
    (store.sessions_dir / "bad.json").write_text('{"id": "bad", "messages": [')
    (store.sessions_dir / "list.json").write_text("[1, 2]")
    (store.sessions_dir / "bin.json").write_bytes(b"\xff\xfe\x00")
    (store.sessions_dir / "weird.json").write_text('{"id": "weird", "messages": 5}')
    store.proposals_dir.mkdir()
    (store.proposals_dir / "p1.json").write_text("not json")
    with caplog.at_level(logging.WARNING, logger="skiff.agent.session_store"):
        assert [s.id for s in store.sessions()] == ["good"]
        assert store.load_proposal("p1") is None
        assert store.prune() == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for name in ("bad.json", "list.json", "bin.json", "weird", "p1.json"):
        assert name in logged


def test_ids_that_are_not_plain_names_are_refused(store: SessionStore) -> None:
    assert store.save_session(session("../escape")) is False
    assert store.save_proposal({"id": "a/b"}) is False
    assert store.load_session("../x") is None and not store.dir.exists()


def test_a_snapshot_is_bounded_traces_first_then_bodies_then_old_messages(store: SessionStore) -> None:
    store.max_session_bytes = 40_000
    traces = [{"type": "tool_call", "output": "x" * 500} for _ in range(200)]
    messages = [{"role": "user", "content": f"m{i} " + "y" * 20_000} for i in range(10)]
    assert store.save_session(session("s1", traces=traces, messages=messages))
    size = (store.sessions_dir / "s1.json").stat().st_size
    assert size <= 40_000
    data = store.sessions()[0].data
    assert data["traces"] == []
    assert data["trimmed"] is True
    assert data["messages"][-1]["content"].startswith("m9 ")  # the newest messages are kept
    assert data["messages"][-1]["content"].endswith("[trimmed by the session store]")
    store.max_session_bytes = 10**6
    store.save_session(session("s2", traces=traces))
    s2 = store.load_session("s2")
    assert s2 is not None and len(s2.data["traces"]) == 200  # under the bound nothing is cut


def test_old_sessions_are_pruned_with_their_proposals(store: SessionStore, clock: Clock) -> None:
    store.save_session(session("old", proposals=["p-old"]))
    store.save_proposal({"id": "p-old", "status": "pending"})
    clock.t += 31 * 86400
    store.save_session(session("new", proposals=["p-new"]))
    store.save_proposal({"id": "p-new", "status": "pending"})
    assert store.prune() == ["old"]
    assert [s.id for s in store.sessions()] == ["new"]
    assert store.load_proposal("p-old") is None and store.load_proposal("p-new") is not None


def test_count_and_size_bounds_drop_the_oldest_first(store: SessionStore, clock: Clock) -> None:
    for n in range(5):
        clock.t += 1
        store.save_session(session(f"s{n}", messages=[{"role": "user", "content": "z" * 1000}]))
    store.max_sessions = 3
    assert sorted(store.prune()) == ["s0", "s1"]
    store.max_workspace_bytes = 2500  # room for two of ~1 kB
    assert store.prune() == ["s2"]
    assert [s.id for s in store.sessions()] == ["s4", "s3"]
    store.max_workspace_bytes = 10  # the newest session is always kept
    assert store.prune() == ["s3"]


def test_a_proposal_over_its_bound_is_not_kept(store: SessionStore, caplog: Any) -> None:
    store.max_proposal_bytes = 1000
    with caplog.at_level(logging.WARNING, logger="skiff.agent.session_store"):
        assert store.save_proposal({"id": "big", "text": "x" * 5000}) is False
    assert "over the 1000-byte bound" in caplog.text and store.load_proposal("big") is None


def test_secrets_never_reach_the_disk(store: SessionStore) -> None:
    msg = {"role": "tool", "content": f"AWS_ACCESS_KEY_ID={AWS_KEY}\n"}
    store.save_session(session("s1", messages=[msg], traces=[{"type": "tool_call", "output": AWS_KEY}]))
    store.append_stream("s1", f"the key is {AWS_KEY}")
    store.save_proposal({"id": "p1", "proposal": {"changes": []}, "note": AWS_KEY})
    for path in store.dir.rglob("*"):
        if path.is_file():
            assert AWS_KEY not in path.read_text(), path


def test_a_proposal_whose_new_text_lost_a_secret_cannot_be_accepted(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "cfg.py").write_text("x = 1\n")
    path = (root / "cfg.py").resolve()
    docs = make_buffers()
    open_doc(docs, path_to_uri(path), "x = 1\n", 1)
    proposals = ProposalStore(docs)
    change = make_change("cfg.py", path, "x = 1\n", f"x = 1\nKEY = '{AWS_KEY}'\ny = 2\n")
    record = proposals.add(Proposal("p1", [change]), "s1")
    store = SessionStore(root, tmp_path / "data")
    store.save_proposal(record_to_store(record))
    stored = store.load_proposal("p1")
    assert stored is not None and stored["redacted"] is True and AWS_KEY not in json.dumps(stored)
    assert set(blocked_hunks(stored)) == {"h1"}
    restored = record_from_store(stored, root)
    assert set(restored.blocked) == {"h1"}
    store.save_proposal(record_to_store(restored))  # saved again: still blocked
    again = store.load_proposal("p1")
    assert again is not None and blocked_hunks(again) == restored.blocked

    async def never(edit: lsp.WorkspaceEdit, label: str) -> lsp.ApplyWorkspaceEditResult:
        raise AssertionError("nothing may be sent to the editor")

    import asyncio

    fresh = ProposalStore(docs)
    fresh.restore(restored)
    result = asyncio.run(fresh.resolve(restored, "all", EditCapabilities(), never))
    assert result["status"] == "conflict" and result["conflicts"][0]["hunk"] == "h1"
    assert "secret" in result["conflicts"][0]["reason"] and restored.status == "pending"


def test_messages_round_trip_and_dangling_tool_calls_get_a_result() -> None:
    history = [
        Message("user", "expanded prompt", display="typed prompt"),
        Message("assistant", "", [ToolCall("c1", "read", {"path": "a.py"}), ToolCall("c2", "bash", {})]),
    ]
    stored = [message_to_store(m) for m in history]
    assert stored[0] == {"role": "user", "content": "expanded prompt", "display": "typed prompt"}
    traces = [{"type": "tool_call", "id": "c1", "output": "print('a')\n"}]
    back = messages_from_store([*stored, {"role": "bogus"}, "junk"], traces)
    assert [m.role for m in back] == ["user", "assistant", "tool", "tool"]
    assert back[0].display == "typed prompt" and back[1].tool_calls[0].arguments == {"path": "a.py"}
    assert (back[2].tool_call_id, back[2].content) == ("c1", "print('a')\n")
    assert back[3].tool_call_id == "c2" and back[3].content.startswith("Interrupted")
