"""The system prompt and the wire form of the history, generated from the live tool schemas.

Prompt tokens are the main latency lever for small models on CPUs (about 30 s per 1,000 tokens on
2 cores), so the prompt is short and the tool list is rendered compactly when tools are not native.
"""

from __future__ import annotations

import json
from typing import Any

from skiff.agent.messages import Message
from skiff.agent.tools.base import ToolRegistry

BASE_PROMPT = """You are Skiff, a coding agent inside the user's editor. Workspace root: {root}
Work in small verified steps. Read code before changing it. Change files only with `edit` (exact \
search/replace; copy old_string from the file) or create new ones with `write`. Never rewrite a whole \
existing file. Your edits are shown to the user as a diff to accept or reject. When done, reply with a \
one-line summary and no tool call."""

TEXT_TOOLS_PROMPT = """
Tools (call exactly one per reply, as a JSON object in a ```json block, then stop):
{tools}
Example: ```json
{example}
```"""


def compact_signature(schema: dict[str, Any]) -> str:
    """`name(req: type, opt?: type) - description` for one OpenAI tool definition."""
    fn = schema["function"]
    params = fn.get("parameters", {})
    required = set(params.get("required", []))
    args = []
    for pname, prop in params.get("properties", {}).items():
        ptype = prop.get("type") or "|".join(p.get("type", "any") for p in prop.get("anyOf", [])) or "any"
        args.append(f"{pname}{'' if pname in required else '?'}: {ptype}")
    return f"- {fn['name']}({', '.join(args)}): {fn.get('description', '')}"


def system_prompt(
    root: str,
    tools: ToolRegistry,
    tool_call_format: str,
    names: list[str] | None = None,
    example_path: str | None = None,
) -> str:
    """The system prompt; tools are described in it unless the backend receives them natively.
    The example call names `example_path` (the request's file) when given."""
    prompt = BASE_PROMPT.format(root=root)
    if tool_call_format != "native":
        schemas = tools.schemas(names)
        if schemas:
            first = tools.get(schemas[0]["function"]["name"])
            example = first.example_call(example_path) if first else "{}"
            listing = "\n".join(compact_signature(s) for s in schemas)
            prompt += TEXT_TOOLS_PROMPT.format(tools=listing, example=example)
    return prompt


def wire_messages(messages: list[Message], tool_call_format: str) -> list[Message]:
    """Messages as the backend should see them. Native format keeps tool roles; text formats render
    each tool call as the JSON the model is asked to print and each result as a user message."""
    if tool_call_format == "native":
        return messages
    out: list[Message] = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            calls = "\n".join(
                "```json\n" + json.dumps({"name": c.name, "arguments": c.arguments}) + "\n```"
                for c in m.tool_calls
            )
            text = f"{m.content.strip()}\n{calls}".strip()
            out.append(Message("assistant", text))
        elif m.role == "tool":
            out.append(Message("user", f"Result of {m.name}:\n{m.content}"))
        else:
            out.append(m)
    return out
