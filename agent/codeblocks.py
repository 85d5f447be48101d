"""Transition shim: code blocks moved to `skiff.agent.parsing` (fences, codeblocks, definitions, edit_plan).

`agent/outline.py`, `agent/edit_context.py` and `bench/record_replies.py` still import this path.
"""

from __future__ import annotations

from skiff.agent.parsing.codeblocks import FileDiff, Hunk, SearchReplace, search_replace_blocks, unified_diffs
from skiff.agent.parsing.definitions import Definition, definitions, python_definitions, regex_definitions
from skiff.agent.parsing.edit_plan import (
    MAX_WHOLE_FILE_LINES,
    EditPlan,
    definitions_edit,
    has_placeholder,
    plan_edit,
)
from skiff.agent.parsing.fences import Fence, fenced_blocks

__all__ = [
    "MAX_WHOLE_FILE_LINES",
    "Definition",
    "EditPlan",
    "Fence",
    "FileDiff",
    "Hunk",
    "SearchReplace",
    "definitions",
    "definitions_edit",
    "fenced_blocks",
    "has_placeholder",
    "plan_edit",
    "python_definitions",
    "regex_definitions",
    "search_replace_blocks",
    "unified_diffs",
]
