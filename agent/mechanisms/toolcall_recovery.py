"""Tool-call recovery: tool calls printed as text become real calls, and every call's arguments are repaired.

- A reply without native tool calls is searched for calls written as text (a ```json block, Hermes
  `<tool_call>` tags, Qwen XML, ReAct lines, ...; see `skiff.agent.parsing.toolcalls.parse_tool_calls`).
  Found calls are moved into `message.tool_calls`, so the loop executes them, and their text is cut from
  the content.
- Native calls get schema-aware repair: argument aliases and case, type coercion, a confidently resolved
  tool name (`read_file` -> `read`); unparsable argument text (`ToolCall.raw_arguments`) is parsed
  forgivingly. An unknown name with no confident match is left for the quality monitor.
- A call missing required arguments is not run: its result names exactly what is missing, with the
  tool's recipe.
- With `tool_call_format: "grammar"` the reply is constrained to `{"name", "arguments"}` or `{"final"}`:
  llama.cpp in-process gets `request.extra["json_schema"]` (compiled to a grammar), an OpenAI-compatible
  llama.cpp server gets `response_format: {"type": "json_object", "schema": ...}`.

Every recovery fires "toolcall_recovery" with the source format and the repairs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from skiff.agent.hooks import Mechanism, ModelCall, ModelReply, Proceed, Retry, TurnState
from skiff.agent.messages import Message, ToolCall
from skiff.agent.parsing.toolcalls import (
    ParsedToolCall,
    loads_forgiving,
    parse_constrained_reply,
    parse_tool_calls,
    repair_arguments,
    strip_tool_calls,
    toolcall_json_schema,
)
from skiff.agent.tools.base import ToolResult

IN_PROCESS_PROVIDERS = ("llama-cpp",)
GRAMMAR_HINT = (
    '\nReply with exactly one JSON object: a tool call {"name": ..., "arguments": {...}}, or, when the task '
    'is done, {"final": "<one-line summary>"}.'
)


def grammar_extra(provider_name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The request.extra entry that constrains output to `schema` on this provider."""
    if provider_name in IN_PROCESS_PROVIDERS:
        return {"json_schema": schema}
    return {"response_format": {"type": "json_object", "schema": schema}}


def missing_required(call: ToolCall, turn: TurnState) -> list[str]:
    tool = turn.tools.get(call.name)
    if tool is None or call.raw_arguments is not None:
        return []
    required = tool.parameters().get("required", [])
    return [r for r in required if r not in call.arguments]


def parse_raw_arguments(raw: str) -> dict[str, Any] | None:
    """Native argument text that is not valid JSON, parsed forgivingly (double-encoded JSON too)."""
    try:
        value = loads_forgiving(raw)
        if isinstance(value, str):
            value = loads_forgiving(value)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def recoverable_tools(turn: TurnState, call: ModelCall | None) -> list[str] | None:
    """The tools whose printed calls are executed (None: all).

    After tool routing chose a category, the category's tools plus the read-only ones (reading before an
    edit is fine); after it chose `done`, none: Qwen2.5-Coder-1.5B, measured, routes to "done" or "read"
    after its edit and then prints another `write` anyway, which is drift, not a decision.
    """
    offered = call.offered_tools if call is not None else None
    if offered is None or not offered:
        return offered
    read_only = [
        n for n in turn.tools.names() if getattr(turn.tools.get(n), "category", "") in ("read", "search")
    ]
    return list(dict.fromkeys([*offered, *read_only]))


class ToolCallRecovery(Mechanism):
    """Turns printed tool calls into executed ones and repairs argument names, types and tool names."""

    name = "toolcall_recovery"
    order = 60  # tool calls printed as text become real calls; argument repair

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        if self.profile.tool_call_format != "grammar" or call.routing:
            return  # a tool-routing step answers with one word: no JSON grammar for it
        schemas = turn.tools.schemas(call.offered_tools)
        if not schemas:
            return
        call.request.extra.update(grammar_extra(turn.provider_name, toolcall_json_schema(schemas)))
        messages = call.request.messages
        if messages and messages[0].role == "system" and GRAMMAR_HINT not in messages[0].content:
            messages[0] = dataclasses.replace(messages[0], content=messages[0].content + GRAMMAR_HINT)

    async def after_model_call(self, reply: ModelReply, turn: TurnState) -> Retry | None:
        message = reply.message
        if message.tool_calls:
            self._repair_native(message, turn, turn.tools.schemas())
            return None
        schemas = turn.tools.schemas(recoverable_tools(turn, reply.call))
        if not schemas:
            return None
        elif self.profile.tool_call_format == "grammar" and message.content.strip():
            calls, final = parse_constrained_reply(message.content, schemas)
            message.content = final
            self._adopt(message, calls, turn)
        elif message.content.strip():
            calls = parse_tool_calls(message.content, schemas)
            if calls:
                message.content = strip_tool_calls(message.content, calls)
                self._adopt(message, calls, turn)
        return None

    def _adopt(self, message: Message, calls: list[ParsedToolCall], turn: TurnState) -> None:
        if not calls:
            return
        message.tool_calls = [
            ToolCall(f"recovered_{turn.model_calls}_{n}", c.name, c.arguments) for n, c in enumerate(calls)
        ]
        formats = sorted({c.source_format for c in calls})
        repairs = [r for c in calls for r in c.repairs]
        names = ", ".join(c.name for c in calls)
        turn.fire(
            self.name,
            f"executed {len(calls)} tool call(s) printed as text ({', '.join(formats)}): {names}",
            source_format=formats[0] if len(formats) == 1 else formats,
            repairs=repairs,
            calls=[c.name for c in calls],
            missing=[m for c in calls for m in c.missing],
        )

    def _repair_native(self, message: Message, turn: TurnState, schemas: list[dict[str, Any]]) -> None:
        for call in message.tool_calls:
            repairs: list[str] = []
            arguments = call.arguments
            if call.raw_arguments is not None:
                parsed = parse_raw_arguments(call.raw_arguments)
                if parsed is None:
                    continue  # unrecoverable: the quality monitor asks again
                arguments = parsed
                call.raw_arguments = None
                repairs.append("parsed malformed JSON arguments")
            result = repair_arguments(call.name, arguments, schemas)
            if result.name is None:
                call.arguments = arguments  # unknown tool, no confident match: the quality monitor handles it
            else:
                call.name = result.name
                call.arguments = result.arguments
                repairs.extend(result.repairs)
            if repairs:
                turn.fire(
                    self.name,
                    f"repaired the native call {call.name}: {'; '.join(repairs)}",
                    source_format="native",
                    repairs=repairs,
                    calls=[call.name],
                    missing=result.missing,
                )

    async def around_tool_call(self, call: ToolCall, turn: TurnState, proceed: Proceed) -> ToolResult:
        missing = missing_required(call, turn)
        tool = turn.tools.get(call.name)
        if not missing or tool is None:
            return await proceed(call)
        plural = "s" if len(missing) > 1 else ""
        turn.fire(
            self.name,
            f"{call.name} is missing required argument{plural} {', '.join(missing)}",
            missing=missing,
        )
        given = ", ".join(call.arguments) or "none"
        return ToolResult.fail(
            "invalid_args",
            f"{call.name} was not run: missing required argument{plural} {', '.join(missing)} "
            f"(you gave: {given}). {tool.recipe()}",
        )
