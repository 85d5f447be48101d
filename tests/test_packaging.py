"""The built wheel: the skiff packages, the skill cards, models.json and the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_packages_skills_and_models(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(tmp_path.glob("skiff_ls-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        models = zf.read("skiff/models.json").decode()
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert {
        "skiff/__init__.py",
        "skiff/agent/loop.py",
        "skiff/cli.py",
        "skiff/server/__init__.py",
    } <= names
    assert models == (ROOT / "models.json").read_text()
    cards = {n for n in names if n.startswith("skiff/skills/") and n.endswith(".md")}
    shipped = {f"skiff/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "skills").glob("*/*.md")}
    assert shipped and cards == shipped
    for folder in ("tools", "knowledge", "protocols"):
        assert any(n.startswith(f"skiff/skills/{folder}/") for n in cards)
    assert "skiff = skiff.cli:main" in entry_points
    assert not any(
        n.startswith(("tests/", "skiff/tests/", "skiff/bench/", "skiff/vscode-client/")) for n in names
    )
