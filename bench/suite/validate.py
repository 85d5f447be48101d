"""Validates the benchmark task suite: schema, and a hidden check that fails as given and passes when solved.

Each task lives in `tasks/<id>/`: `task.json`, `workspace/` (what the agent sees), `check/` (hidden files
copied in only to grade) and `solution/` (reference files overlaid on the workspace). A task is valid when
its `task.json` is well formed, the files it names exist, its check FAILS on the unmodified workspace and
PASSES on the workspace overlaid with `solution/`.

    python bench/suite/validate.py                      # every task
    python bench/suite/validate.py fix-traceback js-rename

The runner (`bench/bench_vs_aider.py`) imports `load_tasks`, `prepare_workspace` and `run_check` from here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUITE = Path(__file__).resolve().parent
TASKS_DIR = SUITE / "tasks"
REPO = SUITE.parents[1]
GROUPS = ("edit", "fix", "multi", "js", "exercise")
LANGS = ("python", "javascript", "typescript")
CHECK_TIMEOUT = 120.0
KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "group": str,
    "kind": str,
    "lang": str,
    "request": str,
    "file": (str, type(None)),
    "files": list,
    "read": list,
    "check": list,
    "quick": bool,
}


class TaskError(ValueError):
    """A task.json that cannot be loaded: the message names the file and the key."""


@dataclass(frozen=True)
class Task:
    """One benchmark task, as described by its `task.json`."""

    id: str
    group: str
    kind: str
    lang: str
    request: str
    file: str | None
    files: tuple[str, ...]
    read: tuple[str, ...]
    check: tuple[str, ...]
    quick: bool
    root: Path

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    @property
    def check_dir(self) -> Path:
        return self.root / "check"

    @property
    def solution(self) -> Path:
        return self.root / "solution"

    @property
    def single_file(self) -> bool:
        """True when the agent is meant to change exactly one file."""
        return len(self.files) == 1


def load_task(root: Path) -> Task:
    path = root / "task.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TaskError(f"{path}: {exc}") from exc
    for key, kind in KEYS.items():
        if key not in data:
            raise TaskError(f"{path}: missing key '{key}'")
        if not isinstance(data[key], kind):
            raise TaskError(f"{path}: key '{key}' has the wrong type ({type(data[key]).__name__})")
    for key in ("files", "read", "check"):
        if not all(isinstance(item, str) for item in data[key]):
            raise TaskError(f"{path}: key '{key}' must be a list of strings")
    return Task(
        id=data["id"],
        group=data["group"],
        kind=data["kind"],
        lang=data["lang"],
        request=data["request"],
        file=data["file"],
        files=tuple(data["files"]),
        read=tuple(data["read"]),
        check=tuple(data["check"]),
        quick=data["quick"],
        root=root,
    )


def load_tasks(tasks_dir: Path = TASKS_DIR) -> list[Task]:
    """Every task of the suite, sorted by group (in GROUPS order) then id."""
    tasks = [load_task(d) for d in sorted(tasks_dir.iterdir()) if (d / "task.json").is_file()]
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(tasks, key=lambda t: (order.get(t.group, len(GROUPS)), t.id))


def _overlay(source: Path, dest: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, dest, dirs_exist_ok=True)


def prepare_workspace(task: Task, dest: Path, *, solved: bool = False) -> Path:
    """Copy the task's workspace into `dest` (created), overlaid with `solution/` when `solved`."""
    dest.mkdir(parents=True, exist_ok=True)
    _overlay(task.workspace, dest)
    if solved:
        _overlay(task.solution, dest)
    return dest


def check_env() -> dict[str, str]:
    """The environment of a check: no pytest plugin autoload, no bytecode, the typescript package."""
    env = dict(os.environ)
    env.setdefault("SKIFF_BENCH_TYPESCRIPT", str(REPO / "vscode-client" / "node_modules" / "typescript"))
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_argv(task: Task) -> list[str]:
    """The check command with `python` as this interpreter and `node` resolved on PATH."""
    argv = list(task.check)
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "node":
        argv[0] = shutil.which("node") or "node"
    return argv


@dataclass
class CheckResult:
    passed: bool
    output: str
    seconds: float


