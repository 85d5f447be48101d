"""Sessions that survive (reliability suite): the real server over stdio is killed with SIGKILL mid-turn
and started again on the same data dir; its sessions, history and proposals are back and can be reviewed,
accepted, rejected and undone. Uses the test editor of tests/lsp (pytest-lsp) and scripted models."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

sys.path.insert(0, str(Path(__file__).parent.parent / "lsp"))
from lsp_editor import Editor, ed, make_client, plain

from skiff.agent.session_store import SessionStore

STATS_PY = "def mean(xs):\n    return sum(xs) / len(xs)\n\n\ndef total(xs):\n    return sum(xs)\n"
EDIT_OLD = "def mean(xs):\n"
EDIT_NEW = 'def mean(xs):\n    """Return the mean."""\n'
DOCSTRING = STATS_PY.replace(EDIT_OLD, EDIT_NEW)
SLOW_TEXT = "Streaming, word by word, a long answer. " * 60
PROFILE = {"mechanisms": [], "turnCap": 6, "retries": 0, "toolCallFormat": "native"}


def _edit_calls(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        "tool_calls": [
            {"name": "edit", "arguments": {"path": "stats.py", "old_string": old, "new_string": new}}
            for old, new in pairs
        ]
    }


SCRIPTS: dict[str, dict[str, Any]] = {
    "edit": {"replies": [_edit_calls((EDIT_OLD, EDIT_NEW)), "Added a docstring."]},
    "edit2": {
        "replies": [
            _edit_calls((EDIT_OLD, EDIT_NEW), ("    return sum(xs)\n", "    return float(sum(xs))\n")),
            "Two changes.",
        ]
    },
    "slow": {"replies": [SLOW_TEXT], "chunk": 4, "delay": 0.02},
    "hello": {"replies": ["Hello again."]},
    "tools": {
        "replies": [
            {"text": "Reading first.", "tool_calls": [{"name": "read", "arguments": {"path": "stats.py"}}]},
            {**_edit_calls((EDIT_OLD, EDIT_NEW)), "text": SLOW_TEXT[:400]},
            "Done.",
        ],
        "chunk": 4,
        "delay": 0.01,
    },
}
MODELS = {
    "default": "test/hello",
    "profiles": {"test": PROFILE},
    "providers": {
        "test": {
            "api": "scripted",
            "models": [{"id": k, "contextWindow": 4096, "profile": "test"} | v for k, v in SCRIPTS.items()],
        }
    },
}


class Server:
    """One `python -m skiff.server` over stdio with a test editor, on a workspace and a data dir."""

    def __init__(self, root: Path, data: Path, models: Path, preset: str) -> None:
        self.root, self.data, self.models, self.preset = root, data, models, preset
        self.client: LanguageClient | None = None

    async def start(self) -> Editor:
        client = make_client()
        env = {**os.environ, "XDG_DATA_HOME": str(self.data), "SKIFF_MODELS_FILE": str(self.models)}
        await client.start_io(sys.executable, "-m", "skiff.server", env=env)
        editor = ed(client)
        editor.root = self.root
        result = await client.initialize_session(
            lsp.InitializeParams(
                capabilities=client_capabilities(self.preset),
                root_uri=self.root.as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(uri=self.root.as_uri(), name="ws")],
                initialization_options={"model": "test/hello", "skiffUi": True},
            )
        )
        encoding = result.capabilities.position_encoding
        editor.encoding = str(getattr(encoding, "value", encoding) or "utf-16")
        self.client = client
        return editor

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no atexit."""
        assert self.client is not None and self.client._server is not None
        proc = self.client._server
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
        assert proc.returncode == -signal.SIGKILL
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 10)
        self.client = None

    async def stop(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.shutdown_session(), 10)
            self.client = None


@pytest.fixture(params=["visual-studio-code", "neovim"])  # overrides the raw-stdio `server` of conftest
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Server]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "stats.py").write_text(STATS_PY)
    models = tmp_path / "models.json"
    models.write_text(json.dumps(MODELS))
    srv = Server(root.resolve(), tmp_path / "data", models, request.param)
    yield srv
    await srv.stop()


async def _chat(editor: Editor, model: str, prompt: str, **params: Any) -> dict[str, Any]:
    await editor.request("skiff/setModel", {"model": model})
    return plain(await editor.request("skiff/chat", {"prompt": prompt, **params}))


