"""Grammar-constrained replies: the JSON schema a constrained model answers in, and reading its reply."""

from __future__ import annotations

import json
from typing import Any

from skiff.agent.parsing.toolcalls.calls import ParsedToolCall, _tool_index
from skiff.agent.parsing.toolcalls.formats import parse_tool_calls, strip_tool_calls
from skiff.agent.parsing.toolcalls.lenient_json import loads_forgiving
from skiff.agent.parsing.toolcalls.repair import _Repairer
from skiff.agent.parsing.toolcalls.scan import _ABSENT, _NAME_KEYS, _interpret, _Scan


def _inline_refs(schema: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """A copy of schema with local $refs replaced by their targets and $defs/titles removed."""
    if depth > 32:
        return {}
    if isinstance(schema, list):
        return [_inline_refs(x, root, depth + 1) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("$ref"), str):
        target = _Repairer(root).deref(schema)
        return _inline_refs(target, root, depth + 1)
    skip = ("$defs", "definitions", "title")
    return {k: _inline_refs(v, root, depth + 1) for k, v in schema.items() if k not in skip}


def toolcall_json_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON schema for a grammar-constrained backend (llama.cpp `json_schema`/`response_format`): the reply
    is either one tool call `{"name": <tool>, "arguments": {...}}`, with the arguments constrained by that
    tool's schema (an anyOf branch per tool, fixing the name with const), or a final answer
    `{"final": "<text>"}`. $refs are inlined so each branch stands alone."""
    branches: list[dict[str, Any]] = []
    for tool in _tool_index(tools).values():
        args = _inline_refs(tool.schema, tool.schema)
        if not isinstance(args, dict) or not args:
            args = {"type": "object"}
        args.setdefault("type", "object")
        branches.append(
            {
                "type": "object",
                "properties": {"name": {"type": "string", "const": tool.name}, "arguments": args},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    branches.append(
        {
            "type": "object",
            "properties": {"final": {"type": "string"}},
            "required": ["final"],
            "additionalProperties": False,
        }
    )
    return {"anyOf": branches}


def parse_constrained_reply(text: str, tools: list[dict[str, Any]]) -> tuple[list[ParsedToolCall], str]:
    """Read a reply written under `toolcall_json_schema`: (calls, "") for a call, ([], text) for an answer.

    A reply that is not the constrained JSON (a backend that ignored the grammar) falls back to
    `parse_tool_calls`; then the final text is what remains around the calls, or the whole reply.
    """
    index = _tool_index(tools)
    try:
        value = loads_forgiving(text.strip())
    except ValueError:
        value = _ABSENT
    if isinstance(value, dict) and "final" in value and not any(k in value for k in _NAME_KEYS):
        final = value["final"]
        return [], final if isinstance(final, str) else json.dumps(final, ensure_ascii=False)
    if value is not _ABSENT:
        scan = _Scan(text, index)
        calls = [c for r in _interpret(value) if (c := scan.accept(r, (0, len(text)), "constrained", True))]
        if calls:
            return calls, ""
    calls = parse_tool_calls(text, tools)
    if calls:
        return calls, strip_tool_calls(text, calls)
    return [], text
