"""The write tool: creates new files in the overlay only; existing files are refused with an edit recipe."""

from __future__ import annotations

from pathlib import Path

from skiff.agent.tools.base import ToolContext
from skiff.agent.tools.edit import EditTool
from skiff.agent.tools.write import WriteArgs, WriteTool
from skiff.agent.workspace import Overlay, Workspace


def make_ctx(root: Path) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws))


async def test_creates_in_overlay_not_on_disk(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    result = await WriteTool().run(WriteArgs(path="pkg/util.py", content="a = 1\nb = 2"), ctx)
    assert result.ok
    assert result.output == "Created pkg/util.py (2 lines)."
    target = (tmp_path / "pkg" / "util.py").resolve()
    assert ctx.overlay.read(target) == "a = 1\nb = 2\n"  # a final newline is added
    assert ctx.overlay.base[target] is None
    assert not (tmp_path / "pkg").exists()


async def test_existing_file_is_refused_with_the_edit_recipe(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    ctx = make_ctx(tmp_path)
    result = await WriteTool().run(WriteArgs(path="app.py", content="print('bye')\n"), ctx)
    assert not result.ok
    assert result.error == "exists"
    assert "old_string" in result.output and "new_string" in result.output
    assert EditTool.recipe() in result.output
    assert (tmp_path / "app.py").read_text() == "print('hi')\n"
    assert ctx.overlay.current == {}


async def test_file_created_earlier_this_turn_is_refused_too(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    assert (await WriteTool().run(WriteArgs(path="n.txt", content="1"), ctx)).ok
    again = await WriteTool().run(WriteArgs(path="n.txt", content="2"), ctx)
    assert again.error == "exists"


async def test_folders_and_file_parents_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file.txt").write_text("x")
    ctx = make_ctx(tmp_path)
    folder = await WriteTool().run(WriteArgs(path="dir", content="x"), ctx)
    assert folder.error == "exists" and "folder" in folder.output
    under_file = await WriteTool().run(WriteArgs(path="file.txt/inner.py", content="x"), ctx)
    assert not under_file.ok and "file.txt is a file" in under_file.output
