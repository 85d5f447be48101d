"""Code in a model's reply mapped to an edit of one file: fenced blocks, SEARCH/REPLACE blocks, unified diffs.

Small models often answer an edit request by printing code instead of calling a tool. `plan_edit` turns
such a reply into the new text of the file the request is about, trying in order:

1. SEARCH/REPLACE blocks (aider style), applied with the tolerant matcher of `skiff.agent.text.editmatch`;
2. unified diffs (parsed with `unidiff`, or leniently when the model got the hunk counts wrong), each hunk
   applied as a search/replace of its old side;
3. fenced code blocks: a whole function or class replaces the definition of the same name (Python via
   `ast`, other languages by a regex and brace/indent scan); a complete file replaces a small file; a
   block shaped like the selection replaces the selection.

It never applies code that would lose definitions the block does not mention (a truncated whole-file
rewrite), nor code with elision placeholders (`# ... rest unchanged`); such blocks are reported in
`EditPlan.rejected` so the caller can ask for an `edit` call instead.
"""

from __future__ import annotations

import ast
import itertools
import re
import textwrap
from dataclasses import dataclass, field

from skiff.agent.context import Selection
from skiff.agent.parsing.codeblocks import SEARCH_REPLACE_BLOCK, search_replace_blocks, unified_diffs
from skiff.agent.parsing.definitions import Definition, definitions, python_definitions, regex_definitions
from skiff.agent.parsing.fences import Fence, fenced_blocks
from skiff.agent.text.editmatch import EditMatchError, EditOutcome, apply_edit
from skiff.agent.text.similarity import similarity
from skiff.agent.textdiff import split_lines
from skiff.agent.tools.edit import strip_line_numbers

MAX_WHOLE_FILE_LINES = 300  # a complete-file block replaces files up to this size only

_FILE_MENTION = re.compile(r"[\w./\\-]*\w\.(\w+)\b")

_SOURCE_EXTS = {
    "py",
    "pyi",
    "js",
    "jsx",
    "ts",
    "tsx",
    "rs",
    "go",
    "java",
    "c",
    "h",
    "cpp",
    "hpp",
    "rb",
    "lua",
    "sh",
}

_PLACEHOLDER = re.compile(
    r"^\s*(?:#|//|/\*|--|<!--)\s*(?:\.\.\.|…|\(?(?:rest|remainder) of|existing code|(?:code|everything) "
    r"(?:above|below)|unchanged|same as (?:before|above)|other (?:methods|functions)|omitted|etc\b)",
    re.I,
)

_CODE_LANGS = {
    "py": {"python", "py", "python3", "py3"},
    "js": {"javascript", "js", "jsx", "node"},
    "ts": {"typescript", "ts", "tsx"},
    "rs": {"rust", "rs"},
    "go": {"go", "golang"},
    "java": {"java"},
    "c": {"c", "h"},
    "cpp": {"cpp", "c++", "cc", "hpp", "cxx"},
    "rb": {"ruby", "rb"},
    "sh": {"sh", "bash", "shell", "zsh"},
}

_NOT_CODE = {
    "json",
    "diff",
    "patch",
    "text",
    "txt",
    "console",
    "output",
    "log",
    "shell-session",
    "markdown",
    "md",
}


@dataclass
class EditPlan:
    """What a reply does to one file: the new text (None: nothing applicable) and why."""

    new_text: str | None = None
    kind: str = ""  # search_replace | diff | definitions | whole_file | selection
    applied: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def plan_edit(
    reply: str, path: str, base: str, selection: Selection | None = None, language: str | None = None
) -> EditPlan:
    """The edit of `path` (current text `base`) that the code in `reply` stands for, if any."""
    srs = [s for s in search_replace_blocks(reply) if _same_file(s.path, path)]
    if srs:
        return _apply_pairs([(s.search, s.replace) for s in srs], base, "search_replace")
    diffs = [d for d in unified_diffs(reply) if _same_file(d.path, path)]
    if diffs:
        return _apply_pairs([(h.old, h.new) for d in diffs for h in d.hunks], base, "diff")
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    python = ext in ("py", "pyi") or (language or "").lower() == "python"
    plan = EditPlan()
    text = base
    for block in fenced_blocks(reply):
        if (
            not _fits_language(block, ext, language)
            or _names_other_file(block, path)
            or SEARCH_REPLACE_BLOCK.search(block.code)
        ):
            continue
        result = _map_block(block, text, python, selection, path)
        plan.rejected.extend(result.rejected)
        if result.new_text is not None and result.new_text != text:
            text = result.new_text
            plan.applied.extend(result.applied)
            plan.kind = plan.kind or result.kind
    if plan.applied:
        plan.new_text = text
    return plan


