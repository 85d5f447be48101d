"""One line per definition of a source file: Python via ast, JavaScript/TypeScript via tree-sitter, others by
pattern.

Each line is a definition's header (what a caller needs: name, parameters, return type), never its body,
joined onto one line and indented two spaces per level of nesting:

    export function add(a: number, b: number): number
    export class Cart
      addItem(item: Item): void
    interface Item
      price(): number
    type Price = number | string
    export const total = (items: Item[]): number => …

The grammars load lazily, once per language; a grammar that cannot load (not installed, an ABI the
binding does not support) and a Python file that does not parse fall back to the pattern scan.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import threading
import tokenize
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from skiff.agent.parsing.definitions import regex_definitions
from skiff.agent.textdiff import split_lines

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

log = logging.getLogger(__name__)

MAX_LINE = 200  # characters of one outline line
MAX_VALUE = 60  # a type alias or enum shows its value up to this long, else `…`
MAX_PY_HEADER = 40  # lines a Python def/class header may span

_GRAMMAR_OF = {
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
}
_PARSERS: dict[str, Parser | None] = {}
_LOCK = threading.Lock()  # a Parser is not safe to share between threads

_FUNCTIONS = {"function_expression", "function", "generator_function", "arrow_function"}
_CLASSES = {"class", "class_declaration", "abstract_class_declaration"}
_SKIPPED = {"comment", "decorator"}  # left out of header text


def outline(text: str, rel: str, limit: int = 40) -> list[str]:
    """The header lines of the definitions in `text` (the file `rel`), at most `limit` of them."""
    suffix = PurePosixPath(rel).suffix.lower()
    lines: list[str] | None = None
    if suffix in (".py", ".pyi"):
        lines = _python(text, limit)
    elif suffix in _GRAMMAR_OF:
        parser = _parser(_GRAMMAR_OF[suffix])
        if parser is not None:
            try:
                lines = _Outliner(text, parser, limit).lines
            except Exception:  # a tree-sitter surprise costs the outline its precision, never the turn
                log.exception("tree-sitter outline of %s failed; falling back to patterns", rel)
    if lines is None:
        lines = _by_pattern(text, limit)
    return lines[:limit]


# ---------------------------------------------------------------- pattern


def _by_pattern(text: str, limit: int) -> list[str]:
    return [line for _, line in _pattern_rows(text, limit)]


def _pattern_rows(
    text: str, limit: int, first: int = 0, last: int | None = None, depth: int = 0
) -> list[tuple[int, str]]:
    """(row, line) of the definitions `regex_definitions` finds in lines `first`..`last`: their first
    line (decorators skipped), without `{`."""
    lines = [x.rstrip("\r\n") for x in split_lines(text)]
    out = []
    for d in regex_definitions("\n".join(lines[first:last]))[:limit]:
        start = first + d.start
        while start < first + d.end - 1 and lines[start].lstrip().startswith("@"):
            start += 1
        header = lines[start].strip() if start < len(lines) else d.name
        out.append((start, "  " * (depth + d.depth) + _clip(_without_body(header))))
    return out


def _without_body(line: str) -> str:
    """A header line without the `{` that opens its body, or a one-line body `{ ... }`."""
    line = line.rstrip().removesuffix(";").rstrip()
    if line.endswith("}"):
        level = 0
        for i in range(len(line) - 1, -1, -1):
            level += {"}": 1, "{": -1}.get(line[i], 0)
            if level == 0:
                return line[:i].rstrip() or line
    return line.rstrip("{ ").rstrip()


# ---------------------------------------------------------------- Python


def _python(text: str, limit: int) -> list[str] | None:
    """def and class headers at any depth (decorators left out); None when the source does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = split_lines(text)
    out: list[str] = []

    def visit(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if len(out) >= limit:
                return
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out.append("  " * depth + _py_header(lines, child.lineno - 1))
                visit(child, depth + 1)
            elif not isinstance(child, ast.expr):
                visit(child, depth)

    visit(tree, 0)
    return out


def _py_header(lines: list[str], start: int) -> str:
    """The header starting at line `start` up to its colon, comments left out, joined onto one line."""
    chunk = lines[start : start + MAX_PY_HEADER]
    comments: list[tuple[tuple[int, int], tuple[int, int]]] = []
    depth = 0
    end: tuple[int, int] | None = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(chunk)).readline):
            if tok.type == tokenize.COMMENT:
                comments.append((tok.start, tok.end))
            elif tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif tok.type == tokenize.OP and tok.string == ":" and depth == 0:
                end = tok.end
                break
    except (tokenize.TokenError, SyntaxError):
        pass
    if end is None:
        return _clip(lines[start].strip()) if start < len(lines) else ""
    pieces = []
    for row in range(1, end[0] + 1):
        line = chunk[row - 1].rstrip("\r\n")
        if row == end[0]:
            line = line[: end[1]]
        for (r0, c0), (_, c1) in reversed(comments):
            if r0 == row:
                line = line[:c0] + line[c1:]
        pieces.append(line.rstrip().removesuffix("\\"))
    return _tidy(" ".join(pieces))


