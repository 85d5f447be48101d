"""The edit tool: exact, whitespace- and quote-tolerant replacement in the overlay, and its failures."""

from __future__ import annotations

from pathlib import Path

from skiff.agent.tools.base import ToolContext, ToolResult
from skiff.agent.tools.edit import EditArgs, EditTool, strip_line_numbers
from skiff.agent.workspace import Overlay, Workspace

CODE = """import os


class Store:
    def __init__(self, root):
        self.root = root

    def path(self, name):
        return os.path.join(self.root, name)

    def load(self, name):
        with open(self.path(name)) as f:
            return f.read()

    def exists(self, name):
        return os.path.exists(self.path(name))
"""


def make_ctx(root: Path) -> ToolContext:
    ws = Workspace(root)
    return ToolContext(workspace=ws, overlay=Overlay(ws))


async def edit(ctx: ToolContext, old: str, new: str, replace_all: bool = False) -> ToolResult:
    args = EditArgs(path="store.py", old_string=old, new_string=new, replace_all=replace_all)
    return await EditTool().run(args, ctx)


def current(ctx: ToolContext) -> str | None:
    return ctx.overlay.read(ctx.workspace.resolve("store.py"))


async def test_exact_edit_goes_to_overlay_with_a_diff(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    result = await edit(ctx, "            return f.read()", "            return f.read().strip()")
    assert result.ok, result.output
    assert result.output.startswith("Edited store.py: 1 replacement at line 13 (+1 -1).")
    assert "-            return f.read()\n+            return f.read().strip()" in result.output
    assert current(ctx) == CODE.replace("f.read()", "f.read().strip()")
    assert (tmp_path / "store.py").read_text() == CODE


async def test_whitespace_tolerant_edit_reindents(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    old = "def load(self, name):\n    with open(self.path(name)) as f:\n        return f.read()\n"
    new = (
        "def load(self, name, encoding='utf-8'):\n"
        "    with open(self.path(name), encoding=encoding) as f:\n"
        "        return f.read()\n"
    )
    result = await edit(ctx, old, new)
    assert result.ok, result.output
    assert "ignoring indentation" in result.output
    assert (
        "    def load(self, name, encoding='utf-8'):\n"
        "        with open(self.path(name), encoding=encoding) as f:\n"
        "            return f.read()\n" in (current(ctx) or "")
    )


async def test_quote_tolerant_edit(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text("MODE = 'fast'\nNAME = \"x\"\n")
    ctx = make_ctx(tmp_path)
    result = await edit(ctx, 'MODE = "fast"', 'MODE = "slow"')
    assert result.ok, result.output
    assert "quote" in result.output
    assert current(ctx) == 'MODE = "slow"\nNAME = "x"\n'


async def test_ambiguous_edit_names_lines_and_replace_all_works(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    result = await edit(ctx, "self.path(name)", "self._path(name)")
    assert not result.ok
    assert result.error == "ambiguous"
    assert "lines 12, 16" in result.output and "replace_all" in result.output
    assert current(ctx) == CODE
    result = await edit(ctx, "self.path(name)", "self._path(name)", replace_all=True)
    assert result.ok, result.output
    assert "2 replacements at lines 12, 16" in result.output
    assert (current(ctx) or "").count("self._path(name)") == 2


async def test_no_match_shows_the_closest_region(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    result = await edit(ctx, "def exist(self, nme):\n    return os.path.exist(self.path(nme))", "x")
    assert not result.ok
    assert result.error == "no_match"
    assert "Closest region (lines 15-16" in result.output
    assert "15\t    def exists(self, name):" in result.output
    assert "16\t        return os.path.exists(self.path(name))" in result.output
    assert current(ctx) == CODE


async def test_no_match_notices_an_edit_already_applied(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text("x = 2\n")
    result = await edit(make_ctx(tmp_path), "x = 1", "x = 2")
    assert result.error == "no_match"
    assert "already" in result.output


async def test_line_numbers_copied_from_read_are_stripped(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    old = " 5\t    def __init__(self, root):\n 6\t        self.root = root"
    result = await edit(ctx, old, old + " or '.'")
    assert result.ok, result.output
    assert "    def __init__(self, root):\n        self.root = root or '.'\n" in (current(ctx) or "")
    assert strip_line_numbers("12\ta\n13\tb") == "a\nb"
    assert strip_line_numbers("12\ta\n14\tb") is None


async def test_refusals(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    same = await edit(ctx, "import os", "import os")
    assert same.error == "invalid_args" and "identical" in same.output
    empty = await edit(ctx, "", "import sys\n")
    assert empty.error == "invalid_args" and "old_string is empty" in empty.output
    missing = await EditTool().run(EditArgs(path="nope.py", old_string="", new_string="x = 1\n"), ctx)
    assert missing.error == "invalid_args" and "`write` takes required path, content" in missing.output
    absent = await EditTool().run(EditArgs(path="stor.py", old_string="a", new_string="b"), ctx)
    assert absent.error == "not_found" and "store.py" in absent.output and "write" in absent.output
    assert current(ctx) == CODE


async def test_sequential_edits_build_on_each_other(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(CODE)
    ctx = make_ctx(tmp_path)
    assert (await edit(ctx, "import os\n", "import os\nimport sys\n")).ok
    assert (await edit(ctx, "import sys\n", "import sys\nimport json\n")).ok
    assert (current(ctx) or "").startswith("import os\nimport sys\nimport json\n")
    target = ctx.workspace.resolve("store.py")
    assert ctx.overlay.base[target] == CODE


async def test_edit_that_breaks_python_syntax_is_refused(tmp_path: Path) -> None:
    """Recorded from Qwen2.5-Coder-1.5B: it put the new body on the `def` line, leaving the old body below."""
    source = "import math\n\n\ndef circle_area(radius):\n    return math.pi * radius * 2\n"
    (tmp_path / "shapes.py").write_text(source)
    ctx = make_ctx(tmp_path)
    result = await EditTool().run(
        EditArgs(
            path="shapes.py",
            old_string="def circle_area(radius):",
            new_string="def circle_area(radius): return math.pi * radius * radius",
        ),
        ctx,
    )
    assert not result.ok and result.error == "syntax"
    assert "invalid Python" in result.output and "line 5" in result.output
    assert ctx.overlay.read(tmp_path / "shapes.py") == source


async def test_edit_of_a_file_that_was_already_broken_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def f(:\n    return 1\n")
    ctx = make_ctx(tmp_path)
    result = await EditTool().run(EditArgs(path="bad.py", old_string="def f(:", new_string="def f():"), ctx)
    assert result.ok
