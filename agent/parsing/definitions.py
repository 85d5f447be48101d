"""The functions and classes of a source text with their line spans (Python by `ast`, others by regex)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from skiff.agent.textdiff import split_lines

_DEF_PATTERNS = [
    re.compile(r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*(?P<name>\w+)\s*\("),
    re.compile(
        r"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?(?:class|interface|struct|enum|trait)\s+(?P<name>\w+)"
    ),
    re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(?P<name>\w+)"),
    re.compile(r"^\s*func\s+(?:\([^)]*\)\s*)?(?P<name>\w+)\s*\("),
    re.compile(
        r"^\s*(?:export\s+)?(?:const|let|var)\s+(?P<name>\w+)\s*=\s*(?:async\s+)?(?:\([^)]*\)|\w+)\s*=>"
    ),
    re.compile(r"^\s*(?:async\s+)?def\s+(?P<name>\w+)"),
    re.compile(
        r"^\s*(?:(?:public|private|protected|static|final|virtual|override|inline)\s+)+[\w<>\[\],\s]*?\s(?P<name>\w+)\s*\([^;]*$"
    ),
]


@dataclass
class Definition:
    """A function or class in a source text; lines are 0-based, `end` exclusive, decorators included."""

    name: str
    qualname: str
    start: int
    end: int
    indent: str
    depth: int


def python_definitions(source: str) -> list[Definition] | None:
    """Functions and classes at any depth with their spans; None when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    lines = split_lines(source)
    out: list[Definition] = []

    def visit(node: ast.AST, prefix: str, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)]) - 1
                end = child.end_lineno or child.lineno
                first = lines[start] if start < len(lines) else ""
                indent = first[: len(first) - len(first.lstrip(" \t"))]
                qual = f"{prefix}{child.name}"
                out.append(Definition(child.name, qual, start, end, indent, depth))
                visit(child, qual + ".", depth + 1)
            elif not isinstance(child, ast.expr):
                visit(child, prefix, depth)

    visit(tree, "", 0)
    return out


def regex_definitions(source: str) -> list[Definition]:
    """Definitions of brace or indentation languages, found by pattern; spans by brace or indent scan."""
    lines = [x.rstrip("\r\n") for x in split_lines(source)]
    out: list[Definition] = []
    for i, line in enumerate(lines):
        name = _def_name(line)
        if name is None:
            continue
        end = _block_end(lines, i)
        start = i
        while start > 0 and lines[start - 1].lstrip().startswith("@"):
            start -= 1
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        depth = sum(1 for d in out if d.start <= i < d.end)
        out.append(Definition(name, name, start, end, indent, depth))
    return out


def _def_name(line: str) -> str | None:
    if line.rstrip().endswith(";"):
        return None
    for pat in _DEF_PATTERNS:
        m = pat.match(line)
        if m and m.group("name") not in ("if", "for", "while", "switch", "return", "catch", "new"):
            return m.group("name")
    return None


def _block_end(lines: list[str], i: int) -> int:
    depth, opened = 0, False
    for j in range(i, len(lines)):
        code = re.sub(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|//.*$)", "", lines[j])
        for ch in code:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
        if opened and depth <= 0:
            return j + 1
        if not opened and j > i + 1 and "{" not in "".join(lines[i : j + 1]):
            break
    indent = _indent_width(lines[i])
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or _indent_width(lines[j]) > indent):
        j += 1
    if j < len(lines) and _indent_width(lines[j]) == indent and lines[j].strip() in ("end", "}", "};"):
        j += 1
    while j > i + 1 and not lines[j - 1].strip():
        j -= 1
    return j


def _indent_width(line: str) -> int:
    lead = line[: len(line) - len(line.lstrip(" \t"))]
    return len(lead.expandtabs(4)) if line.strip() else 0


def definitions(source: str, python: bool) -> list[Definition] | None:
    return python_definitions(source) if python else regex_definitions(source)


def docstring_node(node: ast.AST) -> ast.Expr | None:
    """The docstring statement of a module, class or function node, if its body opens with one."""
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first
    return None
