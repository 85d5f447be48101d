"""Secrets planted in a workspace and the environment never reach the model, the log or the session store.

The real server runs over stdio against a real loopback OpenAI-compatible server (tests/sse_server.py); the
scripted model reads every secret it can (the client allows each question), and the test scans every
request body the model server received, the server's stderr at SKIFF_LOG_LEVEL=INFO and every file the
session store wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from askers import Asker
from sse_server import SSEServer, json_reply, sse

from skiff.agent.redact import redact
from skiff.agent.tools.base import ToolContext
from skiff.agent.tools.grep import GrepArgs, GrepTool
from skiff.agent.tools.read import ReadArgs, ReadTool
from skiff.agent.workspace import Overlay, Workspace

AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
OPENAI_KEY = "sk-proj-Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz"
DB_PASSWORD = "tr0ub4dor-and-3"
SLACK = "xoxb-2048-4096-8192abcdefABCDEF"
PEM_LINE = "MIIEowIBAAKCAQEAx7c9kQm4b8rFtU2VnJpLq0YwZ3aH5sD1eK6gT8uN"
GITHUB_TOKEN = "ghp_R2d2C3poBb8Yoda7Luke9Leia0Han1Solo23"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PLANTED = {
    "aws key id (source file)": AWS_ID,
    "aws secret key (source file)": AWS_SECRET,
    "openai key (.env)": OPENAI_KEY,
    "db password (.env)": DB_PASSWORD,
    "slack token (.env)": SLACK,
    "private key (deploy/id_rsa)": PEM_LINE,
    "GITHUB_TOKEN (environment)": GITHUB_TOKEN,
    "jwt (user prompt)": JWT,
}


def plant(root: Path) -> None:
    env_file = f"OPENAI_API_KEY={OPENAI_KEY}\nDB_PASSWORD={DB_PASSWORD}\nSLACK_TOKEN={SLACK}\n"
    (root / ".env").write_text(env_file)
    (root / "deploy").mkdir()
    (root / "deploy" / "id_rsa").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_LINE}\n{PEM_LINE[::-1]}\n-----END RSA PRIVATE KEY-----\n"
    )
    (root / "config.py").write_text(
        f'REGION = "eu-west-1"\nAWS_ACCESS_KEY_ID = "{AWS_ID}"\naws_secret_access_key = "{AWS_SECRET}"\n'
    )
    (root / ".gitignore").write_text("build/\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("generated\n")


def leaks(text: str) -> list[str]:
    return [name for name, secret in PLANTED.items() if secret in text]


def test_every_planted_shape_is_redacted() -> None:
    root_text = (
        f"OPENAI_API_KEY={OPENAI_KEY}\nDB_PASSWORD={DB_PASSWORD}\nSLACK_TOKEN={SLACK}\n"
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_LINE}\n-----END RSA PRIVATE KEY-----\n"
        f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\naws_secret_access_key = "{AWS_SECRET}"\n'
        f"export GITHUB_TOKEN={GITHUB_TOKEN}\nAuthorization: Bearer {JWT}\n"
    )
    for text in (root_text, json.dumps({"content": root_text})):  # raw, and as it sits in a log line
        assert leaks(redact(text)) == []
    code = 'def check(password):\n    return password == input("pw")\nAPI_KEY = os.environ["API_KEY"]\n'
    assert redact(code) == code
    harmless = "token = 'abc'\nmonkey = 'banana'\nport=8080\n"
    assert redact(harmless) == harmless


def ctx(root: Path, asker: Asker | None = None) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws), ask_permission=asker)


async def test_read_asks_before_secret_and_ignored_files(tmp_path: Path) -> None:
    plant(tmp_path)
    nobody = ctx(tmp_path)
    for path in (".env", "deploy/id_rsa", "build/out.txt"):
        result = await ReadTool().run(ReadArgs(path=path), nobody)
        assert result.error == "denied" and "nobody can approve" in result.output
        assert leaks(result.output) == []
    assert (await ReadTool().run(ReadArgs(path="config.py"), nobody)).ok  # plain source files need no leave

    asker = Asker("reject", "allow_always")
    c = ctx(tmp_path, asker)
    rejected = await ReadTool().run(ReadArgs(path=".env"), c)
    assert rejected.error == "denied" and "declined" in rejected.output
    assert (await ReadTool().run(ReadArgs(path=".env"), c)).ok
    assert (await ReadTool().run(ReadArgs(path=".env"), c)).ok  # allowed always: not asked again
    assert [(r.tool, r.command) for r in asker.requests] == [("read", ".env"), ("read", ".env")]
    assert "secret" in asker.requests[0].reason


async def test_grep_leaves_secret_files_out_of_folder_searches(tmp_path: Path) -> None:
    plant(tmp_path)
    found = await GrepTool(backend="python").run(GrepArgs(pattern="KEY|TOKEN|PRIVATE"), ctx(tmp_path))
    assert "config.py" in found.output
    assert ".env" not in found.output and "id_rsa" not in found.output
    named = await GrepTool(backend="python").run(GrepArgs(pattern="KEY", path=".env"), ctx(tmp_path))
    assert named.error == "denied"


# ---- end to end: the real server, a loopback model server ------------------------------------------


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class LspProcess:
    """`python -m skiff.server` over stdio; allows every permission question, answers other server
    requests with null, keeps stderr."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skiff.server"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.responses: dict[Any, dict[str, Any]] = {}
        self.permissions: list[dict[str, Any]] = []
        self.stderr = bytearray()
        self._cond = threading.Condition()
        self._lock = threading.Lock()
        threading.Thread(target=self._stdout, daemon=True).start()
        threading.Thread(target=self._stderr, daemon=True).start()

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        with self._lock:
            self.proc.stdin.write(_frame(message))
            self.proc.stdin.flush()

    def request(self, msg_id: int, method: str, params: Any, timeout: float = 60.0) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.responses:
                assert time.monotonic() < deadline, f"no answer to {method}"
                self._cond.wait(0.2)
            return self.responses[msg_id]

    def _stdout(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:
                result: Any = None
                if message["method"] == "skiff/requestPermission":
                    self.permissions.append(message["params"])
                    result = {"outcome": {"outcome": "selected", "optionId": "allow_once"}}
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif "id" in message:
                with self._cond:
                    self.responses[message["id"]] = message
                    self._cond.notify_all()

    def _stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := self.proc.stderr.read1(65536):
            self.stderr += chunk

    def close(self) -> None:
        self.send({"jsonrpc": "2.0", "id": 999, "method": "shutdown"})
        self.send({"jsonrpc": "2.0", "method": "exit"})
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _tool_calls(*calls: tuple[str, dict[str, Any]]) -> list[bytes]:
    deltas = [
        {
            "index": k,
            "id": f"call_{k}",
            "type": "function",
            "function": {"name": n, "arguments": json.dumps(args)},
        }
        for k, (n, args) in enumerate(calls)
    ]
    return sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": deltas}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    )


def _text(text: str) -> list[bytes]:
    return sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    )


