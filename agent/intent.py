"""What a request promises about its result, checked on proposed Python files (and enforced where it can).

Several common editor requests say what must *not* change: adding a docstring or a type hint, or renaming
a function, leaves the program's behaviour as it was. Small models often break that promise (they
"improve" the code while documenting it, drop a function, rename a parameter). For such requests:

- docstring: the docstrings the model wrote are grafted onto the original code, so nothing else changes;
  the definitions the request names must end up with one;
- type hints: the code apart from annotations must be unchanged, and the named definitions annotated;
- rename `old` to `new`: `old` is gone from the shown files and `new` is defined;
- move a function from one module to another: the old module no longer defines it, the new one does.
  When the model wrote the new module but left the old definition and imports behind (Qwen2.5-Coder-1.5B
  did, twice in a row), the move is completed mechanically (`complete_move`).

A broken promise is a failed check (shown to the model in a repair round). Files that do not parse are
left to the syntax check.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Literal

from skiff.agent.parsing.definitions import docstring_node
from skiff.agent.textdiff import split_lines
from skiff.agent.verify import Check

IntentKind = Literal["docstring", "type_hints", "rename", "move"]
_DOCSTRING = re.compile(r"\b(doc\s?strings?|document(?:ation)?)\b", re.I)
_HINTS = re.compile(r"\b(type\s*hints?|type\s*annotations?|annotate)\b", re.I)
_RENAME = re.compile(
    r"\brename\s+(?:the\s+)?(?:\w+\s+)?`?(?P<old>[A-Za-z_]\w*)`?(?:\(\))?"
    r"(?:\s+(?:in|from|of)\s+\S+)?\s+(?:to|as|into)\s+`?(?P<new>[A-Za-z_]\w*)",
    re.I,
)
_CODE_CHANGE = re.compile(
    r"\b(fix|implement|refactor|rewrite|optimi[sz]e|rename|handle|validate|raise|return|guard|support)\w*",
    re.I,
)
_MOVE = re.compile(
    r"\bmove\s+(?:the\s+)?(?:function\s+|class\s+)?`?(?P<name>[A-Za-z_]\w*)`?(?:\(\))?\s+from\s+`?(?P<src>[\w./-]+\.py)`?"
    r"\s+(?:in)?to\s+(?:a\s+new\s+(?:module|file)\s+)?`?(?P<dst>[\w./-]+\.py)",
    re.I,
)
_NAMED = re.compile(r"`([A-Za-z_]\w*)(?:\(\))?`|\b([A-Za-z_]\w*)\(\)")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Intent:
    kind: IntentKind
    names: list[str] = field(default_factory=list)  # definitions the request names
    old: str = ""
    new: str = ""


def read_intent(request: str) -> Intent | None:
    """The promise a request makes, if it is one of the kinds above."""
    names = [a or b for a, b in _NAMED.findall(request)]
    if m := _RENAME.search(request):
        return Intent("rename", [m.group("old")], m.group("old"), m.group("new"))
    if m := _MOVE.search(request):
        return Intent("move", [m.group("name")], m.group("src"), m.group("dst"))
    if _HINTS.search(request):
        return Intent("type_hints", names)
    if _DOCSTRING.search(request) and not _CODE_CHANGE.search(request):
        return Intent("docstring", names)
    return None


# ---------------------------------------------------------------- enforcing


def enforce(intent: Intent, path: str, base: str | None, new: str) -> str:
    """The new text with the promise kept where that can be done mechanically (docstrings grafted onto
    the original code); otherwise `new` unchanged."""
    if intent.kind != "docstring" or base is None or not path.endswith(".py"):
        return new
    try:
        base_tree, new_tree = ast.parse(base), ast.parse(new)
    except SyntaxError:
        return new
    if _strip_docstrings(base_tree) == _strip_docstrings(new_tree):
        return new  # only docstrings changed: keep the model's text as it is
    return graft_docstrings(base, base_tree, new_tree)


def graft_docstrings(base: str, base_tree: ast.Module, new_tree: ast.Module) -> str:
    """`base` with every docstring of `new_tree` put on the definition of the same qualified name."""
    wanted = {q: doc for q, node in _definitions(new_tree) if (doc := docstring_node(node)) is not None}
    lines = split_lines(base)
    eol = "\r\n" if "\r\n" in base else "\n"
    edits: list[tuple[int, int, list[str]]] = []  # base lines [a, b) become the new lines
    for qual, node in _definitions(base_tree):
        doc = wanted.get(qual)
        body: list[ast.stmt] = getattr(node, "body", [])
        if doc is None or not body:
            continue
        old = docstring_node(node)
        first = body[0]
        indent = _indent_of(lines[first.lineno - 1]) if first.lineno - 1 < len(lines) else ""
        if old is not None and _text(old) == _text(doc):
            continue
        text = _render_docstring(doc, indent, eol)
        if old is not None:
            edits.append((old.lineno - 1, old.end_lineno or old.lineno, text))
        elif first.lineno > getattr(node, "lineno", 0):  # not `def f(): return 1` on one line
            gap = [eol] if qual == "<module>" else []  # a blank line between a module docstring and code
            edits.append((first.lineno - 1, first.lineno - 1, text + gap))
    for a, b, text in sorted(edits, reverse=True):
        lines[a:b] = text
    return "".join(lines)


def _text(doc: ast.Expr) -> str:
    value = doc.value.value if isinstance(doc.value, ast.Constant) else ""
    return value if isinstance(value, str) else ""


def _render_docstring(doc: ast.Expr, indent: str, eol: str) -> list[str]:
    body = _text(doc).strip()
    body_lines = body.splitlines() or [""]
    if len(body_lines) == 1:
        return [f'{indent}"""{body_lines[0].strip()}"""{eol}']
    out = [f'{indent}"""{body_lines[0].strip()}{eol}']
    rest = [x.rstrip() for x in body_lines[1:]]
    common = min((len(x) - len(x.lstrip()) for x in rest if x.strip()), default=0)
    out += [(indent + x[common:] if x.strip() else "") + eol for x in rest]
    out.append(f'{indent}"""{eol}')
    return out


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _definitions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    out: list[tuple[str, ast.AST]] = [("<module>", tree)]

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _DEFS):
                qual = prefix + child.name
                out.append((qual, child))
                visit(child, qual + ".")

    visit(tree, "")
    return out


