"""Check a proposed edit before the user sees it: syntax, the project's linter, the tests of changed files.

Checks run on the proposal, never on the user's files: the workspace is copied to a scratch folder (large
folders such as `.git`, `node_modules` and virtualenvs are linked, not copied), the turn's edits are
written there, and tools run in that copy.

- syntax: Python is compiled, JavaScript checked with `node --check`, JSON parsed;
- names: a name a changed Python file uses but never defines or imports (pyflakes), or imports from a
  workspace module that does not define it; only problems new since the base;
- lint: `ruff check` when the project configures ruff; only problems the edit adds count;
- tests: the test files that exercise a changed file (by name or import), a test the request names first;
  Python with pytest, JavaScript with `node --test`. Running tests runs the project's code, so the command
  goes through the bash tool's permission policy (asked once per session unless allowed), and a setting
  turns it off. Failures that were already there before the edit only count when the request is about
  them (it names a test, or asks to fix something).

The result is a `Verification`: a one-line summary for the proposal ("syntax ok · 4 tests passed") and
the failure text the repair round shows the model.
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skiff.agent.context import is_test_file
from skiff.agent.import_fixes import undefined_names
from skiff.agent.text.ignore import IgnoreMatcher
from skiff.agent.tools.base import PermissionRequest, ToolContext
from skiff.agent.tools.bash import BashTool
from skiff.agent.tools.bash_policy import check_command
from skiff.agent.workspace import Overlay, Workspace

TEST_TIMEOUT = 60.0
SYNTAX_TIMEOUT = 10.0
DETAIL_CHARS = 1800
MAX_COPY_FILES = 5000
MAX_COPY_BYTES = 64 * 1024 * 1024
LINKED_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", ".tox", ".mypy_cache", ".ruff_cache", "__pycache__"}
)
_FIX_WORDS = re.compile(r"\b(fix\w*|fail\w*|bug\w*|broken|error\w*|traceback|test\w*|pass\w*)\b", re.I)
_TEST_NAME = re.compile(r"\b(test_\w+)\b")
_PYTEST_COUNTS = re.compile(r"(\d+) (passed|failed|error|errors)\b")
_NODE_COUNTS = re.compile(r"^# (pass|fail) (\d+)", re.M)


@dataclass
class Check:
    """One check's outcome. `blocking` failures start a repair round; `details` is what the model sees."""

    name: str  # syntax | lint | tests
    ok: bool
    summary: str
    details: str = ""
    blocking: bool = True
    passed: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "summary": self.summary}


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok or not c.blocking for c in self.checks)

    @property
    def summary(self) -> str:
        return " · ".join(c.summary for c in self.checks) or "no checks"

    @property
    def parses(self) -> bool:
        return all(c.ok for c in self.checks if c.name == "syntax")

    def problems(self) -> str:
        return "\n\n".join(c.details or c.summary for c in self.checks if not c.ok and c.blocking)

    def score(self) -> tuple[int, int, int, int]:
        """Higher is better: syntax fine, the request's promise kept, fewer failing tests, fewer new lint
        problems."""
        intent = all(c.ok for c in self.checks if c.name == "intent")
        failed = sum(c.failed for c in self.checks if c.name == "tests")
        lint = sum(c.failed for c in self.checks if c.name in ("lint", "names"))
        return (int(self.parses), int(intent), -failed, -lint)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": self.summary, "checks": [c.to_dict() for c in self.checks]}


@dataclass
class VerifyOptions:
    run_tests: bool = True
    lint: bool = True
    test_timeout: float = TEST_TIMEOUT


async def verify(
    overlay: Overlay, changed: list[Path], request: str, ctx: ToolContext, options: VerifyOptions
) -> Verification:
    """Run the checks on the overlay's version of `changed` files."""
    workspace = overlay.workspace
    result = Verification()
    rels = [workspace.relative(p) for p in changed]
    result.checks.append(await _syntax(overlay, changed, rels))
    if result.checks[0].ok and (names := _names(overlay, changed, rels)) is not None:
        result.checks.append(names)
    run_lint = options.lint and _ruff_configured(workspace.root) and any(r.endswith(".py") for r in rels)
    needs_copy = run_lint or (options.run_tests and bool(related_tests(workspace.root, rels)))
    if not needs_copy or not result.checks[0].ok:
        return result
    with tempfile.TemporaryDirectory(prefix="skiff-verify-") as tmp:
        before, after = Path(tmp) / "before", Path(tmp) / "after"
        if not _copy_workspace(workspace, overlay, before, with_edits=False):
            return result
        _copy_workspace(workspace, overlay, after, with_edits=True)
        if run_lint:
            lint_check = await _lint(before, after, [r for r in rels if r.endswith(".py")])
            if lint_check is not None:
                result.checks.append(lint_check)
        if options.run_tests:
            tests = await _tests(before, after, rels, request, ctx, options.test_timeout)
            if tests is not None:
                result.checks.append(tests)
    return result


