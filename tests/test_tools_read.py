"""The read tool: numbered lines, paging, overlay and editor buffers over disk, folders, missing files."""

from __future__ import annotations

from pathlib import Path

from toolctx import make_ctx

from skiff.agent.tools.base import ToolContext
from skiff.agent.tools.edit import EditArgs, EditTool
from skiff.agent.tools.read import ReadArgs, ReadTool
from skiff.agent.tools.write import WriteArgs, WriteTool


async def read(ctx: ToolContext, path: str, **kw: int) -> str:
    result = await ReadTool().run(ReadArgs(path=path, **kw), ctx)
    assert result.ok, result.output
    return result.output


async def test_numbered_lines(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    out = await read(make_ctx(tmp_path), "a.py")
    assert out == "1\tdef f():\n2\t    return 1"


async def test_paging_says_how_to_read_on(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("".join(f"row {i}\n" for i in range(1, 1001)))
    ctx = make_ctx(tmp_path)
    out = await read(ctx, "big.txt")
    lines = out.split("\n")
    assert lines[0] == "  1\trow 1"
    assert lines[399] == "400\trow 400"
    assert lines[-1] == "[lines 1-400 of 1000; read on with offset=401]"
    out = await read(ctx, "big.txt", offset=995, limit=10)
    assert out.split("\n") == [*(f"{n:>4}\trow {n}" for n in range(995, 1001)), "[lines 995-1000 of 1000]"]
    past = await ReadTool().run(ReadArgs(path="big.txt", offset=2000), ctx)
    assert not past.ok and past.error == "invalid_args" and "1000 lines" in past.output


async def test_long_lines_are_cut(tmp_path: Path) -> None:
    (tmp_path / "min.js").write_text("x" * 5000 + "\n")
    out = await read(make_ctx(tmp_path), "min.js")
    assert out.startswith("1\t" + "x" * 500 + "... [4500 more chars]")


async def test_read_sees_this_turns_edit_and_disk_is_untouched(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    ctx = make_ctx(tmp_path)
    edited = await EditTool().run(EditArgs(path="m.py", old_string="x = 1", new_string="x = 2"), ctx)
    assert edited.ok, edited.output
    created = await WriteTool().run(WriteArgs(path="new/n.py", content="y = 3\n"), ctx)
    assert created.ok, created.output
    assert await read(ctx, "m.py") == "1\tx = 2"
    assert await read(ctx, "new/n.py") == "1\ty = 3"
    assert (tmp_path / "m.py").read_text() == "x = 1\n"
    assert not (tmp_path / "new").exists()


async def test_editor_buffer_overrides_disk(tmp_path: Path) -> None:
    path = tmp_path / "open.py"
    path.write_text("on disk\n")
    ctx = make_ctx(tmp_path, {path: "unsaved buffer\n"})
    assert await read(ctx, "open.py") == "1\tunsaved buffer"


async def test_missing_file_suggests_close_names(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "parser.py").write_text("")
    result = await ReadTool().run(ReadArgs(path="src/parsr.py"), make_ctx(tmp_path))
    assert not result.ok
    assert result.error == "not_found"
    assert "src/parsr.py does not exist" in result.output
    assert "src/parser.py" in result.output


async def test_folder_lists_entries_with_overlay_changes(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "sub").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "pkg" / "gone.py").write_text("")
    (tmp_path / ".git").mkdir()
    ctx = make_ctx(tmp_path)
    ctx.overlay.write(tmp_path / "pkg" / "b.py", "new\n")
    ctx.overlay.write(tmp_path / "pkg" / "gone.py", None)
    assert await read(ctx, "pkg") == "pkg/ (3 entries)\nsub/\na.py\nb.py"
    assert ".git" not in await read(ctx, ".")


async def test_binary_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x89PNG\x00\x01\x02")
    (tmp_path / "empty.txt").write_text("")
    ctx = make_ctx(tmp_path)
    result = await ReadTool().run(ReadArgs(path="blob.bin"), ctx)
    assert not result.ok and "binary" in result.output
    assert await read(ctx, "empty.txt") == "empty.txt is empty."
