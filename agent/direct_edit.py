"""The one-call edit path: a request about files gets the code in its first call and answers with the edit.

For a request about a file or a selection (every code action, and `skiff run` when the request names a
file) the model does not go through tools: the first and usually only call shows the files (see
`skiff.agent.edit_context`) and asks for the edit in the profile's format, with no routing step and no
tool schemas. The reply, whatever its wrapper, is mapped onto the files (`skiff.agent.edit_formats`) and
written to the turn overlay. Then the edit is checked (`skiff.agent.verify`): a failure is shown to the
model for a bounded number of repair rounds (`repairRounds`), and the best attempt is kept. The
verification travels with the proposal.

Requests that only ask about code, or that name no file, use the tool loop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skiff.agent.edit_context import EditContext, gather
from skiff.agent.edit_formats import (
    EditFormat,
    ReplyEdits,
    instructions,
    map_reply,
    render_file,
    repair_request,
)
from skiff.agent.events import MechanismFired
from skiff.agent.import_fixes import fix_imports
from skiff.agent.intent import Intent, complete_move, enforce, read_intent
from skiff.agent.intent import check as check_intent
from skiff.agent.messages import Message
from skiff.agent.parsing.fences import without_fenced
from skiff.agent.request_bounds import Bound, read_bound
from skiff.agent.request_bounds import check as check_bound
from skiff.agent.skill_cards import question_only
from skiff.agent.verify import Verification, VerifyOptions, syntax_error, verify
from skiff.agent.workspace import PathOutsideWorkspace

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from skiff.agent.config import Profile
    from skiff.agent.context import RequestContext
    from skiff.agent.hooks import ModelReply, TurnState

    CallModel = Callable[[list[Message], int], Awaitable[ModelReply]]

NAME = "direct_edit"
FILE_BUDGET_SHARE = 0.45  # of the context limit, for the files shown
OUTPUT_MARGIN = 256


@dataclass
class Attempt:
    texts: dict[str, str]
    verification: Verification
    broken: bool = False  # it broke the syntax of files that parsed


def wants_direct_edit(profile: Profile, prompt: str, context: RequestContext | None) -> bool:
    """The profile edits in one call and the request asks for a change (not only a question)."""
    return profile.edit_format != "tools" and not question_only(prompt)


def choose_format(profile: Profile, ctx: EditContext) -> EditFormat:
    if profile.edit_format in ("whole", "search_replace"):
        return profile.edit_format
    return "whole" if ctx.lines() <= profile.whole_file_lines else "search_replace"


_BUG_REPORT = re.compile(
    r"\b(fix\w*|bugs?|buggy|crash\w*|fail\w*|traceback|wrong|broken|incorrect\w*|instead of|"
    r"does(?:n't| not) work)\b",
    re.I,
)


def explains(profile: Profile, request: str) -> bool:
    """Whether the one-call edit asks for reasoning before the code (profile key `editExplain`). With
    `auto`: yes when code must be written from a description (add, implement, change), no for a bug
    report. Measured on Qwen2.5-Coder-1.5B (docs/benchmarks.md): reasoning first solved more edit and
    exercise tasks and fewer bug fixes, where the model's diagnosis was often wrong and its code
    followed the diagnosis."""
    if profile.edit_explain == "auto":
        return not _BUG_REPORT.search(request)
    return profile.edit_explain


def user_message(
    request: str, ctx: EditContext, context: RequestContext | None, earlier: list[str] | None = None
) -> str:
    """The files, then the selection and diagnostics, then the request (last, where small models look).
    `earlier` are the chat's previous requests, so a follow-up ("now also...") keeps its meaning."""
    parts = []
    for rel, text in ctx.readonly.items():
        parts.append(f"{render_file(rel, text)}\n(read-only: {rel} is for reference, do not change it)")
    for rel, content in ctx.files.items():
        if content is not None:
            parts.append(render_file(rel, content))
    if ctx.repo_map:
        parts.append(f"Definitions in other files (for reference):\n{ctx.repo_map}")
    new = [rel for rel, text in ctx.files.items() if text is None]
    if new:
        parts.append("New file(s) to create: " + ", ".join(new))
    if context is not None and context.selection is not None and context.selection.text.strip():
        sel = context.selection
        parts.append(
            f"Selected in {context.path}, lines {sel.start_line + 1}-{sel.end_line + 1}:\n```\n"
            f"{sel.text.rstrip()}\n```"
        )
    if context is not None and context.diagnostics:
        parts.append("Diagnostics:\n" + "\n".join(d.render() for d in context.diagnostics))
    if earlier:
        parts.append("Earlier requests in this chat:\n" + "\n".join(f"- {x}" for x in earlier[-3:]))
    where = f" (in {ctx.primary})" if ctx.primary and ctx.primary not in request else ""
    parts.append(f"Request{where}: {request}")
    return "\n\n".join(parts)