def definitions_edit(code: str, base: str, path: str, selection: Selection | None = None) -> EditPlan:
    """Each top-level definition in `code` replaces the file's definition of the same name; new ones go
    next to the definitions they came with. Nothing else of the file changes."""
    python = path.endswith((".py", ".pyi"))
    file_defs = definitions(base, python)
    if file_defs is None:
        python, file_defs = False, regex_definitions(base)
    block_defs = definitions(code, python)
    if not block_defs:
        return EditPlan()
    top = [d for d in block_defs if d.depth == 0]
    return _definitions_plan(code, base, python, top, file_defs, selection)


def _same_file(named: str | None, path: str) -> bool:
    if named is None:
        return True
    a, b = named.replace("\\", "/").removeprefix("./"), path.replace("\\", "/").removeprefix("./")
    if a == b or a.endswith("/" + b) or b.endswith("/" + a):
        return True
    return ("/" not in a or "/" not in b) and a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1]


def _names_other_file(block: Fence, path: str) -> bool:
    """The fence's info string or the prose line above it names a source file, and not this one."""
    named = [
        m.group(0).strip("`'\"*:,()")
        for m in _FILE_MENTION.finditer(f"{block.info} {block.before}")
        if m.group(1).lower() in _SOURCE_EXTS
    ]
    return bool(named) and not any(_same_file(n, path) for n in named)


def _apply_pairs(pairs: list[tuple[str, str]], base: str, kind: str) -> EditPlan:
    plan = EditPlan(kind=kind)
    text = base
    for n, (search, replace) in enumerate(pairs, 1):
        if not search.strip():
            plan.rejected.append(f"{kind} #{n}: empty search side")
            continue
        try:
            outcome = _apply_numbered(text, search, replace)
        except EditMatchError as exc:
            where = f" (matches at lines {', '.join(map(str, exc.lines))})" if exc.lines else ""
            plan.rejected.append(f"{kind} #{n}: {exc.kind.replace('_', ' ')}{where}")
            continue
        text = outcome.text
        plan.applied.append(f"{kind} #{n} at line {outcome.spans[0].first_line}")
    if plan.applied and text != base:
        plan.new_text = text
    return plan


def _apply_numbered(text: str, search: str, replace: str) -> EditOutcome:
    """apply_edit, retried without `  12| ` prefixes the model copied from a numbered listing."""
    try:
        return apply_edit(text, search, replace)
    except EditMatchError as exc:
        bare = strip_line_numbers(search) if exc.kind == "no_match" else None
        if bare is None:
            raise
        return apply_edit(text, bare, strip_line_numbers(replace) or replace)


def _fits_language(block: Fence, ext: str, language: str | None) -> bool:
    if block.lang in _NOT_CODE:
        return False
    if not block.lang:
        return True
    wanted = _CODE_LANGS.get(ext, {ext}) | ({language.lower()} if language else set())
    return block.lang in wanted


def has_placeholder(code: str) -> bool:
    """Elision comments such as `# ... existing code ...` or `// rest unchanged`."""
    return any(_PLACEHOLDER.match(line) for line in code.splitlines())