# ---------------------------------------------------------------- JavaScript / TypeScript


def _parser(grammar: str) -> Parser | None:
    with _LOCK:
        if grammar not in _PARSERS:
            _PARSERS[grammar] = _load(grammar)
        return _PARSERS[grammar]


def _load(grammar: str) -> Parser | None:
    try:
        from tree_sitter import Language, Parser

        if grammar == "javascript":
            import tree_sitter_javascript

            capsule = tree_sitter_javascript.language()
        else:
            import tree_sitter_typescript

            ts = tree_sitter_typescript
            capsule = ts.language_tsx() if grammar == "tsx" else ts.language_typescript()
        return Parser(Language(capsule))
    except Exception as e:  # not installed, or a grammar ABI this tree-sitter cannot load
        log.warning("tree-sitter grammar %s unavailable (%s); outlines fall back to patterns", grammar, e)
        return None


class _Outliner:
    """Walks a tree-sitter tree: module-level statements, class, interface and namespace bodies, and the
    object literals that modules export. Function bodies are not entered."""

    def __init__(self, text: str, parser: Parser, limit: int) -> None:
        self.text = text
        self.src = text.encode("utf-8", "surrogatepass")
        self.limit = limit
        self.lines: list[str] = []
        self.rows: set[int] = set()  # rows that have a line, so an error region's pattern scan adds no twin
        with _LOCK:
            tree = parser.parse(self.src)
        self.statements(tree.root_node, 0)

    def full(self) -> bool:
        return len(self.lines) >= self.limit

    def emit(self, node: Node, depth: int, line: str) -> None:
        if line and not self.full():
            self.lines.append("  " * depth + _clip(line))
            self.rows.add(node.start_point[0])

    # -- containers

    def statements(self, node: Node, depth: int) -> None:
        for child in node.named_children:
            if self.full():
                return
            if child.type == "ERROR":
                self.error_region(child, depth)
            else:
                self.statement(child, depth)

    def statement(self, node: Node, depth: int, outer: Node | None = None) -> None:
        kind = node.type
        start = outer or node
        if kind == "export_statement":
            decl = node.child_by_field_name("declaration")
            value = node.child_by_field_name("value")
            if decl is not None:
                self.statement(decl, depth, node)
            elif value is not None:
                self.value(node, value.start_byte, value, depth, bare=True)
        elif kind == "ambient_declaration":  # declare function / class / module / namespace
            for child in node.named_children:
                self.statement(child, depth, start)
        elif kind == "expression_statement":
            for child in node.named_children:
                if child.type in ("internal_module", "module"):
                    self.statement(child, depth, start)
                elif child.type == "assignment_expression":
                    right = child.child_by_field_name("right")
                    left = child.child_by_field_name("left")
                    if right is not None and left is not None:
                        exported = _exports(self.slice(left.start_byte, left.end_byte))
                        self.value(start, right.start_byte, right, depth, bare=exported)
        elif kind in ("lexical_declaration", "variable_declaration"):
            declarators = [c for c in node.named_children if c.type == "variable_declarator"]
            if declarators:
                prefix = self.header(start, declarators[0].start_byte)
                for d in declarators:
                    value = d.child_by_field_name("value")
                    if value is not None:
                        self.value(d, value.start_byte, value, depth, prefix=prefix)
        elif kind in ("function_declaration", "generator_function_declaration"):
            self.function(start, node, depth)
        elif kind == "function_signature":  # an overload
            self.emit(start, depth, self.header(start, node.end_byte).rstrip(";"))
        elif kind in _CLASSES:
            self.klass(start, node, depth)
        elif kind == "interface_declaration":
            body = node.child_by_field_name("body")
            self.emit(start, depth, self.header(start, body.start_byte if body else node.end_byte))
            if body is not None:
                for member in body.named_children:
                    self.member(member, depth + 1)
        elif kind == "type_alias_declaration":
            value = node.child_by_field_name("value")
            head = self.header(start, value.start_byte if value else node.end_byte).rstrip(";")
            if value is not None:
                shown = _tidy(self.slice(value.start_byte, value.end_byte))
                head += " " + (shown if len(shown) <= MAX_VALUE else "…")
            self.emit(start, depth, head)
        elif kind == "enum_declaration":
            body = node.child_by_field_name("body")
            head = self.header(start, body.start_byte if body else node.end_byte)
            if body is not None:
                shown = _tidy(self.slice(body.start_byte, body.end_byte))
                head += " " + (shown if len(shown) <= MAX_VALUE else "{…}")
            self.emit(start, depth, head)
        elif kind in ("internal_module", "module"):  # namespace N { ... }, declare module "m" { ... }
            body = node.child_by_field_name("body")
            self.emit(start, depth, self.header(start, body.start_byte if body else node.end_byte))
            if body is not None:
                self.statements(body, depth + 1)

    def error_region(self, node: Node, depth: int) -> None:
        """Tree-sitter could not parse this region: scan its lines by pattern (rows already shown skipped)."""
        first, last = node.start_point[0], node.end_point[0] + 1
        for row, line in _pattern_rows(self.text, self.limit, first, last, depth):
            if row not in self.rows and not self.full():
                self.lines.append(line)
                self.rows.add(row)

    # -- definitions

    def value(
        self, start: Node, end: int, value: Node, depth: int, *, prefix: str = "", bare: bool = False
    ) -> None:
        """`x = value`, `export default value`, `exports.x = value`: a line when the value is a function or
        a class (or a module's exported object or name); `start`..`end` is the part before the value."""
        head = self.header(start, end).rstrip("=").rstrip()
        if prefix:
            head = f"{prefix} {head}"
        lead = f"{head} = " if not head.endswith("default") else f"{head} "
        kind = value.type
        if kind in _FUNCTIONS:
            self.emit(start, depth, lead + self.function_text(value))
        elif kind in _CLASSES:
            self.klass(start, value, depth, lead)
        elif kind == "object":
            members = [m for m in value.named_children if _is_function_member(m)]
            if not bare and not members:
                return  # data, not definitions
            self.emit(start, depth, lead + self.object_keys(value))
            for m in members:
                self.member(m, depth + 1)
        elif bare and kind == "identifier":  # export default name; module.exports = name
            self.emit(start, depth, lead + self.slice(value.start_byte, value.end_byte))

    def function(self, start: Node, node: Node, depth: int) -> None:
        body = node.child_by_field_name("body")
        self.emit(start, depth, self.header(start, body.start_byte if body else node.end_byte).rstrip(";"))

    def function_text(self, node: Node) -> str:
        """A function value without its body: `(a, b): T => …`, `function name(a)`."""
        if node.type == "arrow_function":
            arrow = next((c for c in node.children if c.type == "=>"), None)
            if arrow is not None:
                return self.header(node, arrow.end_byte) + " …"
        body = node.child_by_field_name("body")
        return self.header(node, body.start_byte if body else node.end_byte)

    def klass(self, start: Node, node: Node, depth: int, lead: str = "") -> None:
        body = node.child_by_field_name("body")
        end = body.start_byte if body else node.end_byte
        self.emit(start, depth, lead + self.header(node if lead else start, end))
        if body is not None:
            for member in body.named_children:
                if self.full():
                    return
                self.member(member, depth + 1)

    def member(self, node: Node, depth: int) -> None:
        """A member of a class, interface or object literal."""
        kind = node.type
        if kind == "method_definition":
            self.function(node, node, depth)
        elif kind in (
            "method_signature",
            "abstract_method_signature",
            "property_signature",
            "call_signature",
            "construct_signature",
            "index_signature",
        ):
            self.emit(node, depth, self.header(node, node.end_byte).rstrip(";,"))
        elif kind in ("public_field_definition", "field_definition"):
            value = node.child_by_field_name("value")
            if value is not None and value.type in _FUNCTIONS:
                head = self.header(node, value.start_byte).rstrip("=").rstrip()
                self.emit(node, depth, f"{head} = {self.function_text(value)}")
            else:
                end = value.start_byte if value is not None else node.end_byte
                self.emit(node, depth, self.header(node, end).rstrip("=;").rstrip())
        elif kind == "pair":
            value = node.child_by_field_name("value")
            if value is not None and value.type in _FUNCTIONS:
                self.emit(node, depth, self.header(node, value.start_byte) + " " + self.function_text(value))

    def object_keys(self, node: Node) -> str:
        """`{ a, b, c }`: the keys of an object literal."""
        keys = []
        for m in node.named_children:
            key = m.child_by_field_name("key") or m.child_by_field_name("name")
            if m.type == "shorthand_property_identifier":
                key = m
            if key is not None:
                keys.append(self.slice(key.start_byte, key.end_byte))
        shown = ", ".join(keys)
        if len(shown) > MAX_LINE // 2:
            shown = shown[: MAX_LINE // 2].rsplit(",", 1)[0] + ", …"
        return "{ " + shown + " }" if keys else "{}"

    # -- text

    def slice(self, start: int, end: int) -> str:
        return self.src[start:end].decode("utf-8", "replace")

    def header(self, node: Node, end: int) -> str:
        """The source from `node`'s start to byte `end`, comments and decorators left out, on one line."""
        cut: list[tuple[int, int]] = []
        stack = list(reversed(node.children))
        while stack:
            n = stack.pop()
            if n.start_byte >= end:
                continue
            if n.type in _SKIPPED:
                cut.append((n.start_byte, n.end_byte))
            elif n.child_count:
                stack.extend(reversed(n.children))
        cut.sort()
        pieces, at = [], node.start_byte
        for a, b in cut:
            pieces.append(self.slice(at, a))
            at = max(at, b)
        pieces.append(self.slice(at, max(at, end)))
        return _tidy(" ".join(pieces))


def _is_function_member(node: Node) -> bool:
    if node.type == "method_definition":
        return True
    value = node.child_by_field_name("value") if node.type == "pair" else None
    return value is not None and value.type in _FUNCTIONS


def _exports(target: str) -> bool:
    return target in ("module.exports", "exports") or target.startswith(("module.exports.", "exports."))


# ---------------------------------------------------------------- text


def _tidy(text: str) -> str:
    """One line: runs of whitespace as one space, no padding inside brackets, no trailing commas."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([(\[]) ", r"\1", text)
    text = re.sub(r",? ([)\]])", r"\1", text)
    return re.sub(r", \}", " }", text)


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