class DirectEdit:
    """Runs the one-call edit path for one turn of a session (the loop provides `call_model`)."""

    def __init__(self, turn: TurnState, call_model: CallModel, verify_options: VerifyOptions) -> None:
        self.turn = turn
        self.call_model = call_model
        self.verify_options = verify_options
        self.base: dict[str, str | None] = {}  # the files' texts before the turn (None: created by it)
        self.original: dict[str, str | None] = {}  # the files shown, as shown
        self.promise: Intent | None = None
        self.bound: Bound | None = None

    async def run(self, request: str) -> str | None:
        """Edit, check, repair. Returns the final text; None when there were no files to show (the caller
        then runs the tool loop)."""
        turn = self.turn
        ctx = gather(turn.tool_ctx.overlay, request, turn.context, turn.tokenizer, self._file_budget())
        if not ctx.files:
            return None
        fmt = choose_format(turn.profile, ctx)
        shown = ", ".join([*ctx.files, *ctx.readonly]) or "no files"
        turn.fire(NAME, f"{fmt} format; shown: {shown}", format=fmt, files=list(ctx.files))
        earlier = [m.display or m.content for m in turn.history[:-1] if m.role == "user"]
        messages = [
            Message(
                "system", instructions(fmt, ctx.primary or "path/to/file.py", explains(turn.profile, request))
            ),
            Message("user", user_message(request, ctx, turn.context, earlier)),
        ]
        self.base = dict(ctx.files)  # grows with the files the model creates
        self.original = dict(ctx.files)
        self.promise = read_intent(request) if turn.profile.verify_intent else None
        self.bound = read_bound(request) if turn.profile.verify_intent else None
        base_parses = all([await syntax_error(rel, t) is None for rel, t in self.base.items() if t])
        attempts: list[Attempt] = []
        content = ""
        rounds = 0
        while True:
            reply = await self.call_model(messages, self._max_tokens(messages, ctx))
            content = _with_native_calls(reply.message)
            edits = self._map(content, request, ctx)
            if edits.empty:
                reasons = "; ".join(edits.rejected)
                turn.fire(NAME, f"no edit in the reply{': ' + reasons if reasons else ''}")
                if attempts or rounds >= turn.profile.repair_rounds or not _has_code(content):
                    break
                follow_up = (
                    _unchanged_reminder(edits.unchanged, request)
                    if edits.unchanged and not edits.rejected
                    else _format_reminder(fmt, reasons)
                )
            else:
                verification = await self._apply_and_check(edits, request, list(ctx.files))
                attempts.append(
                    Attempt(self._snapshot(), verification, broken=base_parses and not verification.parses)
                )
                if verification.ok or rounds >= turn.profile.repair_rounds:
                    break
                turn.fire(NAME, f"repair round {rounds + 1}: {verification.summary}")
                follow_up = repair_request(fmt, verification.problems())
            rounds += 1
            messages += [Message("assistant", content), Message("user", follow_up)]
        return self._outcome(request, attempts, content)

    def _map(self, content: str, request: str, ctx: EditContext) -> ReplyEdits:
        context = self.turn.context
        return map_reply(
            content,
            {rel: self._read(rel) for rel in self.base},
            primary=ctx.primary,
            request=request,
            selection=context.selection if context else None,
            readonly=ctx.readonly,
        )

    async def _apply_and_check(self, edits: ReplyEdits, request: str, shown: list[str]) -> Verification:
        """Write the edits to the overlay (a promise such as "only docstrings" enforced) and check them."""
        turn = self.turn
        for rel, text in edits.texts.items():
            text = fix_imports(rel, text)
            if self.promise is not None:
                text = enforce(self.promise, rel, self.original.get(rel), text)
            if not self._write(rel, text):
                turn.fire(NAME, f"not applied: {rel} is outside the workspace")
                continue
            self.base.setdefault(rel, None)
        turn.fire(NAME, "applied " + "; ".join(edits.applied), applied=edits.applied)
        if self.promise is not None and self.promise.kind == "move":
            self._complete_move(self.promise)
        overlay = turn.tool_ctx.overlay
        changed = list(overlay.changed_paths())
        verification = await verify(overlay, changed, request, turn.tool_ctx, self.verify_options)
        if self.promise is not None:
            self._check_promise(self.promise, verification, changed, shown)
        if self.bound is not None and verification.parses:
            bound_check = check_bound(self.bound, self._before_after(changed, []))
            if bound_check is not None:
                verification.checks.append(bound_check)
        turn.emit(MechanismFired("verify", verification.summary, verification.to_dict()))
        return verification

    def _outcome(self, request: str, attempts: list[Attempt], last_reply: str) -> str:
        """Leave the best attempt in the overlay and say what happened."""
        turn = self.turn
        best = self._restore_best(attempts, self.base)
        turn.notes[NAME] = best.verification if best else None
        if best is not None and not any(turn.tool_ctx.overlay.changed_paths()):
            turn.notes[NAME] = None
            return f"The model could not do this: {_failures(best.verification)}."
        if best is not None:
            return _summary(request, best)
        if attempts:
            turn.fire(NAME, "every attempt broke the syntax; nothing proposed")
            return f"The model's edit did not parse: {_failures(attempts[-1].verification)}."
        return _prose(last_reply)

    def _complete_move(self, promise: Intent) -> None:
        """Finish a half-done move across the files of the turn (`skiff.agent.intent.complete_move`)."""
        texts = {rel: t for rel in self.base if rel.endswith(".py") and (t := self._read(rel)) is not None}
        done = complete_move(promise, texts)
        for rel, text in done.items():
            self._write(rel, text)
        if done:
            self.turn.fire(NAME, f"completed the move: {', '.join(sorted(done))}")

    def _file_budget(self) -> int:
        return int(self.turn.context_limit * FILE_BUDGET_SHARE)

    def _check_promise(
        self, promise: Intent, verification: Verification, changed: list[Path], shown: list[str]
    ) -> None:
        """Add the intent check (`skiff.agent.intent`) over the changed files and the files shown."""
        result = check_intent(promise, self._before_after(changed, shown))
        if result is not None:
            verification.checks.append(result)

    def _before_after(self, changed: list[Path], shown: list[str]) -> dict[str, tuple[str | None, str]]:
        """rel -> (text before the turn or None, text now) for the changed files and the files shown."""
        workspace = self.turn.tool_ctx.workspace
        rels = [workspace.relative(p) for p in changed]
        rels += [rel for rel in shown if rel not in rels]
        files = {}
        for rel in rels:
            new = self._read(rel)
            if new is not None:
                base = (
                    self.original[rel] if rel in self.original else workspace.read_base(workspace.root / rel)
                )
                files[rel] = (base, new)
        return files

    def _write(self, rel: str, text: str | None) -> bool:
        """Put `text` in the turn overlay; False (nothing written) for a path outside the workspace."""
        tool_ctx = self.turn.tool_ctx
        try:
            tool_ctx.overlay.write(tool_ctx.workspace.resolve(rel), text)
        except PathOutsideWorkspace:
            return False
        return True

    def _read(self, rel: str) -> str | None:
        tool_ctx = self.turn.tool_ctx
        try:
            return tool_ctx.overlay.read(tool_ctx.workspace.resolve(rel))
        except PathOutsideWorkspace:
            return None

    def _snapshot(self) -> dict[str, str]:
        overlay = self.turn.tool_ctx.overlay
        return {
            self.turn.tool_ctx.workspace.relative(p): text
            for p, text in overlay.current.items()
            if text is not None
        }

    def _restore_best(self, attempts: list[Attempt], base: dict[str, str | None]) -> Attempt | None:
        """Leave the best attempt in the overlay (ties: the latest). An attempt that broke the syntax of
        files that parsed is never proposed: with no other, the overlay goes back to the base texts."""
        usable = [a for a in attempts if not a.broken]
        if not usable:
            for rel, text in base.items():
                self._write(rel, text)
            return None
        best = max(reversed(usable), key=lambda a: a.verification.score())
        for rel, text in best.texts.items():
            self._write(rel, text)
        return best

    def _max_tokens(self, messages: list[Message], ctx: EditContext) -> int:
        """Room for the whole files plus a margin, within the context limit."""
        turn = self.turn
        prompt = sum(turn.tokenizer.count(m.content) for m in messages) + 16 * len(messages)
        files = sum(turn.tokenizer.count(t) for t in ctx.files.values() if t)
        want = max(turn.profile.max_output_tokens or 0, int(files * 1.3) + OUTPUT_MARGIN)
        return max(128, min(want, turn.context_limit - prompt))