def _map_block(block: Fence, base: str, python: bool, selection: Selection | None, path: str) -> EditPlan:
    code = textwrap.dedent(strip_line_numbers(block.code) or block.code)  # numbers echoed from the prompt
    if not code.strip():
        return EditPlan()
    file_defs = definitions(base, python)
    if file_defs is None:  # the file does not parse (the task may be to fix that): match by pattern
        python = False
        file_defs = regex_definitions(base)
    block_defs = definitions(code, python)
    if block_defs is None:
        return _selection_plan(code, base, selection, block)
    top_block = [d for d in block_defs if d.depth == 0]
    if top_block:
        shaped = _file_shaped(code, base, block_defs, file_defs)
        covers_selection = selection is not None and _all_in_selection(top_block, file_defs, selection)
        if shaped and not covers_selection:
            return _whole_file_plan(block, code, base, python, block_defs, file_defs, path)
        plan = _definitions_plan(code, base, python, top_block, file_defs, selection)
        if plan.new_text is not None or plan.rejected:
            return plan
    return _selection_plan(code, base, selection, block)


def _module_lines(source: str, defs: list[Definition]) -> set[str]:
    """Normalised non-blank lines at indentation 0 outside any definition (imports, constants...)."""
    lines = split_lines(source)
    inside: set[int] = set()
    for d in defs:
        inside.update(range(d.start, d.end))
    out = set()
    for i, line in enumerate(lines):
        s = line.strip()
        if i in inside or not s or line[:1] in " \t" or s in ("}", "{", "};") or s.startswith(("#", "//")):
            continue
        out.add(re.sub(r"\s+", " ", s))
    return out


def _file_shaped(code: str, base: str, block_defs: list[Definition], file_defs: list[Definition]) -> bool:
    """The block claims to be the whole file: next to its definitions it repeats module-level lines of the
    file other than imports (docstring, constants, main guard), or the file's imports with two or more
    definitions, or restates most of the file's top-level definitions. A single function with the imports
    it needs is not file-shaped."""
    top = [d for d in block_defs if d.depth == 0]
    shared = _module_lines(code, block_defs) & _module_lines(base, file_defs)
    file_top = {d.name for d in file_defs if d.depth == 0}
    named = {d.name for d in top} & file_top
    if any(not re.match(r"(import|from)\s", line) for line in shared):
        return True
    if shared and len(top) >= 2:
        return True
    return len(file_top) >= 3 and len(named) * 3 >= len(file_top) * 2


def _all_in_selection(top: list[Definition], file_defs: list[Definition], sel: Selection) -> bool:
    for d in top:
        spans = [f for f in file_defs if f.name == d.name]
        if not spans or not any(f.start <= sel.end_line and f.end > sel.start_line for f in spans):
            return False
    return True


def _whole_file_plan(
    block: Fence,
    code: str,
    base: str,
    python: bool,
    block_defs: list[Definition],
    file_defs: list[Definition],
    path: str,
) -> EditPlan:
    have = {d.qualname for d in block_defs}
    missing = [d.qualname for d in file_defs if d.qualname not in have]
    if missing:
        return EditPlan(rejected=[f"whole-file block for {path} leaves out {', '.join(missing)}"])
    if not block.closed:
        return EditPlan(rejected=[f"whole-file block for {path} is cut off"])
    if has_placeholder(code):
        return EditPlan(rejected=[f"whole-file block for {path} elides code with a placeholder comment"])
    if len(split_lines(base)) > MAX_WHOLE_FILE_LINES:
        top = [d for d in block_defs if d.depth == 0]
        return _definitions_plan(code, base, python, top, file_defs, None)
    new = _match_eol(code, base)
    if not new.endswith(("\n", "\r")) and base.endswith(("\n", "\r")):
        new += _eol_of(base)
    return EditPlan(new_text=new, kind="whole_file", applied=[f"whole file {path}"])