# ---------------------------------------------------------------- syntax


async def _syntax(overlay: Overlay, changed: list[Path], rels: list[str]) -> Check:
    problems = []
    for path, rel in zip(changed, rels, strict=True):
        text = overlay.read(path)
        if text is None:
            continue
        problem = await syntax_error(rel, text)
        if problem:
            problems.append(problem)
    if problems:
        return Check("syntax", False, "syntax error", "Syntax errors:\n" + "\n".join(problems), failed=1)
    return Check("syntax", True, "syntax ok")


def _names(overlay: Overlay, changed: list[Path], rels: list[str]) -> Check | None:
    """Names a changed Python file uses but never defines or imports (pyflakes), new since the base: the
    commonest way a small model's edit fails at run time."""
    found = []
    root = overlay.workspace.root

    def now_text(rel: str) -> str | None:
        try:
            return overlay.read(root / rel)
        except (OSError, ValueError):
            return None

    def base_text(rel: str) -> str | None:
        try:
            return overlay.workspace.read_base(root / rel)
        except (OSError, ValueError):
            return None

    for path, rel in zip(changed, rels, strict=True):
        text = overlay.read(path)
        if text is None or not rel.endswith(".py"):
            continue
        base = overlay.base.get(path) or ""
        before = undefined_names(base, rel) + missing_imports(base, rel, base_text)
        known = {m.split(": ", 1)[1] for m in before}
        now = undefined_names(text, rel) + missing_imports(text, rel, now_text)
        found += [m for m in now if m.split(": ", 1)[1] not in known]
    if not found:
        return None
    first = found[0].split(": ", 1)[1]
    details = "Names used but never defined, or imported from a module that lacks them:\n" + "\n".join(
        found[:12]
    )
    return Check("names", False, first, details, failed=len(found))


def missing_imports(text: str, rel: str, read: Callable[[str], str | None]) -> list[str]:
    """`rel:line: cannot import name 'x' from 'mod'` for each `from mod import x` in `text` where `mod`
    is a module of this workspace (`read` gives a workspace-relative file's text, None when missing) that
    does not define `x`: the import a small model leaves behind after a move or a rename. Modules outside
    the workspace, star imports and modules with a `__getattr__` are not judged."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    out = []
    folder = rel.split("/")[:-1]
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level and node.level - 1 > len(folder):
            continue
        parts = folder[: len(folder) - node.level + 1] if node.level else []
        parts = [*parts, *(node.module or "").split(".")]
        stem = "/".join(p for p in parts if p)
        if not stem:
            continue
        package = False
        source = read(f"{stem}.py")
        if source is None:
            source, package = read(f"{stem}/__init__.py"), True
        defined = _top_level_names(source) if source is not None else None
        if defined is None:
            continue
        for alias in node.names:
            name = alias.name
            if name in defined or (package and read(f"{stem}/{name}.py") is not None):
                continue
            module = "." * node.level + (node.module or "")
            out.append(f"{rel}:{node.lineno}: cannot import name '{name}' from '{module}'")
    return out


def _top_level_names(source: str) -> set[str] | None:
    """Names a module defines at its top level (in `if`/`try`/`with` blocks too); None when that cannot be
    known: it does not parse, defines `__getattr__`, or star-imports."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return None
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.If | ast.Try | ast.For | ast.While | ast.With):
            if isinstance(node, ast.For):
                names.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
            stack += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            stack += [s for h in getattr(node, "handlers", []) for s in h.body]
    return None if "__getattr__" in names else names


async def syntax_error(rel: str, text: str) -> str | None:
    """A one-line description of the first syntax error in `text`, None when it parses (or no checker)."""
    suffix = Path(rel).suffix.lower()
    if suffix in (".py", ".pyi"):
        try:
            compile(text, rel, "exec", dont_inherit=True)
        except SyntaxError as exc:
            line = (exc.text or "").rstrip()
            return f"{rel}, line {exc.lineno}: {exc.msg}" + (f"\n    {line.strip()}" if line else "")
        except ValueError as exc:
            return f"{rel}: {exc}"
        return None
    if suffix == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return f"{rel}, line {exc.lineno}: {exc.msg}"
        return None
    if suffix in (".js", ".mjs", ".cjs") and shutil.which("node"):
        with tempfile.TemporaryDirectory(prefix="skiff-syntax-") as tmp:
            probe = Path(tmp) / Path(rel).name
            probe.write_text(text, encoding="utf-8")
            code, out = await _run(
                [shutil.which("node") or "node", "--check", str(probe)], Path(tmp), SYNTAX_TIMEOUT
            )
        if code not in (0, None):
            lines = [x for x in out.replace(str(probe), rel).splitlines() if x.strip()]
            return "\n".join(lines[:5])
    return None


