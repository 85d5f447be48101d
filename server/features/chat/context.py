"""The request context of a turn: the file, the selection (from the unsaved buffer) and the client's
diagnostics that touch the selected lines."""

from __future__ import annotations

from skiff.agent.context import Diagnostic, RequestContext, Selection
from skiff.server.documents import Buffers, Encoding, line_starts, offset_at, uri_to_path
from skiff.server.params import LspDiagnostic, Range

SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}


def build_context(
    documents: Buffers, uri: str | None, rng: Range | None, diagnostics: list[LspDiagnostic]
) -> RequestContext:
    """File, selection (from the open buffer, unsaved text included, else the disk), diagnostics in range."""
    ctx = RequestContext()
    if uri is None:
        ctx.diagnostics = [to_agent_diagnostic(d) for d in diagnostics]
        return ctx
    path = uri_to_path(uri)
    if path is not None:
        root = documents.root().resolve()
        ctx.path = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        doc = documents.by_path(path)
        ctx.language = doc.language_id if doc is not None and doc.language_id else None
        text = documents.text_of(path)
        if rng is not None and text is not None:
            ctx.selection = selection_of(text, rng, documents.encoding)
    in_range = [d for d in diagnostics if rng is None or overlaps(d.range, rng)]
    ctx.diagnostics = [to_agent_diagnostic(d) for d in in_range]
    return ctx


def overlaps(a: Range, b: Range) -> bool:
    """Line-granular, inclusive: a diagnostic touching any selected line belongs to the selection."""
    return a.start.line <= b.end.line and a.end.line >= b.start.line


def selection_of(text: str, rng: Range, encoding: Encoding) -> Selection:
    starts = line_starts(text)
    start = offset_at(text, rng.start.line, rng.start.character, encoding, starts)
    end = offset_at(text, rng.end.line, rng.end.character, encoding, starts)
    end_line = rng.end.line
    if rng.end.character == 0 and rng.end.line > rng.start.line:
        end_line -= 1
    return Selection(
        start_line=rng.start.line,
        end_line=max(rng.start.line, end_line),
        text=text[start : max(start, end)],
        start_character=rng.start.character,
        end_character=rng.end.character,
    )


def to_agent_diagnostic(d: LspDiagnostic) -> Diagnostic:
    return Diagnostic(
        line=d.range.start.line,
        message=d.message,
        severity=SEVERITY.get(d.severity or 1, "error"),
        source=d.source,
        code=str(d.code) if d.code is not None else None,
        end_line=d.range.end.line,
    )