def test_no_planted_secret_reaches_the_model_the_log_or_the_store(tmp_path: Path) -> None:
    from sse_server import Reply

    root = (tmp_path / "ws").resolve()
    root.mkdir()
    plant(root)
    data_home = tmp_path / "data"
    with SSEServer() as model:
        model.always("/tokenize", json_reply({"tokens": [1, 2, 3]}))
        model.add(
            "/v1/chat/completions",
            Reply(
                chunks=_tool_calls(
                    ("read", {"path": "config.py"}),
                    ("read", {"path": ".env"}),
                    ("read", {"path": "deploy/id_rsa"}),
                    ("grep", {"pattern": "AKIA|TOKEN|PRIVATE"}),
                    ("bash", {"command": "env"}),
                    ("bash", {"command": "cat .env deploy/id_rsa"}),
                )
            ),
        )
        model.add("/v1/chat/completions", Reply(chunks=_text("Read everything.")))
        models = {
            "default": "loop/m",
            "profiles": {"p": {"mechanisms": [], "turnCap": 4, "retries": 0, "toolCallFormat": "native"}},
            "providers": {
                "loop": {
                    "api": "openai-completions",
                    "baseUrl": f"{model.url}/v1",
                    "models": [{"id": "m", "profile": "p", "contextWindow": 32768}],
                }
            },
        }
        (tmp_path / "models.json").write_text(json.dumps(models))
        env = {
            **os.environ,
            "SKIFF_MODELS_FILE": str(tmp_path / "models.json"),
            "SKIFF_LOG_LEVEL": "INFO",
            "XDG_DATA_HOME": str(data_home),
            "GITHUB_TOKEN": GITHUB_TOKEN,
        }
        server = LspProcess(root, env)
        try:
            init = {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {},
                "initializationOptions": {"model": "loop/m", "skiffUi": True},
            }
            assert "result" in server.request(1, "initialize", init)
            server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            prompt = f"Check the deploy setup; my session token is {JWT}."
            answer = server.request(2, "skiff/chat", {"prompt": prompt}, timeout=120)
            assert answer.get("result", {}).get("stopReason") == "end_turn", answer
        finally:
            server.close()
        bodies = [json.dumps(r.body) for r in model.requests]
    chat_bodies = [b for b, r in zip(bodies, model.requests, strict=True) if r.path == "/v1/chat/completions"]
    assert len(chat_bodies) == 2
    # The tools really ran and their (redacted) results went to the model.
    assert "eu-west-1" in chat_bodies[1] and "[REDACTED:" in chat_bodies[1]
    assert "[REDACTED:private-key]" in chat_bodies[1]
    # Two questions (.env and deploy/id_rsa by read) and the bash line that names them; all allowed.
    assert [p["toolCall"]["kind"] for p in server.permissions].count("read") == 2
    assert any(p["toolCall"]["kind"] == "execute" for p in server.permissions)
    stderr = server.stderr.decode("utf-8", "replace")
    assert "Sending data" in stderr  # INFO logging was on and wrote message bodies
    stored = [p.read_text(errors="replace") for p in data_home.rglob("*") if p.is_file()]
    assert stored, "the session store wrote nothing"
    leaked = {
        "model requests": sorted({n for b in bodies for n in leaks(b)}),
        "server stderr": leaks(stderr),
        "session store": sorted({n for s in stored for n in leaks(s)}),
    }
    assert leaked == {"model requests": [], "server stderr": [], "session store": []}