def _with_native_calls(message: Message) -> str:
    """The reply text, with native tool calls (a `write` or `edit` the model sent as a call) appended as
    the JSON the mapping reads: any wrapper counts."""
    calls = [
        "```json\n" + json.dumps({"name": c.name, "arguments": c.arguments}) + "\n```"
        for c in message.tool_calls
    ]
    return "\n".join([message.content, *calls]) if calls else message.content


def _failures(verification: Verification) -> str:
    """The failed checks, one line: what the user reads when nothing could be proposed."""
    lines = [x.strip("- ").strip() for x in verification.problems().splitlines()]
    useful = [x for x in lines if x and not x.endswith(":")]
    return "; ".join(useful[:3]) or verification.summary


def _has_code(text: str) -> bool:
    return "```" in text or "<<<<<<<" in text


def _unchanged_reminder(files: list[str], request: str) -> str:
    """An answer that repeats the file unchanged did not find what to change: ask for the reasoning
    first this time (reasoning first is what finds a bug the code-only answer missed)."""
    return (
        f"Your answer repeats {', '.join(files)} without any change. First say in one sentence which line "
        f"is wrong or missing for the request and how it must change; then reply with the complete updated "
        f"file. The request: {request}"
    )


def _format_reminder(fmt: EditFormat, reasons: str) -> str:
    why = f" ({reasons})" if reasons else ""
    if fmt == "whole":
        return (
            f"Your answer could not be applied{why}. Reply with the complete updated file: its path on a "
            "line by itself, then every line of the file in a fenced code block."
        )
    return (
        f"Your answer could not be applied{why}. Reply with SEARCH/REPLACE blocks, each after the file's "
        "path."
    )


def _prose(reply: str) -> str:
    """The reply without its code blocks: the model's explanation."""
    return without_fenced(reply).strip()


def _summary(request: str, attempt: Attempt) -> str:
    files = ", ".join(sorted(attempt.texts)) or "no files"
    return f"{request.strip().splitlines()[0][:100]} — {files} ({attempt.verification.summary})"
