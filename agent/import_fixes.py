"""Python imports a model's edit got wrong, put right mechanically: `from __future__` imports left below
code, and a standard-library module used (`re.compile`) but never imported."""

from __future__ import annotations

import ast
import re
import sys

from pyflakes import api as pyflakes_api
from pyflakes import messages as pyflakes_messages
from pyflakes import reporter as pyflakes_reporter

from skiff.agent.parsing.definitions import docstring_node


def fix_imports(path: str, text: str) -> str:
    """Both fixes below, in order."""
    return add_stdlib_imports(path, hoist_future_imports(path, text))


_FUTURE = re.compile(r"^from __future__ import [^\n]+\n?", re.M)


def hoist_future_imports(path: str, text: str) -> str:
    """A Python file whose `from __future__` imports the model left below other code (a helper pasted
    above them: seen on Qwen2.5-Coder-1.5B) with them moved to where Python requires them, after the
    module docstring. Any other file, or one that does not then parse, comes back unchanged."""
    if not path.endswith(".py") or "from __future__" not in text:
        return text
    try:
        compile(text, path, "exec", dont_inherit=True)  # the compiler, not the parser, checks this rule
        return text
    except (SyntaxError, ValueError) as exc:
        if "from __future__ imports must occur" not in str(exc):
            return text
    imports = list(dict.fromkeys(m.group(0).rstrip("\n") + "\n" for m in _FUTURE.finditer(text)))
    rest = _FUTURE.sub("", text)
    try:
        tree = ast.parse(rest)
    except SyntaxError:
        return text
    lines = rest.splitlines(keepends=True)
    doc = docstring_node(tree)
    if doc is not None:
        at = doc.end_lineno or doc.lineno
    else:
        at = 0
        while at < len(lines) and lines[at].startswith("#"):
            at += 1  # after a shebang or the leading comments
    head, tail = lines[:at], lines[at:]
    block = (["\n"] if head else []) + imports + (["\n"] if tail and tail[0].strip() else [])
    out = "".join(head + block + tail)
    try:
        compile(out, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return text
    return out


def add_stdlib_imports(path: str, text: str) -> str:
    """A Python file that uses a standard-library module as `mod.attr` without importing it (the model
    moved `_DURATION = re.compile(...)` to a new module and left `import re` behind: seen on
    Qwen2.5-Coder-1.5B, whose repair round then said it added the import and did not) with `import mod`
    added after the docstring and `__future__` imports. Names the file defines or assigns are left alone;
    a file that does not parse, or does not parse after, comes back unchanged."""
    if not path.endswith(".py"):
        return text
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    undefined = {name for _, name in _undefined(text, path)}
    as_module = {
        n.value.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and isinstance(n.value.ctx, ast.Load)
    }
    missing = sorted(
        m for m in undefined & as_module if m in sys.stdlib_module_names and not m.startswith("_")
    )
    if not missing:
        return text
    lines = text.splitlines(keepends=True)
    at = 0
    doc = docstring_node(tree)
    for node in tree.body:
        if node is doc or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            at = node.end_lineno or node.lineno
            continue
        break
    block = [f"import {m}\n" for m in missing]
    head, tail = lines[:at], lines[at:]
    if head and head[-1].strip():
        block = ["\n", *block]
    if tail and tail[0].strip() and not tail[0].startswith(("import ", "from ")):
        block.append("\n")
    out = "".join([*head, *block, *tail])
    try:
        ast.parse(out)
    except SyntaxError:
        return text
    return out


def undefined_names(text: str, rel: str) -> list[str]:
    """`rel:line: undefined name 'x'` for each name pyflakes finds undefined in `text`."""
    return [f"{rel}:{line}: undefined name '{name}'" for line, name in _undefined(text, rel)]


def _undefined(text: str, rel: str) -> list[tuple[int, str]]:
    """(line, name) for each name pyflakes finds undefined in `text`."""
    collected: list[tuple[int, str]] = []

    class _Collect(pyflakes_reporter.Reporter):
        def __init__(self) -> None:
            pass

        def flake(self, message: pyflakes_messages.Message) -> None:
            if isinstance(message, pyflakes_messages.UndefinedName):
                collected.append((message.lineno, str(message.message_args[0])))

        def syntaxError(self, *args: object) -> None:
            pass

        def unexpectedError(self, *args: object) -> None:
            pass

    pyflakes_api.check(text, rel, _Collect())
    return collected
