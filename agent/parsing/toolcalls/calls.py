"""Tool-call parsing results (`ParsedToolCall`, `RepairResult`) and the tool index the parser reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------


@dataclass
class ParsedToolCall:
    """A tool call recovered from reply text, with repaired arguments.

    `name` is the real tool name (after name repair), `raw_name` what the model wrote. `missing` lists the
    required arguments still absent after repair (dotted paths for nested ones), `repairs` says in words what
    was changed, `dropped` holds unknown arguments removed because the schema does not allow them, `errors`
    the values that could not be made to fit. `span` is the (start, end) of the call's text in the reply and
    `source_format` how it was written: fenced, hermes, qwen_xml, function_tag, xml_invoke, python_tag,
    mistral, deepseek, functionary, react, bare_json, python_call or constrained.
    """

    name: str
    arguments: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)
    source_format: str = ""
    raw_name: str = ""
    dropped: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the arguments should pass the tool's own validation."""
        return not self.missing and not self.errors


@dataclass
class RepairResult:
    """The outcome of `repair_arguments`. `name` is the resolved tool name, None when no tool matches."""

    name: str | None
    arguments: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    dropped: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    recognized: int = field(default=0, repr=False)  # top-level keys that matched a parameter by name
    unrecognized: int = field(default=0, repr=False)  # top-level keys that matched none
    rescued: int = field(default=0, repr=False)  # top-level keys mapped only because they were the one left

    @property
    def ok(self) -> bool:
        return self.name is not None and not self.missing and not self.errors


# --------------------------------------------------------------------------------------------------------
# Tool definitions
# --------------------------------------------------------------------------------------------------------

_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass
class _Tool:
    name: str
    schema: dict[str, Any]


def _tool_index(tools: Iterable[dict[str, Any]]) -> dict[str, _Tool]:
    """Tool name -> definition, from OpenAI-style (`{"type": "function", "function": {...}}`) or flat."""
    out: dict[str, _Tool] = {}
    for t in tools:
        if not isinstance(t, dict):
            continue
        fn = t["function"] if isinstance(t.get("function"), dict) else t
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            continue
        params = fn.get("parameters") or fn.get("input_schema") or _EMPTY_SCHEMA
        out[name] = _Tool(name, params if isinstance(params, dict) else _EMPTY_SCHEMA)
    return out


def _required(schema: dict[str, Any]) -> list[str]:
    req = schema.get("required", [])
    return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {})
    return props if isinstance(props, dict) else {}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())
