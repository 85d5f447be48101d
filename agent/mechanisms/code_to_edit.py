"""code_to_edit: code printed in the final reply becomes a proposed edit of the file the request is about.

Small models often answer "fix this" by printing the fixed code and calling no tool, and the turn would
end with nothing changed. At turn end, when the request names a file (turn.context) and the reply holds
code for it, `skiff.agent.parsing.edit_plan.plan_edit` maps the code to the file (SEARCH/REPLACE blocks,
unified diffs, whole definitions, a block shaped like the selection, a complete small file) and the result is
written to the turn overlay: it becomes the same reviewable proposal as any tool edit. Code that would
lose definitions (a truncated whole-file rewrite), elides code with placeholder comments, or does not
match is not applied; the turn is then continued once with a request for an `edit` call.

Nothing is done when the turn already changed the file with tools, or when the request is only a
question ("explain...", "why...").

The same mapping guards `write`: small models often "edit" by writing the whole file again, which the
write tool refuses for an existing file. Instead of only refusing, the written content is mapped onto the
file like printed code (its definitions replace the definitions of the same name; a complete file that
loses nothing replaces a small file). Only when that fails does the model see the refusal.
"""

from __future__ import annotations

from skiff.agent.hooks import Mechanism, Proceed, TurnState
from skiff.agent.messages import ToolCall
from skiff.agent.parsing.edit_plan import plan_edit
from skiff.agent.skill_cards import question_only
from skiff.agent.tools.base import ToolResult
from skiff.agent.workspace import PathOutsideWorkspace

CODE_MARKERS = ("```", "~~~", "<<<<<<<", "\n@@ ")
FOLLOW_UP = (
    "Your reply has code for {path} but it was not applied: {reasons}. Change the file with an `edit` call "
    "instead: old_string = the exact lines to replace, copied from the file; new_string = the new lines."
)


class CodeToEdit(Mechanism):
    name = "code_to_edit"
    order = 80  # code printed in the final reply becomes a proposed edit

    async def around_tool_call(self, call: ToolCall, turn: TurnState, proceed: Proceed) -> ToolResult:
        result = await proceed(call)
        if call.name != "write" or result.error != "exists":
            return result
        path_arg, content = call.arguments.get("path"), call.arguments.get("content")
        if not isinstance(path_arg, str) or not isinstance(content, str):
            return result
        workspace, overlay = turn.tool_ctx.workspace, turn.tool_ctx.overlay
        path = workspace.resolve(path_arg)
        base = overlay.read(path)
        if base is None:
            return result
        rel = workspace.relative(path)
        ext = rel.rsplit(".", 1)[-1] if "." in rel else ""
        plan = plan_edit(f"```{ext}\n{content}\n```", rel, base)
        if plan.new_text is None or plan.new_text == base:
            reasons = "; ".join(plan.rejected) or "it matches no definition in the file"
            return ToolResult.fail(
                "exists", f"{result.output}\n(Your content was not applied as an edit: {reasons}.)"
            )
        try:
            overlay.write(path, plan.new_text)
        except PathOutsideWorkspace as exc:  # a hard-linked file (InvalidPath)
            return ToolResult.fail("invalid_path", f"Refused: {exc}.")
        applied = ", ".join(plan.applied)
        turn.fire(self.name, f"{rel}: write to an existing file applied as an edit ({applied})", path=rel)
        return ToolResult(
            f"{rel} already existed, so your content was applied as an edit: {applied}. "
            "The rest of the file is unchanged."
        )

    async def turn_end(self, turn: TurnState) -> str | None:
        ctx = turn.context
        reply = turn.final_text
        if ctx is None or not ctx.path or not any(m in reply for m in CODE_MARKERS):
            return None
        if question_only(turn.task):
            return None
        overlay = turn.tool_ctx.overlay
        try:
            path = turn.tool_ctx.workspace.resolve(ctx.path)
        except PathOutsideWorkspace:
            return None
        if path in set(overlay.changed_paths()):
            return None  # the model already edited it with tools; printed code is a recap
        base = overlay.read(path)
        if base is None:
            return None
        plan = plan_edit(reply, ctx.path, base, ctx.selection, ctx.language)
        if plan.new_text is not None:
            try:
                overlay.write(path, plan.new_text)
            except PathOutsideWorkspace:  # a hard-linked file (InvalidPath): nothing is applied
                return None
            turn.fire(
                self.name,
                f"{ctx.path}: applied {', '.join(plan.applied)} from the reply",
                path=ctx.path,
                kind=plan.kind,
                applied=plan.applied,
                rejected=plan.rejected,
            )
            return None
        if not plan.rejected or turn.notes.get(self.name):
            return None
        turn.notes[self.name] = "asked for an edit call"
        reasons = "; ".join(plan.rejected)
        turn.fire(
            self.name, f"{ctx.path}: code not applied ({reasons}); asked for an edit call", path=ctx.path
        )
        message = FOLLOW_UP.format(path=ctx.path, reasons=reasons)
        edit = turn.tools.get("edit")
        return message + (f"\n{edit.recipe()}" if edit is not None else "")
