"""The `bash` tool: runs shell commands in the workspace root, gated by the policy in `bash_policy/`.

Every command starts with secret-looking variables removed from its environment (agent/redact.py); one the
read-only policy admitted unasked also gets git's config-driven programs neutralised (`git_neutral_env`).
"Allow always" remembers the exact command line, never a prefix.

Each command runs in its own session (process group), so a timeout or a cancelled turn kills everything it
started: SIGTERM, then SIGKILL after a grace period. Output (stdout and stderr interleaved) keeps its head
and tail with the middle elided and counted. A nonzero exit code is reported as a failed call.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import time
from collections import deque

from pydantic import Field

from skiff.agent.redact import scrub_env
from skiff.agent.tools.base import PermissionRequest, Tool, ToolArgs, ToolContext, ToolResult
from skiff.agent.tools.bash_policy import check_command, git_neutral_env

HEAD_LINES = 60
TAIL_LINES = 80
MAX_LINE_CHARS = 400
KEEP_BYTES = 64 * 1024  # bytes kept from each end of the output while it streams
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
DRAIN_GRACE = 1.0
POLL = 0.05  # seconds to wait for output after the shell exits (background children may hold it)
MAX_TIMEOUT = 600
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


class BashArgs(ToolArgs):
    command: str = Field(description="Shell command, run in the workspace root")
    timeout: int = Field(60, description=f"Seconds (max {MAX_TIMEOUT})")


class _Collector:
    """Keeps the first and last KEEP_BYTES of a stream, and counts its lines."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.dropped = False
        self.newlines = 0
        self.last = b""

    def add(self, chunk: bytes) -> None:
        self.newlines += chunk.count(b"\n")
        self.last = chunk[-1:]
        room = KEEP_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        while self.tail_size - len(self.tail[0]) >= KEEP_BYTES:
            self.tail_size -= len(self.tail.popleft())
            self.dropped = True

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.add(chunk)

    def render(self) -> str:
        """The output, its middle elided when it has more than HEAD_LINES + TAIL_LINES lines."""
        ends_clean = self.last in (b"", b"\n")
        total = self.newlines + (0 if ends_clean else 1)
        if self.dropped:
            head = _text(bytes(self.head)).split("\n")[:HEAD_LINES]
            tail = _text(b"".join(self.tail)).split("\n")
        else:
            head, tail = [], _text(bytes(self.head) + b"".join(self.tail)).split("\n")
        if ends_clean and tail:
            tail.pop()  # the empty piece after the final newline
        if not self.dropped:
            if len(tail) <= HEAD_LINES + TAIL_LINES:
                return "\n".join(_cut(x) for x in tail)
            head = tail[:HEAD_LINES]
        tail = tail[-TAIL_LINES:]
        return _join(head, tail, total - len(head) - len(tail))


def _text(data: bytes) -> str:
    return _clean(data.decode("utf-8", "replace"))


def _clean(text: str) -> str:
    """Drop colour codes and carriage-return progress redraws (keep what the terminal would show)."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    return "\n".join(line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n"))


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "..."


def _join(head: list[str], tail: list[str], elided: int) -> str:
    middle = f"... [{elided} lines elided] ..."
    return "\n".join([*(_cut(x) for x in head), middle, *(_cut(x) for x in tail)])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, give the shell KILL_GRACE seconds, then SIGKILL whatever is left."""
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE
    while proc.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(POLL)
    _signal_group(proc.pid, signal.SIGKILL)


def shell_env(sandboxed: bool = False) -> dict[str, str]:
    """The environment commands run with: no secrets, no pagers, no colours, no interactive prompts;
    `sandboxed` (admitted by the read-only policy) adds git's neutral command-line config."""
    env = scrub_env(os.environ)
    if sandboxed:
        env.update(git_neutral_env())
    env.update(
        {"PAGER": "cat", "GIT_PAGER": "cat", "NO_COLOR": "1", "TERM": "dumb", "GIT_TERMINAL_PROMPT": "0"}
    )
    env.setdefault("CI", "true")  # test runners skip watch modes
    return env


class BashTool(Tool[BashArgs]):
    name = "bash"
    description = "Run a shell command in the workspace (tests, git, builds). Edit files with edit/write."
    Args = BashArgs
    example = {"command": "python -m pytest -x -q"}
    kind = "execute"
    category = "run"

    async def run(self, args: BashArgs, ctx: ToolContext) -> ToolResult:
        verdict = check_command(
            args.command,
            ctx.bash_mode,
            ctx.bash_allow,
            ctx.state.get("bash_always", []),
            root=ctx.workspace.root,
        )
        if verdict.denied:
            return ToolResult.fail("denied", f"Not run: {verdict.reason}.")
        if not verdict.allowed:
            if ctx.ask_permission is None:
                return ToolResult.fail(
                    "denied",
                    f"Not run: {verdict.reason}. Bash is in {ctx.bash_mode} mode and nobody can approve "
                    "commands now. Use the read/grep/edit tools, or another command.",
                )
            answer = await ctx.ask_permission(PermissionRequest("bash", args.command, verdict.reason))
            if answer == "reject":
                return ToolResult.fail(
                    "denied", f"The user rejected `{args.command}`. Do not retry it; take another approach."
                )
            if answer == "allow_always":
                always = ctx.state.setdefault("bash_always", [])
                if args.command.strip() not in always:
                    always.append(args.command.strip())
        timeout = args.timeout if "timeout" in args.model_fields_set else ctx.bash_timeout
        timeout = min(max(timeout, 1), MAX_TIMEOUT)
        return await self.execute(args.command, ctx, float(timeout), sandboxed=verdict.sandboxed)

    @staticmethod
    async def execute(command: str, ctx: ToolContext, timeout: float, sandboxed: bool = False) -> ToolResult:
        """Run `command` (no policy check) and report its output and exit code."""
        proc = await asyncio.create_subprocess_shell(
            command,
            cwd=ctx.workspace.root,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            executable=shutil.which("bash"),
            env=shell_env(sandboxed),
        )
        assert proc.stdout is not None
        out = _Collector()
        reader = asyncio.create_task(out.drain(proc.stdout))
        notes = []
        timed_out = False
        try:
            try:
                async with asyncio.timeout(timeout):
                    # Process.wait() also waits for the pipe to close, which a background child can
                    # hold open: watch the shell's own exit and the output separately.
                    while proc.returncode is None and not reader.done():
                        await asyncio.wait([reader], timeout=POLL)
                    if reader.done():
                        await proc.wait()
            except TimeoutError:
                timed_out = True
                await kill_group(proc)
            if not reader.done():
                done, _ = await asyncio.wait([reader], timeout=DRAIN_GRACE)
                if not done:
                    notes.append("[background processes still held the output; they were stopped]")
                    await kill_group(proc)
                    done, _ = await asyncio.wait([reader], timeout=KILL_GRACE)
                    if not done:
                        reader.cancel()
                        notes.append("[output cut: a process outside the group kept it open]")
            if reader.done() and not reader.cancelled():
                await proc.wait()
        except asyncio.CancelledError:
            await kill_group(proc)
            reader.cancel()
            raise
        text = out.render() or "(no output)"
        if timed_out:
            return ToolResult.fail(
                "timeout", f"{text}\n[timed out after {timeout:g}s; the command and its children were killed]"
            )
        code = proc.returncode if proc.returncode is not None else -1
        notes.append(f"[exit code {code}]")
        result = text + "\n" + "\n".join(notes)
        return ToolResult(result) if code == 0 else ToolResult.fail("failed", result)