def run_check(task: Task, workspace: Path, timeout: float = CHECK_TIMEOUT) -> CheckResult:
    """Copy `check/` into `workspace` and run the task's check there; exit status 0 means solved."""
    _overlay(task.check_dir, workspace)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            check_argv(task),
            cwd=workspace,
            env=check_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        return CheckResult(
            False, f"{out or ''}\ncheck timed out after {timeout:.0f} s", time.monotonic() - start
        )
    except OSError as exc:
        return CheckResult(False, f"check could not start: {exc}", time.monotonic() - start)
    return CheckResult(proc.returncode == 0, proc.stdout + proc.stderr, time.monotonic() - start)


def _relative_ok(path: str) -> bool:
    p = Path(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts


def schema_problems(task: Task) -> list[str]:
    """What is wrong with the task's description and folders, without running anything."""
    problems = []
    if task.id != task.root.name:
        problems.append(f"id '{task.id}' differs from the folder name '{task.root.name}'")
    if task.group not in GROUPS:
        problems.append(f"unknown group '{task.group}' (known: {', '.join(GROUPS)})")
    if task.lang not in LANGS:
        problems.append(f"unknown lang '{task.lang}' (known: {', '.join(LANGS)})")
    elif (task.group == "js") != (task.lang != "python"):
        problems.append(f"group '{task.group}' does not fit lang '{task.lang}'")
    if not task.request.strip() or not task.kind.strip():
        problems.append("empty request or kind")
    if not task.files:
        problems.append("'files' is empty")
    if not task.check:
        problems.append("'check' is empty")
    elif not any((task.check_dir / arg).is_file() for arg in task.check[1:]):
        problems.append("the check command names no file of check/")
    for folder in (task.workspace, task.check_dir, task.solution):
        if not folder.is_dir() or not any(folder.iterdir()):
            problems.append(f"{folder.name}/ is missing or empty")
    names = [*task.files, *task.read, *([task.file] if task.file else [])]
    for name in names:
        if not _relative_ok(name):
            problems.append(f"path '{name}' must be relative to the workspace")
    if task.file and not (task.workspace / task.file).is_file():
        problems.append(f"file '{task.file}' is not in workspace/")
    for name in task.files:
        if not (task.workspace / name).is_file() and not (task.solution / name).is_file():
            problems.append(f"'{name}' of files is in neither workspace/ nor solution/")
    for name in task.read:
        if not (task.workspace / name).is_file():
            problems.append(f"'{name}' of read is not in workspace/")
    if task.solution.is_dir():
        for path in (p for p in task.solution.rglob("*") if p.is_file()):
            original = task.workspace / path.relative_to(task.solution)
            if original.is_file() and original.read_bytes() == path.read_bytes():
                problems.append(f"solution/{path.relative_to(task.solution)} is identical to the workspace")
    return problems


def _graded(task: Task, solved: bool) -> CheckResult:
    with tempfile.TemporaryDirectory(prefix=f"skiff-suite-{task.id}-") as tmp:
        return run_check(task, prepare_workspace(task, Path(tmp) / "ws", solved=solved))


def validate_task(task: Task) -> list[str]:
    """Problems of one task (empty when valid): schema, check fails as given, check passes when solved."""
    problems = schema_problems(task)
    if problems:
        return problems
    with ThreadPoolExecutor(max_workers=2) as pool:
        unsolved, solved = pool.map(lambda s: _graded(task, s), (False, True))
    if unsolved.passed:
        problems.append("the check passes on the unmodified workspace")
    if not solved.passed:
        problems.append(f"the check fails on the reference solution:\n{solved.output[-2000:]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    wanted = set(sys.argv[1:] if argv is None else argv)
    tasks = [t for t in load_tasks() if not wanted or t.id in wanted]
    if wanted - {t.id for t in tasks}:
        print(f"unknown task(s): {', '.join(sorted(wanted - {t.id for t in tasks}))}", file=sys.stderr)
        return 2
    failed = 0
    start = time.monotonic()
    for task in tasks:
        problems = validate_task(task)
        failed += bool(problems)
        print(f"{'ok  ' if not problems else 'FAIL'} {task.id}")
        for problem in problems:
            print("     " + problem.replace("\n", "\n     "))
    print(f"{len(tasks) - failed}/{len(tasks)} tasks valid in {time.monotonic() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
