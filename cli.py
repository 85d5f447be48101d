"""The `skiff` command, above both halves: `run` (a headless turn, prints a diff), `models`, `doctor`,
`sessions` (the agent) and `serve` (the language server), one argument parser for all of them
(`python -m skiff.server` uses it too)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO

from skiff import __version__
from skiff.agent import discovery
from skiff.agent.catalog import ModelCatalog
from skiff.agent.config import ConfigError
from skiff.agent.context import RequestContext, Selection, infer_context
from skiff.agent.doctor import Report, check_model, with_fix
from skiff.agent.events import (
    ErrorEvent,
    Event,
    MechanismFired,
    PlanUpdate,
    TextDelta,
    ThoughtDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.proposal import Proposal
from skiff.agent.providers.base import ProviderError
from skiff.agent.providers.factory import make_provider
from skiff.agent.redact import install_log_redaction
from skiff.agent.tools.base import PermissionAnswer, PermissionRequest
from skiff.agent.workspace import PathOutsideWorkspace, Workspace, refuse_hard_link


class ProgressPrinter:
    """Renders turn events on stderr: streamed text, tool calls and what the mechanisms did."""

    def __init__(self, out: TextIO, color: bool) -> None:
        self.out = out
        self.color = color
        self._in_text = False

    def _style(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def _line(self, text: str) -> None:
        if self._in_text:
            self.out.write("\n")
            self._in_text = False
        self.out.write(text + "\n")
        self.out.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self._in_text = True
        elif isinstance(event, ThoughtDelta):
            self.out.write(self._style("2", event.text))
            self.out.flush()
            self._in_text = True
        elif isinstance(event, ToolCallStarted):
            args = ", ".join(f"{k}={_short(v)}" for k, v in event.arguments.items())
            self._line(self._style("36", f"→ {event.name}({args})"))
        elif isinstance(event, ToolCallFinished):
            mark = self._style("32", "✓") if event.status == "completed" else self._style("31", "✗")
            first = event.output.strip().splitlines()[0] if event.output.strip() else ""
            self._line(f"  {mark} {event.name}: {_short(first, 100)}")
        elif isinstance(event, MechanismFired):
            self._line(self._style("33", f"[{event.mechanism}] {event.detail}"))
        elif isinstance(event, PlanUpdate):
            for entry in event.entries:
                self._line(f"  plan: [{entry.get('status', '')}] {entry.get('content', '')}")
        elif isinstance(event, ErrorEvent):
            self._line(self._style("31", f"error: {event.message}"))

    def finish(self) -> None:
        if self._in_text:
            self.out.write("\n")
            self._in_text = False


def _short(value: object, limit: int = 40) -> str:
    text = str(value).replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _ask_on_terminal(request: PermissionRequest) -> PermissionAnswer:
    if not sys.stdin.isatty():
        return "reject"
    sys.stderr.write(
        f"\nSkiff wants to run: {request.command}\n({request.reason})\nAllow? [y]es once / [a]lways / [N]o: "
    )
    sys.stderr.flush()
    answer = (await asyncio.to_thread(sys.stdin.readline)).strip().lower()
    return {"y": "allow_once", "yes": "allow_once", "a": "allow_always"}.get(answer, "reject")  # type: ignore[return-value]


def _parse_lines(spec: str | None) -> tuple[int, int] | None:
    if not spec:
        return None
    start, _, end = spec.partition("-")
    return int(start), int(end or start)


async def _run(args: argparse.Namespace) -> int:
    spec = await ModelCatalog(strict=True).resolve_async(args.model)
    workspace = Workspace(Path(args.workspace))
    if not workspace.root.is_dir():
        print(f"skiff: workspace {workspace.root} is not a folder", file=sys.stderr)
        return 2
    context = _context(args, workspace)
    provider = make_provider(spec)
    options = SessionOptions.from_spec(spec, bash_mode=args.bash, run_tests=not args.no_tests)
    session = Session(provider, workspace, options, ask_permission=_ask_on_terminal)
    printer = ProgressPrinter(sys.stderr, color=sys.stderr.isatty() and not os.environ.get("NO_COLOR"))
    print(f"skiff: {spec.ref} on {workspace.root}", file=sys.stderr)
    try:
        result = await session.run_turn(args.instruction, context, printer)
    finally:
        printer.finish()
        await provider.aclose()
    if result.error:
        print(f"skiff: the turn failed: {with_fix(result.error, spec)}", file=sys.stderr)
        return 1
    print(
        f"skiff: {result.stop_reason} after {result.model_calls} model call(s), "
        f"{result.usage.prompt_tokens} prompt + {result.usage.completion_tokens} completion tokens",
        file=sys.stderr,
    )
    if result.proposal is None:
        print(f"skiff: no changes proposed{_why_no_change(result.text)}", file=sys.stderr)
        return 0
    if result.verification is not None:
        print(f"skiff: checks: {result.verification.summary}", file=sys.stderr)
    if args.apply:
        problem = apply_proposal(workspace, result.proposal)
        if problem is not None:
            print(f"skiff: nothing applied: {problem}", file=sys.stderr)
            return 1
        for change in result.proposal.changes:
            print(f"skiff: applied {change.kind} {change.path}", file=sys.stderr)
    else:
        sys.stdout.write(result.proposal.unified_diff())
    return 0


def apply_proposal(workspace: Workspace, proposal: Proposal) -> str | None:
    """Write `proposal` to disk (`skiff run --apply`); the reason instead when a target is no longer safe
    to write (outside the workspace, a hard link): then nothing is written. Checked again here because
    the files may have changed since the turn read them."""
    try:
        targets = [(change, workspace.resolve(change.path)) for change in proposal.changes]
        for _, path in targets:
            refuse_hard_link(path)
    except PathOutsideWorkspace as exc:  # InvalidPath included
        return str(exc)
    for change, path in targets:
        if change.new_text is None:
            path.unlink(missing_ok=True)
        else:
            _replace_file(path, change.new_text)
    return None


def _replace_file(path: Path, text: str) -> None:
    """Write `path` through a temporary file and a rename: a reader never sees half a file, and the new
    file is its own (a link the path had is not written through)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.skiff-{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _why_no_change(text: str) -> str:
    """Say plainly that the model gave no usable edit, with the start of what it said instead."""
    said = " ".join(text.split())
    if said.startswith("The model"):  # the one-call path's own account of what went wrong
        return f". {_short(said, 300)}"
    if not said:
        return ": the model's answer held no edit Skiff could apply"
    return f": the model's answer held no edit Skiff could apply (it said: {_short(said, 160)})"


def _context(args: argparse.Namespace, workspace: Workspace) -> RequestContext | None:
    if not args.file:
        return infer_context(workspace.root, args.instruction)
    path = workspace.resolve(args.file)
    rel = workspace.relative(path)
    lines = _parse_lines(args.lines)
    if lines is None:
        return RequestContext(path=rel)
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start, end = lines
    return RequestContext(path=rel, selection=Selection(start - 1, end - 1, "".join(text[start - 1 : end])))


def _models(args: argparse.Namespace) -> int:
    catalog = ModelCatalog(strict=True)
    found = asyncio.run(catalog.discover())
    default = catalog.registry().default
    rows: list[tuple[str, ...]] = []
    for entry in catalog.rows():
        mark = ("*" if entry["id"] == default else " ") + ("+" if entry["served"] else " ")
        rows.append(
            (
                f"{mark} {entry['id']}",
                entry["api"],
                str(entry["contextLimit"]),
                entry["name"],
                entry["source"],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)))
    print("\n* default   + served by a local server right now")
    for server in found:
        where = f"{server.endpoint.name} at {server.endpoint.url}"
        print(f"{where}: {len(server.models)} model(s)" if server.up else f"{where}: not running")
    if not found:
        print(f"local servers: not looked for (${discovery.ENV}=off or the models file's discover: false)")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    catalog = ModelCatalog(strict=True)

    async def check() -> Report:
        spec_ref = args.model
        if spec_ref is not None:
            try:
                await catalog.resolve_async(spec_ref)
            except ConfigError:
                pass  # check_model reports it with the fix
        return await check_model(catalog.resolve, spec_ref, completion=not args.no_completion)

    report = asyncio.run(check())
    print(report.text())
    return 0 if report.ok else 1


