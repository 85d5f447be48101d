"""The pure-Python .gitignore matcher, checked against real `git check-ignore` on a generated tree."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from skiff.agent.text.ignore import IgnoreMatcher, compile_path_glob, expand_braces, translate_glob

ROOT_IGNORE = """\
# comment
*.log
!keep.log
build/
/top_only.txt
docs/**/*.tmp
**/cache
data/*.csv
\\#literal
[Tt]emp*
"""
SUB_IGNORE = """\
!*.log
local.txt
nested/
"""
FILES = [
    "a.log",
    "keep.log",
    "src/b.log",
    "src/keep.log",
    "build/out.o",
    "src/build/x.py",
    "top_only.txt",
    "src/top_only.txt",
    "docs/a/b/c.tmp",
    "docs/c.tmp",
    "other/c.tmp",
    "x/cache/file",
    "cache",
    "data/a.csv",
    "data/sub/b.csv",
    "#literal",
    "Temp1.txt",
    "temp2.txt",
    "pkg/.gitignore",
    "pkg/debug.log",
    "pkg/local.txt",
    "pkg/x/local.txt",
    "pkg/nested/f.py",
    "pkg/nested.py",
    "src/main.py",
    ".hidden/visible.py",
]


def make_tree(root: Path) -> None:
    (root / ".gitignore").write_text(ROOT_IGNORE)
    for name in FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "pkg/.gitignore":
            path.write_text(SUB_IGNORE)
        else:
            path.write_text("x\n")


def test_glob_translation() -> None:
    assert re.fullmatch(translate_glob("*.py"), "a.py")
    assert not re.fullmatch(translate_glob("*.py"), "d/a.py")
    assert re.fullmatch(translate_glob("**/*.py"), "a.py")
    assert re.fullmatch(translate_glob("**/*.py"), "d/e/a.py")
    assert re.fullmatch(translate_glob("src/**"), "src/a/b")
    assert re.fullmatch(translate_glob("a/**/b"), "a/b")
    assert re.fullmatch(translate_glob("a/**/b"), "a/x/y/b")
    assert re.fullmatch(translate_glob("[!a]?.txt"), "bc.txt")
    assert not re.fullmatch(translate_glob("[!a]?.txt"), "ac.txt")
    assert re.fullmatch(translate_glob("[ab"), "[ab")
    assert expand_braces("*.{ts,tsx}") == ["*.ts", "*.tsx"]
    assert expand_braces("{a,b{c,d}}") == ["a", "bc", "bd"]
    assert expand_braces("{a}") == ["{a}"]


def test_path_glob_without_slash_matches_at_any_depth() -> None:
    rx = compile_path_glob("*.py")
    assert rx.fullmatch("a.py") and rx.fullmatch("x/y/a.py")
    rx = compile_path_glob("src/*.py")
    assert rx.fullmatch("src/a.py") and not rx.fullmatch("src/x/a.py")
    rx = compile_path_glob("./**/*.{js,ts}")
    assert rx.fullmatch("a/b.ts") and rx.fullmatch("c.js") and not rx.fullmatch("c.py")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_matches_git_check_ignore(tmp_path: Path) -> None:
    make_tree(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    proc = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "--stdin", "--no-index"],
        input="\n".join(FILES) + "\n",
        capture_output=True,
        text=True,
    )
    git_ignored = set(proc.stdout.split())
    matcher = IgnoreMatcher(tmp_path)
    ours = {f for f in FILES if matcher.is_ignored(f)}
    assert ours == git_ignored
    assert "src/keep.log" not in ours and "pkg/debug.log" not in ours  # negations
    walked = {p.relative_to(tmp_path).as_posix() for p in matcher.walk(tmp_path)}
    assert walked == {f for f in FILES if f not in git_ignored} | {".gitignore"}


def test_walk_skips_vcs_folders_and_does_not_follow_folder_symlinks(tmp_path: Path) -> None:
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "x").write_text("")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "a.txt").write_text("")
    (tmp_path / "ws" / "link").symlink_to(tmp_path / "outside")
    (tmp_path / "ws" / ".git").mkdir()
    (tmp_path / "ws" / ".git" / "HEAD").write_text("")
    walked = [p.name for p in IgnoreMatcher(tmp_path / "ws").walk(tmp_path / "ws")]
    assert walked == ["a.txt"]


def test_info_exclude_counts_as_a_root_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("secret*\n")
    assert IgnoreMatcher(tmp_path).is_ignored("dir/secret.txt")
    assert not IgnoreMatcher(tmp_path).is_ignored("dir/public.txt")