def test_a_whole_file_answer_over_a_redacted_file_keeps_the_users_secrets(tmp_path: Path) -> None:
    """The model sees `[REDACTED:…]` where the secrets are; when it copies those lines unchanged, the
    proposal must hold the original secrets, not the placeholders."""
    from skiff.agent.redact import redact
    from skiff.agent.workspace import Overlay, Workspace

    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1\nabc+/=\n-----END RSA PRIVATE KEY-----\n"
    original = (
        'AWS_KEY = "AKIAIOSFODNN7EXAMPLE"\nTOKEN = "ghp_' + "a1B2" * 9 + '"\n\n'
        "def total(xs):\n    return sum(xs)\n\nKEY = '''\n" + key + "'''\n"
    )
    (tmp_path / "settings.py").write_text(original)
    seen = redact(original)
    assert "AKIAIOSFODNN7EXAMPLE" not in seen and "ghp_" not in seen and "MIIEow" not in seen
    answer = seen.replace("return sum(xs)", "return float(sum(xs))")
    overlay = Overlay(Workspace(tmp_path))
    overlay.write(tmp_path / "settings.py", answer)
    assert overlay.current[tmp_path / "settings.py"] == original.replace(
        "return sum(xs)", "return float(sum(xs))"
    )
    changed = seen.replace('TOKEN = "[REDACTED', 'API_TOKEN = "[REDACTED')
    overlay.write(tmp_path / "settings.py", changed)
    assert 'API_TOKEN = "[REDACTED' in overlay.current[tmp_path / "settings.py"], (
        "a changed line is left as seen"
    )
