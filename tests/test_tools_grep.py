"""The grep tool, on both backends: ripgrep (when installed) and the pure-Python search."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from toolctx import make_ctx

from skiff.agent.tools.base import ToolContext, ToolResult
from skiff.agent.tools.grep import HARD_CAP, MAX_SHOWN, GrepArgs, GrepTool


@pytest.fixture(params=["python", "rg"])
def tool(request: pytest.FixtureRequest) -> GrepTool:
    if request.param == "rg" and shutil.which("rg") is None:
        pytest.fail("ripgrep is not installed (it comes with the dev extras: pip install -e '.[dev]')")
    return GrepTool(backend=request.param)


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path.resolve()


async def grep(tool: GrepTool, ctx: ToolContext, pattern: str, **kw: object) -> ToolResult:
    return await tool.run(GrepArgs(pattern=pattern, **kw), ctx)


async def test_matches_as_path_line_text(tool: GrepTool, tmp_path: Path) -> None:
    write(tmp_path, "src/app.py", "import os\n\ndef main():\n    run()\n")
    write(tmp_path, "src/lib.py", "def helper():\n    pass\n")
    write(tmp_path, "notes.md", "main ideas\n")
    ctx = make_ctx(tmp_path)
    result = await grep(tool, ctx, r"def \w+\(")
    assert result.ok
    assert result.output == "src/app.py:3: def main():\nsrc/lib.py:1: def helper():"
    result = await grep(tool, ctx, "MAIN", ignore_case=True, glob="*.md")
    assert result.output == "notes.md:1: main ideas"
    result = await grep(tool, ctx, "main", path="src/app.py")
    assert result.output == "src/app.py:3: def main():"
    result = await grep(tool, ctx, "^    ", path="src")
    assert result.output == "src/app.py:4: run()\nsrc/lib.py:2: pass"


async def test_gitignored_binary_and_git_files_are_skipped(tool: GrepTool, tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "build/\n*.gen.py\n")
    write(tmp_path, "a.py", "TOKEN = 1\n")
    write(tmp_path, "build/b.py", "TOKEN = 2\n")
    write(tmp_path, "c.gen.py", "TOKEN = 3\n")
    write(tmp_path, ".git/config", "TOKEN = 4\n")
    write(tmp_path, ".github/ci.yml", "TOKEN: 5\n")
    (tmp_path / "blob.bin").write_bytes(b"TOKEN\x00\x01")
    result = await grep(tool, make_ctx(tmp_path), "TOKEN")
    assert result.output == ".github/ci.yml:1: TOKEN: 5\na.py:1: TOKEN = 1"


async def test_overlay_and_buffers_replace_disk_text(tool: GrepTool, tmp_path: Path) -> None:
    edited = write(tmp_path, "edited.py", "needle_old = 1\n")
    opened = write(tmp_path, "opened.py", "needle_disk = 1\n")
    deleted = write(tmp_path, "deleted.py", "needle_deleted = 1\n")
    write(tmp_path, "plain.py", "x = 1\nneedle_plain = 2\n")
    ctx = make_ctx(tmp_path, {opened: "# unsaved\nneedle_buffer = 1\n"})
    ctx.overlay.write(edited, "needle_new = 1\n")
    ctx.overlay.write(deleted, None)
    ctx.overlay.write((tmp_path / "created.py").resolve(), "needle_created = 1\n")
    result = await grep(tool, ctx, "needle_")
    assert result.output.split("\n") == [
        "created.py:1: needle_created = 1",
        "edited.py:1: needle_new = 1",
        "opened.py:2: needle_buffer = 1",
        "plain.py:2: needle_plain = 2",
    ]
    assert (tmp_path / "edited.py").read_text() == "needle_old = 1\n"


async def test_cap_and_footer(tool: GrepTool, tmp_path: Path) -> None:
    write(tmp_path, "many.txt", "hit\n" * (MAX_SHOWN + 30))
    write(tmp_path, "more.txt", "hit\n")
    result = await grep(tool, make_ctx(tmp_path), "hit")
    lines = result.output.split("\n")
    assert len(lines) == MAX_SHOWN + 1
    assert (
        lines[-1]
        == f"[{MAX_SHOWN} of {MAX_SHOWN + 31} matches shown, in 2 files; narrow with path= or glob=]"
    )


async def test_hard_cap_stops_the_search(tool: GrepTool, tmp_path: Path) -> None:
    write(tmp_path, "huge.txt", "x\n" * (HARD_CAP + 500))
    result = await grep(tool, make_ctx(tmp_path), "x")
    assert f"of {HARD_CAP}+ matches" in result.output


async def test_errors_and_empty_results(tool: GrepTool, tmp_path: Path) -> None:
    write(tmp_path, "a.py", "call(x)\n")
    ctx = make_ctx(tmp_path)
    bad = await grep(tool, ctx, "call(")
    assert not bad.ok and bad.error == "invalid_args"
    assert "Invalid regex 'call('" in bad.output and "'call\\\\('" in bad.output
    none = await grep(tool, ctx, "absent", glob="*.rs")
    assert none.ok and none.output == "No matches for 'absent' in . (files matching '*.rs')."
    missing = await grep(tool, ctx, "x", path="nope/")
    assert missing.error == "not_found"


async def test_python_only_regex_falls_back_from_rg(tmp_path: Path) -> None:
    if shutil.which("rg") is None:
        pytest.fail("ripgrep is not installed (it comes with the dev extras: pip install -e '.[dev]')")
    write(tmp_path, "a.py", "foo = 1\nfoobar = 2\n")
    result = await grep(GrepTool(backend="rg"), make_ctx(tmp_path), r"foo(?!bar)")  # lookahead: not in rg
    assert result.output == "a.py:1: foo = 1"


def test_backend_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GrepTool(backend="python").rg_path() is None
    monkeypatch.setenv("PATH", "")
    assert GrepTool().rg_path() is None
    with pytest.raises(RuntimeError):
        GrepTool(backend="rg").rg_path()


async def test_folder_that_exists_only_in_the_overlay(tool: GrepTool, tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    ctx.overlay.write((tmp_path / "fresh" / "mod.py").resolve(), "def fresh():\n    pass\n")
    result = await grep(tool, ctx, "def", path="fresh")
    assert result.output == "fresh/mod.py:1: def fresh():"
    result = await grep(tool, ctx, "pass", path="fresh/mod.py")
    assert result.output == "fresh/mod.py:2: pass"
