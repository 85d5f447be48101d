"""The benchmark task suite (bench/suite): every task is well formed, its hidden check fails on the
workspace as given and passes with the reference solution; the suite has the size and spread it promises."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
TYPESCRIPT = ROOT / "vscode-client" / "node_modules" / "typescript"


def _load_validate() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_suite_validate", ROOT / "bench" / "suite" / "validate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


validate = _load_validate()
TASKS = validate.load_tasks()


@pytest.fixture(scope="module", autouse=True)
def _checkers_installed() -> None:
    if not shutil.which("node"):
        pytest.fail("node is not on PATH: the JavaScript and TypeScript checks need it")
    if not TYPESCRIPT.is_dir():
        pytest.fail(f"{TYPESCRIPT} is missing: run `npm ci` in vscode-client (the TypeScript checks use it)")


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_task_is_valid(task: object) -> None:
    problems = validate.validate_task(task)
    assert not problems, "\n".join(problems)


def test_suite_size_and_spread() -> None:
    ids = [t.id for t in TASKS]
    assert len(ids) == len(set(ids))
    assert len(TASKS) >= 40
    langs = Counter(t.lang for t in TASKS)
    assert langs["javascript"] + langs["typescript"] >= 8
    assert langs["typescript"] >= 2
    groups = Counter(t.group for t in TASKS)
    assert set(groups) == set(validate.GROUPS)
    quick = [t for t in TASKS if t.quick]
    assert 10 <= len(quick) <= 14
    assert {t.group for t in quick} == set(validate.GROUPS)