def _definitions_plan(
    code: str,
    base: str,
    python: bool,
    top: list[Definition],
    file_defs: list[Definition],
    selection: Selection | None,
) -> EditPlan:
    plan = EditPlan(kind="definitions")
    code_lines = split_lines(code)
    lines = split_lines(base)
    eol = _eol_of(base)
    replacements: list[tuple[int, int, list[str], str]] = []  # start, end, new lines, label
    mapped: list[tuple[Definition, Definition]] = []
    unmapped: list[Definition] = []
    for d in top:
        target = _target(d, file_defs, selection, _is_method(code_lines[d.start : d.end]))
        if isinstance(target, str):
            plan.rejected.append(f"{d.name} is defined more than once in the file")
            continue
        if target is None:
            unmapped.append(d)
            continue
        snippet = code_lines[d.start : d.end]
        original = "".join(lines[target.start : target.end])
        if has_placeholder("".join(snippet)) and not has_placeholder(original):
            plan.rejected.append(f"{d.name}: the block elides code with a placeholder comment")
            continue
        if python and _elided_body(snippet, original):
            plan.rejected.append(f"{d.name}: the block's body is `...`")
            continue
        new_lines = _reindent(snippet, d.indent, target.indent, eol)
        replacements.append((target.start, target.end, new_lines, target.qualname))
        mapped.append((d, target))
    if not mapped:
        return plan
    for d in unmapped:  # new helpers next to the definitions they came with
        anchor_block, anchor_file = _anchor(d, mapped)
        snippet = _reindent(code_lines[d.start : d.end], d.indent, anchor_file.indent, eol)
        gap = [eol] * (2 if python and not anchor_file.indent else 1)
        if anchor_block.start < d.start:
            replacements.append((anchor_file.end, anchor_file.end, gap + snippet, f"new {d.name}"))
        else:
            replacements.append((anchor_file.start, anchor_file.start, snippet + gap, f"new {d.name}"))
    if python:
        imports = _new_imports(code, base)
        if imports:
            at = _import_anchor(base)
            replacements.append((at, at, [x + eol for x in imports], "imports"))
    replacements.sort(key=lambda r: (r[0], r[1]))
    for a, b in itertools.pairwise(replacements):
        if a[1] > b[0]:
            plan.rejected.append(f"{a[3]} and {b[3]} overlap")
            return EditPlan(rejected=plan.rejected)
    out = list(lines)
    for start, end, new_lines, _ in reversed(replacements):
        if end > start and start < len(out) and not new_lines[-1].endswith(("\n", "\r")):
            new_lines = [*new_lines[:-1], new_lines[-1] + _line_ending(out[end - 1], eol)]
        out[start:end] = new_lines
    new_text = "".join(out)
    if python and python_definitions(base) is not None and python_definitions(new_text) is None:
        return EditPlan(rejected=[*plan.rejected, "the result would not parse"])
    if new_text != base:
        plan.new_text = new_text
        plan.applied.extend(r[3] for r in replacements if r[3] != "imports")
    return plan


def _target(
    d: Definition, file_defs: list[Definition], selection: Selection | None, is_method: bool
) -> Definition | str | None:
    """The file's definition a block definition replaces: same name, narrowed by the selection, by being a
    method (first parameter self/cls) and by qualified name; "ambiguous" when several remain."""
    same = [f for f in file_defs if f.name == d.name]
    narrowing = [
        lambda f: selection is not None and f.start <= selection.end_line and f.end > selection.start_line,
        lambda f: is_method == (f.depth > 0),
        lambda f: f.qualname == d.qualname,
    ]
    for keep in narrowing:
        if len(same) > 1:
            same = [f for f in same if keep(f)] or same
    if len(same) > 1:
        return "ambiguous"
    return same[0] if same else None


def _is_method(snippet: list[str]) -> bool:
    head = "".join(snippet[:3])
    return re.search(r"def\s+\w+\s*\(\s*(self|cls)\b", head) is not None


def _anchor(d: Definition, mapped: list[tuple[Definition, Definition]]) -> tuple[Definition, Definition]:
    before = [m for m in mapped if m[0].start < d.start]
    return before[-1] if before else mapped[0]


def _elided_body(snippet: list[str], original: str) -> bool:
    body = [x.strip() for x in snippet[1:] if x.strip() and not x.strip().startswith("#")]
    orig_body = [x.strip() for x in original.splitlines()[1:] if x.strip()]
    return body in (["..."], ['"""..."""']) and len(orig_body) > 1


def _new_imports(code: str, base: str) -> list[str]:
    try:
        block_tree, file_tree = ast.parse(code), ast.parse(base)
    except SyntaxError:
        return []
    have = {ast.unparse(n) for n in file_tree.body if isinstance(n, ast.Import | ast.ImportFrom)}
    return [
        ast.unparse(n)
        for n in block_tree.body
        if isinstance(n, ast.Import | ast.ImportFrom) and ast.unparse(n) not in have
    ]


