"""The stock tool sets: the six coding tools, and those plus the scratchpad."""

from __future__ import annotations

from typing import Any

from skiff.agent.tools.base import Tool
from skiff.agent.tools.bash import BashTool
from skiff.agent.tools.edit import EditTool
from skiff.agent.tools.glob import GlobTool
from skiff.agent.tools.grep import GrepTool
from skiff.agent.tools.read import ReadTool
from skiff.agent.tools.scratchpad import ScratchpadTool
from skiff.agent.tools.write import WriteTool


def coding_tools() -> list[Tool[Any]]:
    """read, write, edit, glob, grep, bash: in that order."""
    return [ReadTool(), WriteTool(), EditTool(), GlobTool(), GrepTool(), BashTool()]


def default_tools() -> list[Tool[Any]]:
    """The coding tools plus the scratchpad."""
    return [*coding_tools(), ScratchpadTool()]