def _strip_docstrings(tree: ast.Module) -> str:
    tree = ast.parse(ast.unparse(tree))
    for _, node in _definitions(tree):
        body = getattr(node, "body", None)
        if body and docstring_node(node) is not None:
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree)


def _strip_annotations(tree: ast.Module) -> str:
    tree = ast.parse(ast.unparse(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
        elif isinstance(node, ast.arg):
            node.annotation = None
        for name, value in ast.iter_fields(node):
            if isinstance(value, list) and any(isinstance(s, ast.AnnAssign) for s in value):
                plain = [
                    ast.Assign([s.target], s.value, lineno=0) if _plain_annassign(s) else s for s in value
                ]
                setattr(node, name, [s for s in plain if not isinstance(s, ast.AnnAssign)])
    return ast.dump(tree)


def _plain_annassign(node: object) -> bool:
    return isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name)


def complete_move(intent: Intent, texts: dict[str, str]) -> dict[str, str]:
    """Finish a move the model half did: when the destination module defines the name, drop the
    definition from the source if it is still there and point `from SRC import NAME` imports at the
    destination. `texts` are the current Python files (workspace-relative path -> text); returns the
    files it changed. Nothing changes when the source still uses the name itself, or when anything does
    not parse."""
    if intent.kind != "move" or not intent.names:
        return {}
    name = intent.names[0]
    src = next((p for p in texts if _same(p, intent.old)), None)
    dst = next((p for p in texts if _same(p, intent.new)), None)
    if src is None or dst is None:
        return {}
    try:
        trees = {p: ast.parse(t) for p, t in texts.items() if p.endswith(".py")}
    except SyntaxError:
        return {}
    if not _defines_top(trees[dst], name):
        return {}
    src_mod, dst_mod = _module_name(src), _module_name(dst)
    changed: dict[str, str] = {}
    if _defines_top(trees[src], name):
        node = next(n for n in trees[src].body if isinstance(n, _DEFS) and n.name == name)
        rest = [n for n in trees[src].body if n is not node]
        if any(_uses(x, name) for n in rest for x in ast.walk(n)):
            return {}
        changed[src] = _drop_lines(texts[src], node)
    # Imports from the source are repointed also when the definition is already gone (a repair round's
    # answer can bring the old import back): `from SRC import NAME` cannot work any more.
    for path, tree in trees.items():
        if path in (src, dst):
            continue
        text = _repoint_imports(texts[path], tree, name, src_mod, dst_mod)
        if text != texts[path]:
            changed[path] = text
    return changed


def _defines_top(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, _DEFS) and n.name == name for n in tree.body)


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _drop_lines(text: str, node: ast.stmt) -> str:
    """`text` without the lines of a top-level definition (decorators included) and the blank lines
    after it."""
    lines = split_lines(text)
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)]) - 1
    end = node.end_lineno or node.lineno
    while end < len(lines) and not lines[end].strip():
        end += 1
    if end >= len(lines):  # the last definition: drop the blank lines before it instead
        while start > 0 and not lines[start - 1].strip():
            start -= 1
    out = lines[:start] + lines[end:]
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return "".join(out)