def _import_anchor(base: str) -> int:
    """The line after the file's leading imports (or its docstring), where new imports go."""
    try:
        tree = ast.parse(base)
    except SyntaxError:
        return 0
    last = 0
    for n in tree.body:
        if isinstance(n, ast.Import | ast.ImportFrom) or (
            n is tree.body[0] and isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
        ):
            last = n.end_lineno or n.lineno
        else:
            break
    return last


def _selection_plan(code: str, base: str, selection: Selection | None, block: Fence) -> EditPlan:
    """A block shaped like the selection (first identifier, line count, similar text) replaces it."""
    if selection is None or not selection.text.strip() or not block.closed:
        return EditPlan()
    sel = selection.text
    if not _looks_like(code, sel):
        return EditPlan()
    if has_placeholder(code) and not has_placeholder(sel):
        return EditPlan(rejected=["the block for the selection elides code with a placeholder comment"])
    lines = split_lines(base)
    eol = _eol_of(base)
    new_lines = code.strip("\n").splitlines()
    start = selection.start_line
    end = (
        selection.end_line + 1
    )  # end_line is inclusive (the server already dropped a trailing 0-column line)
    region = "".join(lines[start:end])
    offset = sum(len(x) for x in lines[:start]) + selection.start_character
    partial = selection.start_character > 0 or not region.rstrip("\r\n").endswith(sel.rstrip("\r\n"))
    if partial and len(new_lines) == 1 and base[offset : offset + len(sel)] == sel:
        new_text = base[:offset] + new_lines[0].strip() + base[offset + len(sel) :]
        return EditPlan(new_text, "selection", [f"selection (line {start + 1})"])
    first = lines[start] if start < len(lines) else ""
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    body = _reindent([x + eol for x in new_lines], "", indent, eol)
    if _squash(region) == _squash(sel) and body:
        body[-1] = body[-1].rstrip("\r\n") + _line_ending(lines[end - 1], "")
        new_text = "".join([*lines[:start], *body, *lines[end:]])
        return EditPlan(new_text, "selection", [f"selection (lines {start + 1}-{end})"])
    try:  # the selection moved since the request: find it again
        outcome = apply_edit(base, sel, "".join(body))
    except EditMatchError:
        return EditPlan(rejected=["the selected code is no longer in the file"])
    return EditPlan(outcome.text, "selection", [f"selection (line {outcome.spans[0].first_line})"])


def _squash(text: str) -> str:
    return "\n".join(x.strip() for x in text.strip().splitlines())


def _looks_like(code: str, sel: str) -> bool:
    """Same first identifier, a similar number of lines and at least some shared text."""
    if _first_word(code) != _first_word(sel):
        return False
    n_code, n_sel = len(code.strip().splitlines()), len(sel.strip().splitlines())
    if abs(n_code - n_sel) > max(3, n_sel // 2):
        return False
    return similarity(_squash(code), _squash(sel)) >= 0.3


def _first_word(code: str) -> str | None:
    for line in code.splitlines():
        s = line.strip()
        if s and not s.startswith(("#", "//")):
            m = re.match(r"@?([A-Za-z_]\w*)", s)
            return m.group(1) if m else s[:1]
    return None


def _reindent(snippet: list[str], old: str, new: str, eol: str) -> list[str]:
    out = []
    for line in snippet:
        body = line.rstrip("\r\n")
        if not body.strip():
            out.append(eol)
            continue
        if old and body.startswith(old):
            body = body[len(old) :]
        out.append(new + body + eol)
    return out


def _eol_of(text: str) -> str:
    m = re.search(r"\r\n|\r|\n", text)
    return m.group(0) if m else "\n"


def _line_ending(line: str, default: str) -> str:
    body = line.rstrip("\r\n")
    return line[len(body) :] or default


def _match_eol(code: str, base: str) -> str:
    eol = _eol_of(base)
    return "".join(x.rstrip("\r\n") + (eol if x != x.rstrip("\r\n") else "") for x in split_lines(code))
