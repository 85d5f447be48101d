"""The house rules the code's structure keeps: `agent/` never imports `server/`, no import circles, and
every path `docs/architecture.md` names exists."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in [*ROOT.glob("agent/**/*.py"), *ROOT.glob("server/**/*.py"), ROOT / "cli.py"]:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["skiff", *parts])] = path
    return out


def _imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_the_agent_imports_nothing_from_the_server() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imports(ast.parse(path.read_text())) if "skiff.server" in m
        )
        for name, path in _modules().items()
        if name.startswith("skiff.agent")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_circles_at_module_level() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.parse(path.read_text()).body:  # what runs at import time
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            deps |= {m for m in _imports(node) if m in modules and m != name}
        graph[name] = deps
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


def test_every_path_the_architecture_doc_names_exists() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    names = {
        token.strip()
        for token in re.findall(r"`([^`\s]+)`", doc)
        if re.search(r"\.(py|md|json|ts|lua|el|toml)$|/$", token) and not token.startswith(("$", "~", "http"))
    }
    tracked = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [
            d for d in dirs if not d.startswith(".") and d not in ("node_modules", "build", "__pycache__")
        ]
        rel = Path(folder).relative_to(ROOT)
        tracked += [(rel / name).as_posix() for name in [*dirs, *files]]
    tracked += [t + "/" for t in tracked]
    missing = sorted(n for n in names if not any(t == n or t.endswith("/" + n) for t in tracked))
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def _pygls_private_names() -> set[str]:
    """Private attributes (one leading underscore) of the pygls objects the server touches."""
    from pygls.lsp.server import LanguageServer
    from pygls.workspace import TextDocument, Workspace

    server = LanguageServer("probe", "0")
    objects: list[object] = [
        server,
        server.protocol,
        server.work_done_progress,
        Workspace(None),
        TextDocument("file:///probe.py", "x\n"),
    ]
    return {n for obj in objects for n in dir(obj) if n.startswith("_") and not n.startswith("__")}


def test_private_pygls_attributes_are_used_only_in_the_compat_module() -> None:
    private = _pygls_private_names()
    offenders = []
    for path in sorted(ROOT.glob("server/**/*.py")):
        if path.name == "pygls_compat.py":
            continue
        tree = ast.parse(path.read_text())
        own = {  # private names the module defines itself (methods, attributes it assigns)
            node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        } | {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        }
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                name = str(node.args[1].value)
            if name in private and name not in own:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert offenders == [], "private pygls attributes outside server/pygls_compat.py"
    assert {"_workspace", "_handle_response", "_check_handler_result", "_start_io_async"} <= private


MAX_LINES = 600


def test_no_module_is_longer_than_a_newcomer_can_hold() -> None:
    """One job per module: none over 600 lines in the package, the editor clients or the VS Code
    extension (the parser corpora in tests/fixtures are data, not modules)."""
    sources = [
        *ROOT.glob("agent/**/*.py"),
        *ROOT.glob("server/**/*.py"),
        ROOT / "cli.py",
        *ROOT.glob("vscode-client/src/**/*.ts"),
        *ROOT.glob("editors/**/*.lua"),
    ]
    assert len(sources) > 100
    long = {
        str(p.relative_to(ROOT)): n for p in sources if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
