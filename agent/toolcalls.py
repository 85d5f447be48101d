"""Transition shim: tool-call parsing moved to `skiff.agent.parsing.toolcalls`; the old import path stays.

`bench/` scripts still import `skiff.agent.toolcalls`; new code imports the package directly.
"""

from __future__ import annotations

from skiff.agent.parsing.toolcalls import (
    ParsedToolCall,
    RepairResult,
    loads_forgiving,
    parse_constrained_reply,
    parse_tool_calls,
    repair_arguments,
    strip_tool_calls,
    suggest_tool_name,
    toolcall_json_schema,
)

__all__ = [
    "ParsedToolCall",
    "RepairResult",
    "loads_forgiving",
    "parse_constrained_reply",
    "parse_tool_calls",
    "repair_arguments",
    "strip_tool_calls",
    "suggest_tool_name",
    "toolcall_json_schema",
]
