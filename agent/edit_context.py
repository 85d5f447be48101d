"""What the one-call edit path shows the model: the files a request is about, its instructions, a repo map.

- The file the editor sent (or the request names), and every other file the request names: source files
  are editable, instruction files (Markdown, text) read-only. A named file that does not exist yet is a
  file to create.
- For requests that reach across files: a rename shows every file that uses the old name; a request that
  names a definition living in another file shows that file.
- A small repo map: the signatures of the local modules the shown files import (`skiff.agent.outline`:
  Python via `ast`, JavaScript/TypeScript via tree-sitter, other languages by pattern), within a token
  budget.

Everything is read through the turn overlay, so unsaved editor buffers are what the model sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from skiff.agent.context import SOURCE_SUFFIXES, RequestContext, is_test_file
from skiff.agent.intent import read_intent
from skiff.agent.outline import outline
from skiff.agent.parsing.definitions import definitions
from skiff.agent.providers.base import Tokenizer
from skiff.agent.text.ignore import IgnoreMatcher
from skiff.agent.workspace import Overlay, PathOutsideWorkspace

INSTRUCTION_SUFFIXES = {".md", ".txt", ".rst"}
MAX_FILES = 400  # files scanned for names and importers
MAX_RELATED = 4  # files added beyond the ones the request names
_CREATE = re.compile(r"\b(create|new|add|write|generate|make|move|extract|split)\w*\b", re.I)
_IDENT = re.compile(r"`([A-Za-z_]\w*)(?:\(\))?`|\b([A-Za-z_]\w*)\(\)")
_WORD = re.compile(r"[A-Za-z_]\w{2,}")
_TEST_CHANGE = re.compile(
    r"\b(add|write|create|update|extend|change|rename|move|edit)\w*\b[^.;]*\btests?\b", re.I
)
_PY_IMPORT = re.compile(r"^\s*(?:from\s+([.\w]+)\s+import|import\s+([.\w]+))", re.M)
_JS_IMPORT = re.compile(r"""(?:from\s+|require\(\s*)['"](\.{1,2}/[^'"]+)['"]""")
_SKIP_DIRS = frozenset({".", "node_modules", "__pycache__", "build", "dist", "venv", "site-packages"})


@dataclass
class EditContext:
    """The files of one edit request. `files` maps workspace-relative paths to their text (None: a file
    the request asks to create); `readonly` holds instructions; `repo_map` the signatures of neighbours."""

    primary: str | None
    files: dict[str, str | None] = field(default_factory=dict)
    readonly: dict[str, str] = field(default_factory=dict)
    repo_map: str = ""

    def lines(self) -> int:
        return sum(len(t.splitlines()) for t in self.files.values() if t)


def gather(
    overlay: Overlay, request: str, context: RequestContext | None, tokenizer: Tokenizer, budget: int
) -> EditContext:
    """The files to show for `request`, within `budget` tokens of file content."""
    workspace = overlay.workspace
    sources = _workspace_files(workspace.root)
    ctx = EditContext(primary=None)
    used = 0

    def read(rel: str) -> str | None:
        try:
            return overlay.read(workspace.resolve(rel))
        except PathOutsideWorkspace:
            return None

    def add(rel: str, *, editable: bool, required: bool) -> None:
        nonlocal used
        if rel in ctx.files or rel in ctx.readonly:
            return
        text = read(rel)
        if text is None:
            if editable and required:
                ctx.files[rel] = None
            return
        cost = tokenizer.count(text)
        if not required and used + cost > budget:
            return
        used += cost
        if editable:
            ctx.files[rel] = text
        else:
            ctx.readonly[rel] = text

    if context is not None and context.path:
        ctx.primary = context.path
        add(context.path, editable=True, required=True)
    for rel in named_files(request, sources):
        editable = Path(rel).suffix.lower() not in INSTRUCTION_SUFFIXES
        if is_test_file(rel) and not _TEST_CHANGE.search(request):
            editable = False  # a failing test the request names is the spec, not the thing to change
        add(rel, editable=editable, required=True)
        if ctx.primary is None and editable:
            ctx.primary = rel
    for rel in _new_files(request, sources):
        ctx.files.setdefault(rel, None)
    for rel in related_files(request, ctx, sources, read):
        add(rel, editable=True, required=False)
    if ctx.primary is None and ctx.files:
        ctx.primary = next(iter(ctx.files))
    ctx.repo_map = repo_map(ctx, sources, read, tokenizer, max(200, budget // 6))
    return ctx


def _workspace_files(root: Path) -> list[str]:
    """Up to MAX_FILES workspace files, .gitignore respected, hidden and vendored folders skipped."""
    out = []
    for p in IgnoreMatcher(root).walk(root, skip=_SKIP_DIRS):
        out.append(p.relative_to(root).as_posix())
        if len(out) >= MAX_FILES:
            break
    return out


def named_files(request: str, files: list[str]) -> list[str]:
    """Workspace files the request names by relative path, by file name, or by an absolute path that ends
    with one (a traceback's), in the order named."""
    out: list[str] = []
    for word in re.findall(r"[\w./-]+", request):
        word = word.rstrip(".").removeprefix("./")
        for rel in files:
            if rel in out:
                continue
            if rel == word or rel.rsplit("/", 1)[-1] == word or word.endswith("/" + rel):
                out.append(rel)
    return out


def _new_files(request: str, files: list[str]) -> list[str]:
    """Source files the request asks to create: named, relative, not existing, and the request says so."""
    if not _CREATE.search(request):
        return []
    known = set(files) | {f.rsplit("/", 1)[-1] for f in files}
    out = []
    for word in re.findall(r"[\w./-]+\.[A-Za-z]+", request):
        word = word.rstrip(".").removeprefix("./")
        if word.startswith("/") or ".." in word.split("/") or any(f.endswith("/" + word) for f in files):
            continue
        if Path(word).suffix in SOURCE_SUFFIXES and word not in known and word not in out:
            out.append(word)
    return out


def related_files(request: str, ctx: EditContext, files: list[str], read: object) -> list[str]:
    """Other files the change reaches: users of a renamed name, files defining a name the request uses."""
    assert callable(read)
    shown = set(ctx.files) | set(ctx.readonly)
    candidates = [f for f in files if f not in shown and Path(f).suffix in SOURCE_SUFFIXES]
    out: list[str] = []
    promise = read_intent(request)
    if promise is not None and promise.kind == "rename":
        pattern = re.compile(rf"\b{re.escape(promise.old)}\b")
        for rel in candidates:
            text = read(rel)
            if isinstance(text, str) and pattern.search(text):
                out.append(rel)
        return out[:MAX_RELATED]
    names = {a or b for a, b in _IDENT.findall(request)}
    shown_defs = set()
    for text in ctx.files.values():
        if text:
            shown_defs |= {d.name for d in definitions(text, python=True) or []}
    wanted = names - shown_defs
    if not wanted:
        words = set(_WORD.findall(request)) - shown_defs
        wanted = {w for w in words if "_" in w or any(c.isupper() for c in w[1:])}
    if not wanted:
        return []
    for rel in candidates:
        text = read(rel)
        if not isinstance(text, str) or is_test_file(rel):
            continue
        defs = definitions(text, python=rel.endswith(".py")) or []
        if wanted & {d.name for d in defs}:
            out.append(rel)
    return out[:MAX_RELATED]


def repo_map(ctx: EditContext, files: list[str], read: object, tokenizer: Tokenizer, budget: int) -> str:
    """Signatures of the local modules the shown files import, at most `budget` tokens."""
    assert callable(read)
    shown = set(ctx.files) | set(ctx.readonly)
    targets: list[str] = []
    for rel, text in ctx.files.items():
        if text:
            targets += [t for t in imported_files(rel, text, files) if t not in shown and t not in targets]
    parts: list[str] = []
    used = 0
    for rel in targets:
        text = read(rel)
        if not isinstance(text, str):
            continue
        lines = outline(text, rel)
        if not lines:
            continue
        piece = f"{rel}:\n" + "\n".join("  " + line for line in lines)
        cost = tokenizer.count(piece)
        if used + cost > budget:
            break
        used += cost
        parts.append(piece)
    return "\n".join(parts)


def imported_files(rel: str, text: str, files: list[str]) -> list[str]:
    """Workspace files that `rel` imports (Python modules by dotted name, JS/TS by relative path)."""
    known = set(files)
    out: list[str] = []
    base = rel.rsplit("/", 1)[0] if "/" in rel else ""
    if rel.endswith(".py"):
        for a, b in _PY_IMPORT.findall(text):
            name = (a or b).lstrip(".").replace(".", "/")
            for cand in (f"{name}.py", f"{base}/{name}.py" if base else "", f"{name}/__init__.py"):
                if cand and cand in known and cand not in out:
                    out.append(cand)
    else:
        for spec in _JS_IMPORT.findall(text):
            joined = _join(base, spec)
            for cand in (joined, *(joined + ext for ext in (".js", ".ts", ".mjs", ".cjs", ".tsx"))):
                if cand in known and cand not in out:
                    out.append(cand)
    return out


def _join(base: str, spec: str) -> str:
    parts = base.split("/") if base else []
    for piece in spec.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)