def _repoint_imports(text: str, tree: ast.Module, name: str, src_mod: str, dst_mod: str) -> str:
    """`from SRC import a, NAME` becomes `from SRC import a` plus `from DST import NAME` (once)."""
    lines = split_lines(text)
    has_dst = any(
        isinstance(n, ast.ImportFrom) and n.module == dst_mod and any(a.name == name for a in n.names)
        for n in tree.body
    )
    edits: list[tuple[int, int, list[str]]] = []
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.module == src_mod and node.level == 0):
            continue
        moved = [a for a in node.names if a.name == name]
        if not moved:
            continue
        kept = [a for a in node.names if a.name != name]
        indent = _indent_of(lines[node.lineno - 1])
        new: list[str] = []
        if kept:
            new.append(f"{indent}from {src_mod} import {', '.join(_alias(a) for a in kept)}\n")
        if not has_dst:
            new.append(f"{indent}from {dst_mod} import {', '.join(_alias(a) for a in moved)}\n")
            has_dst = True
        edits.append((node.lineno - 1, node.end_lineno or node.lineno, new))
    for a, b, new in sorted(edits, reverse=True):
        lines[a:b] = new
    return "".join(lines)


def _alias(a: ast.alias) -> str:
    return f"{a.name} as {a.asname}" if a.asname else a.name


# ---------------------------------------------------------------- checking


def check(intent: Intent, files: dict[str, tuple[str | None, str]]) -> Check | None:
    """The intent check over the changed Python files: path -> (base text or None, new text)."""
    problems: list[str] = []
    trees: dict[str, tuple[ast.Module | None, ast.Module]] = {}
    for path, (base, new) in files.items():
        if not path.endswith(".py"):
            continue
        try:
            trees[path] = (ast.parse(base) if base is not None else None, ast.parse(new))
        except SyntaxError:
            return None  # the syntax check reports it
    if not trees:
        return None
    if intent.kind == "docstring":
        problems += _missing(intent.names, trees, lambda n: docstring_node(n) is not None, "docstring")
        for path, (b, n) in trees.items():
            if b is not None and _strip_docstrings(b) != _strip_docstrings(n):
                problems.append(f"{path}: the request only asks for docstrings, but the code changed too")
    elif intent.kind == "type_hints":
        problems += _missing(intent.names, trees, _annotated, "type hints")
        for path, (b, n) in trees.items():
            if b is not None and _strip_annotations(b) != _strip_annotations(n):
                problems.append(f"{path}: the request only asks for type hints, but the code changed too")
    elif intent.kind == "move":
        name = intent.names[0]
        src = next((t for p, t in trees.items() if _same(p, intent.old)), None)
        dst = next((t for p, t in trees.items() if _same(p, intent.new)), None)
        if src is not None and _defines(src[1], name):
            problems.append(f"{intent.old} still defines `{name}`")
        if dst is None or not _defines(dst[1], name):
            problems.append(f"{intent.new} does not define `{name}`")
    else:
        for path, (_, n) in trees.items():
            if any(_uses(node, intent.old) for node in ast.walk(n)):
                problems.append(f"{path} still uses `{intent.old}`")
        if not any(_defines(n, intent.new) for _, n in trees.values()):
            problems.append(f"no file defines `{intent.new}`")
    return broken_promise(problems) if problems else None


def broken_promise(problems: list[str], summary: str | None = None) -> Check:
    """The failed intent check: one line for the proposal (`summary`, else the first problem) and the
    list the repair round shows the model."""
    return Check(
        "intent",
        False,
        summary or problems[0],
        "The change does not do what was asked:\n- " + "\n- ".join(problems),
        failed=1,
    )


def _missing(
    names: list[str], trees: dict[str, tuple[ast.Module | None, ast.Module]], ok: object, what: str
) -> list[str]:
    assert callable(ok)
    out = []
    for name in names:
        found = [
            node for _, (_, n) in trees.items() for q, node in _definitions(n) if q.rsplit(".", 1)[-1] == name
        ]
        if found and not any(ok(node) for node in found):
            out.append(f"`{name}` has no {what}")
    return out


def _same(path: str, named: str) -> bool:
    return path == named or path.endswith("/" + named.lstrip("./"))


def _annotated(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return True
    args = [
        a
        for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        if a.arg not in ("self", "cls")
    ]
    return node.returns is not None and all(a.annotation is not None for a in args)


def _uses(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id == name
    if isinstance(node, _DEFS):
        return node.name == name
    if isinstance(node, ast.Attribute):
        return node.attr == name
    if isinstance(node, ast.alias):
        return node.name == name or node.name.endswith("." + name) or node.asname == name
    return False


def _defines(tree: ast.Module, name: str) -> bool:
    return any(q.rsplit(".", 1)[-1] == name for q, _ in _definitions(tree)[1:])
