"""Forgiving tool-call parsing for small models: finds calls printed as text and repairs their arguments.

Small local models often print a tool call in their reply text instead of emitting a native call, and
often get argument names or types slightly wrong. This package turns such text back into calls that can
be executed, without ever turning ordinary prose or code into a call:

* `parse_tool_calls(text, tools)` finds calls in fenced blocks, Hermes/Qwen `<tool_call>` tags, Qwen3-Coder
  `<function=...>` XML, Llama `<|python_tag|>` and pythonic lists, Mistral `[TOOL_CALLS]`, DeepSeek's
  `<|tool_call_begin|>` tokens, functionary's `>>>name` lines, ReAct `Action:` lines, bare JSON in prose and
  Python-style calls, skipping the model's reasoning. A call is kept only when its name resolves to a known
  tool and it carries arguments that fit that tool.
* `repair_arguments(name, arguments, tools)` maps argument names onto the schema (aliases, case), coerces
  types, drops unknown keys the schema does not allow and reports what is still missing. It also serves
  native calls.
* `suggest_tool_name`, `loads_forgiving`, `toolcall_json_schema` and `parse_constrained_reply` are the
  smaller helpers around them.

Its parts, one module each: `calls` (results and the tool index), `names` (tool-name resolution),
`lenient_json` (the forgiving JSON / Python-literal parser), `repair` (schema-aware argument repair),
`scan` (one parse's state and judge), `formats` (the format scanners and `parse_tool_calls`) and
`constrained` (grammar-constrained replies). Only the standard library is used.
"""

from __future__ import annotations

from skiff.agent.parsing.toolcalls.calls import ParsedToolCall, RepairResult
from skiff.agent.parsing.toolcalls.constrained import parse_constrained_reply, toolcall_json_schema
from skiff.agent.parsing.toolcalls.formats import parse_tool_calls, strip_tool_calls
from skiff.agent.parsing.toolcalls.lenient_json import loads_forgiving
from skiff.agent.parsing.toolcalls.names import suggest_tool_name
from skiff.agent.parsing.toolcalls.repair import repair_arguments

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