async def _run(argv: list[str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None, "timed out"
    return proc.returncode, out.decode("utf-8", "replace")


# ---------------------------------------------------------------- the scratch copy


def _copy_workspace(workspace: Workspace, overlay: Overlay, dest: Path, with_edits: bool) -> bool:
    """The workspace (editor buffers included) in `dest`, with the turn's edits when `with_edits`.
    False when the workspace is too large to copy."""
    root = workspace.root
    count, size = 0, 0
    dest.mkdir(parents=True)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root)
        for name in list(dirnames):
            if name in LINKED_DIRS or name.endswith(".egg-info"):
                dirnames.remove(name)
                if name != "__pycache__":
                    (dest / rel_dir / name).symlink_to(here / name, target_is_directory=True)
        (dest / rel_dir).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            src = here / name
            count += 1
            try:
                size += src.stat().st_size
            except OSError:
                continue
            if count > MAX_COPY_FILES or size > MAX_COPY_BYTES:
                return False
            text = workspace.documents.get(src)
            if text is not None:
                (dest / rel_dir / name).write_text(text, encoding="utf-8")
            elif src.is_file():
                shutil.copy2(src, dest / rel_dir / name)
    if with_edits:
        for path in overlay.changed_paths():
            target = dest / workspace.relative(path)
            text = overlay.current[path]
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return True


# ---------------------------------------------------------------- lint


def _ruff_configured(root: Path) -> bool:
    if (root / "ruff.toml").is_file() or (root / ".ruff.toml").is_file():
        return True
    pyproject = root / "pyproject.toml"
    try:
        return pyproject.is_file() and "[tool.ruff" in pyproject.read_text(encoding="utf-8")
    except OSError:
        return False


def _ruff() -> list[str] | None:
    if exe := shutil.which("ruff"):
        return [exe]
    return None


async def _lint(before: Path, after: Path, rels: list[str]) -> Check | None:
    ruff = _ruff()
    if ruff is None or not rels:
        return None
    problems: list[set[str]] = []
    outputs = []
    for root in (before, after):
        argv = [
            *ruff,
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            *[r for r in rels if (root / r).exists()],
        ]
        _, out = await _run(argv, root, TEST_TIMEOUT)
        lines = [x for x in out.splitlines() if re.match(r"^[^:\s]+:\d+:\d+: ", x)]
        problems.append({re.sub(r":\d+:\d+:", ":", x) for x in lines})
        outputs.append(lines)
    new = [x for x in outputs[1] if re.sub(r":\d+:\d+:", ":", x) not in problems[0]]
    if not new:
        return Check("lint", True, "lint ok")
    shown = "\n".join(new[:12])
    return Check("lint", False, f"{len(new)} new lint problem(s)", f"ruff check:\n{shown}", failed=len(new))


# ---------------------------------------------------------------- tests


def related_tests(root: Path, rels: list[str]) -> list[str]:
    """Test files that exercise the changed files: named after them, importing them, or changed themselves."""
    stems = {Path(r).stem for r in rels if not is_test_file(r)}
    out = [r for r in rels if is_test_file(r)]
    for path in itertools.islice(IgnoreMatcher(root).walk(root, skip=LINKED_DIRS | {"."}), MAX_COPY_FILES):
        r = path.relative_to(root).as_posix()
        if not is_test_file(r) or r in out or path.suffix not in (".py", ".js", ".mjs", ".cjs"):
            continue
        name = path.stem.removeprefix("test_").removesuffix("_test").split(".")[0]
        if name in stems:
            out.append(r)
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(_imports(text, stem) for stem in stems):
            out.append(r)
    return out[:20]


def _imports(text: str, stem: str) -> bool:
    s = re.escape(stem)
    return bool(
        re.search(rf"^\s*(?:from\s+[\w.]*\b{s}\b|import\s+[\w.]*\b{s}\b)", text, re.M)
        or re.search(rf"""(?:require\(|from\s)\s*['"][./\w-]*\b{s}(?:\.\w+)?['"]""", text)
    )


def _python(root: Path) -> str:
    for venv in (".venv", "venv"):
        candidate = root / venv / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return sys.executable


def runner_commands(root: Path, rels: list[str], request: str) -> list[tuple[str, list[str]]]:
    """(shell command shown to the user, argv) per test runner: pytest, then node --test."""
    files = related_tests(root, rels)
    out = []
    py = [f for f in files if f.endswith(".py")]
    if py:
        named = _TEST_NAME.findall(request)
        select = ["-k", " or ".join(dict.fromkeys(named))] if named else []
        shown = " ".join(["python -m pytest -q", *(["-k", repr(select[1])] if select else []), *py])
        argv = [_python(root), "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider", *py]
        out.append((shown, argv))
        if select:  # the named test first, then the rest of the files
            out.insert(0, (shown, [*argv, *select]))
            out[1] = (" ".join(["python -m pytest -q", *py]), argv)
    js = [f for f in files if not f.endswith(".py")]
    if js and shutil.which("node"):
        out.append((" ".join(["node --test", *js]), [shutil.which("node") or "node", "--test", *js]))
    return out


async def _allowed(command: str, ctx: ToolContext) -> bool:
    always = ctx.state.setdefault("bash_always", [])
    if command in always:
        return True
    verdict = check_command(command, ctx.bash_mode, ctx.bash_allow, always)
    if verdict.allowed:
        return True
    if ctx.ask_permission is None:
        return False
    answer = await ctx.ask_permission(PermissionRequest("bash", command, f"run the tests: {verdict.reason}"))
    if answer == "allow_always":
        always.append(command)
    return answer != "reject"


async def _tests(
    before: Path, after: Path, rels: list[str], request: str, ctx: ToolContext, timeout: float
) -> Check | None:
    commands = runner_commands(after, rels, request)
    if not commands:
        return None
    about_tests = bool(_FIX_WORDS.search(request))
    passed = failed = 0
    details: list[str] = []
    refused = []
    for shown, argv in commands:
        if not await _allowed(shown, ctx):
            refused.append(shown)
            continue
        code, out = await _run_tests(argv, after, timeout)
        p, f = _counts(out, argv)
        if code == 0:
            passed = max(passed, p)
            continue
        if not about_tests:
            base_code, base_out = await _run_tests(argv, before, timeout)
            if base_code not in (0, None) and _failed_names(base_out) >= _failed_names(out):
                continue  # failing before the edit too, and the request is not about it
        failed += max(f, 1)
        passed = max(passed, p)
        details.append(f"$ {shown}\n{_tail(without_tool_warnings(out))}")
        break  # the first failing runner is enough for one repair round
    if refused and not passed and not failed:
        return Check("tests", True, "tests not run (not allowed)", blocking=False)
    if failed:
        total = passed + failed
        return Check(
            "tests",
            False,
            f"{failed} of {total} tests failed",
            "\n\n".join(details),
            passed=passed,
            failed=failed,
        )
    if not passed:
        return Check("tests", True, "no tests ran", blocking=False)
    return Check("tests", True, f"{passed} test{'s' if passed != 1 else ''} passed", passed=passed)


async def _run_tests(argv: list[str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    ws = Workspace(cwd)
    ctx = ToolContext(workspace=ws, overlay=Overlay(ws))
    result = await BashTool.execute(shlex.join(argv), ctx, timeout)
    m = re.search(r"\[exit code (-?\d+)\]\s*$", result.output)
    code = int(m.group(1)) if m else None
    return code, result.output


def _counts(out: str, argv: list[str]) -> tuple[int, int]:
    if "--test" in argv:
        found = dict((k, int(v)) for k, v in _NODE_COUNTS.findall(out))
        return found.get("pass", 0), found.get("fail", 0)
    passed = failed = 0
    for n, word in _PYTEST_COUNTS.findall(out):
        if word == "passed":
            passed += int(n)
        else:
            failed += int(n)
    return passed, failed


def _failed_names(out: str) -> set[str]:
    return set(re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)) or (
        {"?"} if "error" in out.lower() else set()
    )


_TOOL_WARNING = re.compile(r"^\S*(?:site-packages|dist-packages)\S*:\d+: \w*Warning: ")


def without_tool_warnings(out: str) -> str:
    """Test output without the warnings that installed packages print about themselves (pytest-asyncio's
    "asyncio_default_fixture_loop_scope is unset", say): shown to Qwen2.5-Coder-1.5B in a repair round,
    that warning made it rewrite a plain test as an async fixture. A warning is the `path:line: XWarning:`
    line, its message and the source line Python prints after it."""
    lines = out.splitlines(keepends=True)
    keep: list[str] = []
    i = 0
    while i < len(lines):
        if _TOOL_WARNING.match(lines[i]):
            end = next(
                (j for j in range(i + 1, min(i + 30, len(lines))) if re.match(r"^  \S.*\bwarn", lines[j])),
                None,
            )
            if end is not None:
                i = end + 1
                continue
        keep.append(lines[i])
        i += 1
    return "".join(keep)


def _tail(out: str) -> str:
    out = re.sub(r"\n\[exit code -?\d+\]\s*$", "", out.strip())
    if len(out) <= DETAIL_CHARS:
        return out
    return "...\n" + out[-DETAIL_CHARS:]
