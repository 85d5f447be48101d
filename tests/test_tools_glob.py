"""The glob tool: name patterns, .gitignore, this turn's overlay and unsaved editor buffers, caps."""

from __future__ import annotations

from pathlib import Path

from toolctx import make_ctx

from skiff.agent.tools.base import ToolContext
from skiff.agent.tools.glob import MAX_FILES, GlobArgs, GlobTool


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")


async def glob(ctx: ToolContext, pattern: str, path: str = ".") -> list[str]:
    result = await GlobTool().run(GlobArgs(pattern=pattern, path=path), ctx)
    assert result.ok, result.output
    return result.output.split("\n")


async def test_patterns(tmp_path: Path) -> None:
    touch(tmp_path, "setup.py", "src/app.py", "src/lib/util.py", "src/lib/util.ts", "web/a.tsx", "README.md")
    ctx = make_ctx(tmp_path)
    assert await glob(ctx, "*.py") == ["setup.py", "src/app.py", "src/lib/util.py"]
    assert await glob(ctx, "src/*.py") == ["src/app.py"]
    assert await glob(ctx, "**/*.py", "src") == ["src/app.py", "src/lib/util.py"]
    assert await glob(ctx, "*.py", "src/lib") == ["src/lib/util.py"]
    assert await glob(ctx, "**/*.{ts,tsx}") == ["src/lib/util.ts", "web/a.tsx"]
    none = await GlobTool().run(GlobArgs(pattern="*.rs"), ctx)
    assert none.ok and "No files match" in none.output


async def test_gitignore_and_git_folder_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path, "a.py", "build/gen.py", "node_modules/m/index.js", ".git/hooks/x.py", "src/debug.log")
    (tmp_path / ".gitignore").write_text("build/\nnode_modules/\n*.log\n")
    ctx = make_ctx(tmp_path)
    assert await glob(ctx, "*") == [".gitignore", "a.py"]
    assert await glob(ctx, "*.py") == ["a.py"]
    assert await glob(ctx, "*.py", "build") == ["build/gen.py"]  # a folder named explicitly is searched


async def test_overlay_and_editor_buffers(tmp_path: Path) -> None:
    touch(tmp_path, "old.py", "kept.py", "ignored/x.py")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    unsaved = (tmp_path / "draft.py").resolve()
    ignored_buffer = (tmp_path / "ignored" / "open.py").resolve()
    ctx = make_ctx(tmp_path, {unsaved: "x = 1\n", ignored_buffer: "y\n"})
    ctx.overlay.write((tmp_path / "new" / "made.py").resolve(), "z\n")
    ctx.overlay.write((tmp_path / "old.py").resolve(), None)
    assert await glob(ctx, "*.py") == ["draft.py", "kept.py", "new/made.py"]


async def test_cap_and_count_of_the_rest(tmp_path: Path) -> None:
    touch(tmp_path, *(f"f{i:03}.txt" for i in range(MAX_FILES + 25)))
    lines = await glob(make_ctx(tmp_path), "*.txt")
    assert len(lines) == MAX_FILES + 1
    assert lines[0] == "f000.txt"
    assert lines[-1] == "... and 25 more; narrow the pattern or path."


async def test_bad_paths(tmp_path: Path) -> None:
    touch(tmp_path, "file.txt")
    ctx = make_ctx(tmp_path)
    missing = await GlobTool().run(GlobArgs(pattern="*", path="nowhere"), ctx)
    assert missing.error == "not_found"
    a_file = await GlobTool().run(GlobArgs(pattern="*", path="file.txt"), ctx)
    assert a_file.error == "invalid_args" and "is a file" in a_file.output