def _sessions(args: argparse.Namespace) -> int:
    """`skiff sessions`: the stored chat sessions of a workspace; `skiff sessions export ID`: one as JSON."""
    import json
    import time

    from skiff.agent.session_store import SessionStore

    store = SessionStore(Path(args.workspace).resolve())
    if args.action == "export":
        if not args.id:
            print("skiff: sessions export needs a session id (see `skiff sessions`)", file=sys.stderr)
            return 2
        data = store.export(args.id)
        if data is None:
            print(
                f"skiff: no stored session '{args.id}' for {store.root} (see `skiff sessions`)",
                file=sys.stderr,
            )
            return 1
        json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    stored = store.sessions()
    if not stored:
        print(f"skiff: no stored sessions for {store.root} (in {store.dir})", file=sys.stderr)
        return 0
    for item in stored:
        pending = sum(
            1
            for pid in item.data.get("proposals", [])
            if (store.load_proposal(str(pid)) or {}).get("status") == "pending"
        )
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.updated))
        turns = int(item.data.get("turns", 0) or 0)
        title = _short(str(item.data.get("title", "")), 60)
        print(f"{item.id}  {when}  {turns:>3} turn(s)  {pending} pending  {title}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from skiff.server.app import serve

    return serve(tcp=args.tcp, model=args.model)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skiff", description="A coding agent for small local models.")
    parser.add_argument("--version", action="version", version=f"skiff {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one agent request headless and print the proposed diff")
    run.add_argument("instruction", help="what the agent should do")
    run.add_argument("--model", help="PROVIDER/ID (see `skiff models`); default: the registry default")
    run.add_argument("--workspace", default=".", help="workspace root (default: current folder)")
    run.add_argument("--file", help="file the request is about (workspace-relative)")
    run.add_argument("--lines", help="selected lines of --file, e.g. 10-24 (1-based)")
    run.add_argument("--apply", action="store_true", help="write the proposal to disk instead of printing it")
    run.add_argument("--bash", choices=["auto", "accept-all", "manual"], default="auto", help="shell policy")
    run.add_argument(
        "--no-tests", action="store_true", help="do not run the project's tests to check the proposed edit"
    )
    run.set_defaults(func=lambda a: asyncio.run(_run(a)))

    models = sub.add_parser(
        "models", help="list the model registry, the models local servers serve, and where each came from"
    )
    models.set_defaults(func=_models)

    doctor = sub.add_parser(
        "doctor", help="try the configured model (imports, file, server, one token) and print the fix"
    )
    doctor.add_argument("--model", help="PROVIDER/ID to check; default: the registry default")
    doctor.add_argument(
        "--no-completion", action="store_true", help="skip the one-token completion (no model load)"
    )
    doctor.set_defaults(func=_doctor)

    sessions = sub.add_parser("sessions", help="list the stored chat sessions, or export one as JSON")
    sessions.add_argument("action", nargs="?", choices=["list", "export"], default="list")
    sessions.add_argument("id", nargs="?", help="the session to export")
    sessions.add_argument("--workspace", default=".", help="workspace root (default: current folder)")
    sessions.set_defaults(func=_sessions)

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--model", help="PROVIDER/ID for new sessions")
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    install_log_redaction()  # warnings reach stderr through logging's last-resort handler: redacted
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (ConfigError, ProviderError) as exc:
        print(f"skiff: {with_fix(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nskiff: cancelled", file=sys.stderr)
        return 130