async def test_a_killed_server_keeps_sessions_history_and_pending_proposals(server: Server) -> None:
    editor = await server.start()
    uri = editor.open("stats.py")
    first = await _chat(editor, "test/edit", "add a docstring to mean()")
    sid, (pid,) = first["sessionId"], first["proposalIds"]
    # a second turn streams slowly; the server is killed while it streams
    await editor.request("skiff/setModel", {"model": "test/slow"})
    before = len(editor.updates(sid, "agent_message_chunk"))
    task = editor.start("skiff/chat", {"prompt": "now explain it at length", "sessionId": sid})
    await editor.wait_for(
        lambda: len(editor.updates(sid, "agent_message_chunk")) >= before + 5, "streamed text"
    )
    await server.kill()
    chunks = editor.updates(sid, "agent_message_chunk")[before:]
    shown = "".join(u["content"]["text"] for u in chunks)
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(task, 5)

    editor = await server.start()  # a new process on the same data dir
    listed = plain(await editor.request("skiff/sessions", {}))["sessions"]
    assert [s["sessionId"] for s in listed] == [sid]
    assert listed[0]["title"] == "add a docstring to mean()" and listed[0]["turns"] == 2
    history = plain(await editor.request("skiff/session", {"sessionId": sid}))
    roles = [m["role"] for m in history["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant", "user", "assistant"]
    assert history["messages"][0]["content"] == "add a docstring to mean()"
    assert history["messages"][3]["content"] == "Added a docstring."
    assert history["messages"][4]["content"] == "now explain it at length"
    # everything the editor had shown of the interrupted answer was kept
    assert shown and history["messages"][5]["content"].startswith(shown)
    assert history["proposals"] == [{"id": pid, "status": "pending"}]

    proposal = plain(await editor.request("skiff/proposal", {"id": pid}))
    assert proposal["status"] == "pending" and proposal["sessionId"] == sid
    assert proposal["files"][0]["path"] == "stats.py" and proposal["files"][0]["baseText"] == STATS_PY
    uri = editor.open("stats.py")
    accepted = plain(await editor.request("skiff/resolveProposal", {"id": pid, "accept": "all"}))
    assert accepted == {"status": "applied", "appliedHunks": ["h1"], "rebased": False}
    assert editor.text(uri) == DOCSTRING
    # the session takes the next turn with its history
    again = await _chat(editor, "test/hello", "thanks", sessionId=sid)
    assert again["stopReason"] == "end_turn"
    roles = [m["role"] for m in plain(await editor.request("skiff/session", {"sessionId": sid}))["messages"]]
    assert roles[-2:] == ["user", "assistant"] and len(roles) == 8

    # and the applied state survives the next crash: undo still works
    await server.kill()
    editor = await server.start()
    uri = editor.open("stats.py", DOCSTRING)
    assert plain(await editor.request("skiff/proposal", {"id": pid}))["status"] == "applied"
    assert plain(await editor.request("skiff/undoProposal", {"id": pid})) == {"status": "undone"}
    assert editor.text(uri) == STATS_PY


async def test_after_a_restart_a_pending_proposal_is_rebased_refused_or_rejected(server: Server) -> None:
    editor = await server.start()
    editor.open("stats.py")
    first = await _chat(editor, "test/edit2", "two changes")
    (pid,) = first["proposalIds"]
    second = await _chat(editor, "test/edit", "only the docstring")
    (pid2,) = second["proposalIds"]
    await server.kill()

    editor = await server.start()
    listed = plain(await editor.request("skiff/sessions", {}))["sessions"]
    assert {s["sessionId"] for s in listed} == {first["sessionId"], second["sessionId"]}
    # the user changed the file meanwhile: a line above everything, and the line hunk h2 rewrites
    edited = "import math\n" + STATS_PY.replace("    return sum(xs)\n", "    return 0\n")
    (server.root / "stats.py").write_text(edited)
    uri = editor.open("stats.py")
    refused = plain(await editor.request("skiff/resolveProposal", {"id": pid, "accept": "all"}))
    assert refused["status"] == "conflict"
    assert [(c["path"], c["hunk"]) for c in refused["conflicts"]] == [("stats.py", "h2")]
    assert plain(await editor.request("skiff/proposal", {"id": pid}))["status"] == "pending"
    assert editor.text(uri) == edited
    taken = plain(await editor.request("skiff/resolveProposal", {"id": pid, "accept": ["h1"]}))
    assert taken == {"status": "partially_applied", "appliedHunks": ["h1"], "rebased": True}
    assert editor.text(uri) == edited.replace(EDIT_OLD, EDIT_NEW)
    rejected = plain(await editor.request("skiff/resolveProposal", {"id": pid2, "accept": "none"}))
    assert rejected["status"] == "rejected"

    await server.kill()
    editor = await server.start()
    statuses = {p: plain(await editor.request("skiff/proposal", {"id": p}))["status"] for p in (pid, pid2)}
    assert statuses == {pid: "partially_applied", pid2: "rejected"}


async def test_traces_and_export_on_the_cli(server: Server) -> None:
    editor = await server.start()
    editor.open("stats.py")
    first = await _chat(editor, "test/edit", "add a docstring to mean()")
    sid = first["sessionId"]
    await server.kill()
    env = {**os.environ, "XDG_DATA_HOME": str(server.data)}
    listing = await _cli(env, server.root, "sessions")
    assert sid in listing and "1 pending" in listing and "add a docstring to mean()" in listing
    exported = json.loads(await _cli(env, server.root, "sessions", "export", sid))
    assert exported["id"] == sid and exported["workspace"] == str(server.root)
    kinds = [t["type"] for t in exported["traces"]]
    assert kinds.count("model_call") == 2 and kinds[-1] == "turn"
    (tool,) = [t for t in exported["traces"] if t["type"] == "tool_call"]
    assert tool["name"] == "edit" and tool["arguments"]["path"] == "stats.py" and tool["status"]
    calls = [t for t in exported["traces"] if t["type"] == "model_call"]
    assert all(t["promptTokens"] > 0 and t["seconds"] >= 0 for t in calls)
    (proposal,) = exported["proposalData"]
    assert proposal["id"] == first["proposalIds"][0] and proposal["status"] == "pending"
    assert SessionStore(server.root, server.data / "skiff").export(sid) is not None


async def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from skiff.cli import main; raise SystemExit(main())",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


KILLS = 8  # SIGKILLs at seeded random points of turns (the figures in docs/reliability.md)


async def test_kills_at_random_points_lose_nothing_the_editor_was_shown(server: Server) -> None:
    """Seeded fault injection: each round restarts the server, checks everything the previous rounds
    showed the editor, resolves a proposal or not, starts a turn and kills the server at a random point."""
    rng = random.Random(20261129)
    seen_sessions: set[str] = set()
    expected: dict[str, str] = {}  # proposal id -> the status the editor was last told
    shown: dict[str, list[str]] = {}  # session id -> answer text streamed to the editor, per turn
    prompts: dict[str, list[str]] = {}  # session id -> prompts the server acknowledged with an update
    faults = 0
    for round_no in range(KILLS + 1):
        editor = await server.start()
        listed = {s["sessionId"] for s in plain(await editor.request("skiff/sessions", {}))["sessions"]}
        assert seen_sessions <= listed, f"round {round_no}: sessions lost {seen_sessions - listed}"
        for sid in seen_sessions:
            history = plain(await editor.request("skiff/session", {"sessionId": sid}))["messages"]
            users = [m["content"] for m in history if m["role"] == "user"]
            assert all(p in users for p in prompts.get(sid, [])), (round_no, sid, users)
            answers = "".join(m["content"] for m in history if m["role"] == "assistant")
            for text in shown.get(sid, []):
                assert text in answers, (round_no, sid, text[:60])
        for pid, status in expected.items():
            got = plain(await editor.request("skiff/proposal", {"id": pid}))
            assert got["status"] == status, (round_no, pid, got["status"], status)
        if round_no == KILLS:
            break
        uri = editor.open("stats.py", (server.root / "stats.py").read_text())
        pending = sorted(p for p, st in expected.items() if st == "pending")
        if pending and rng.random() < 0.5:
            pid = rng.choice(pending)
            answer = plain(
                await editor.request(
                    "skiff/resolveProposal", {"id": pid, "accept": rng.choice(["all", "none"])}
                )
            )
            if answer["status"] != "conflict":
                expected[pid] = answer["status"]
            (server.root / "stats.py").write_text(editor.text(uri))  # the user saves
        sid = rng.choice(sorted(seen_sessions)) if seen_sessions and rng.random() < 0.5 else None
        model = rng.choice(["edit", "slow", "tools"])
        await editor.request("skiff/setModel", {"model": f"test/{model}"})
        before = len(editor.log)
        prompt = f"round {round_no}: {model}"
        editor.start("skiff/chat", {"prompt": prompt} | ({"sessionId": sid} if sid else {}))
        await asyncio.sleep(rng.uniform(0.0, 0.6))
        await server.kill()
        faults += 1
        for kind, params in editor.log[before:]:
            if kind != "update":
                continue
            sid = params["sessionId"]
            seen_sessions.add(sid)
            if prompt not in prompts.setdefault(sid, []):
                prompts[sid].append(prompt)
            update = params["update"]
            if update["sessionUpdate"] == "proposal":
                expected[update["proposal"]["id"]] = "pending"
        for sid in seen_sessions:
            chunks = [
                p["update"]["content"]["text"]
                for kind, p in editor.log[before:]
                if kind == "update"
                and p["sessionId"] == sid
                and p["update"]["sessionUpdate"] == "agent_message_chunk"
            ]
            if chunks:
                shown.setdefault(sid, []).append("".join(chunks))
    assert faults == KILLS
    print(
        f"\nfaults injected: {faults}; sessions kept: {len(seen_sessions)}/{len(seen_sessions)}; "
        f"proposals kept: {len(expected)}/{len(expected)} (0 lost)"
    )
