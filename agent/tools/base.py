"""Tool interface, execution context, and the registry that validates arguments and renders recipes.

Each tool declares a pydantic `Args` model and an `example` argument object. The JSON schema sent to the
model, the system prompt's tool list, skill-card examples and the error recipes returned on bad arguments
are all generated from those two, so they cannot drift apart.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from skiff.agent.events import Subscriber, ignore
from skiff.agent.messages import ToolCall
from skiff.agent.workspace import InvalidPath, Overlay, PathOutsideWorkspace, Workspace

log = logging.getLogger(__name__)


class ToolArgs(BaseModel):
    """Base of every tool's argument model."""

    model_config = ConfigDict(extra="forbid")


A = TypeVar("A", bound=ToolArgs)


@dataclass
class ToolResult:
    """What a tool returns to the model. `error` names the failure class when ok is False
    (invalid_args, not_found, no_match, ambiguous, exists, denied, outside_workspace, invalid_path, timeout,
    failed)."""

    output: str
    ok: bool = True
    error: str | None = None

    @classmethod
    def fail(cls, error: str, output: str) -> ToolResult:
        return cls(output=output, ok=False, error=error)


PermissionAnswer = Literal["allow_once", "allow_always", "reject"]


@dataclass
class PermissionRequest:
    tool: str
    command: str
    reason: str


AskPermission = Callable[[PermissionRequest], Awaitable[PermissionAnswer]]


@dataclass
class ToolContext:
    """What a tool may touch: the workspace (read), the turn overlay (write), policy and session state."""

    workspace: Workspace
    overlay: Overlay
    ask_permission: AskPermission | None = None
    bash_mode: Literal["auto", "accept-all", "manual"] = "auto"
    bash_allow: list[str] = field(default_factory=list)
    bash_timeout: float = 60.0
    state: dict[str, Any] = field(default_factory=dict)  # per-session tool state (scratchpad, always-allowed)
    emit: Subscriber = ignore  # tools may emit events (the scratchpad emits PlanUpdate)


class Tool(ABC, Generic[A]):
    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[ToolArgs]]
    example: ClassVar[dict[str, Any]]
    kind: ClassVar[str] = "other"  # ACP tool kind: read | edit | search | execute | think | other
    category: ClassVar[str] = "read"  # routing category: read | search | edit | run | plan

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        """The JSON schema of the arguments, trimmed of pydantic's titles to save prompt tokens.

        Generated once per argument model (pydantic's schema generation is slow enough to show in every
        model call otherwise); callers get their own copy.
        """
        return copy.deepcopy(_schema_of(cls.Args))

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """OpenAI-style tool definition."""
        return {
            "type": "function",
            "function": {"name": cls.name, "description": cls.description, "parameters": cls.parameters()},
        }

    @classmethod
    def example_call(cls, path: str | None = None) -> str:
        """A canonical call of this tool, as JSON, generated from the example arguments.

        With `path` (the file the request is about), the example names that file instead of a made-up
        one: small models copy examples literally, and a copied real path is a useful call.
        """
        example = dict(cls.example)
        if path is not None and "path" in example:
            example["path"] = path
        cls.Args.model_validate(example)
        return json.dumps({"name": cls.name, "arguments": example})

    @classmethod
    def recipe(cls) -> str:
        """How to call this tool correctly: required and optional parameter names plus an example."""
        params = cls.parameters()
        required = params.get("required", [])
        optional = [p for p in params.get("properties", {}) if p not in required]
        parts = [f"`{cls.name}` takes required {', '.join(required) or '(none)'}"]
        if optional:
            parts.append(f"optional {', '.join(optional)}")
        return "; ".join(parts) + f". Example: {cls.example_call()}"

    @abstractmethod
    async def run(self, args: A, ctx: ToolContext) -> ToolResult: ...


@functools.cache
def _schema_of(args: type[ToolArgs]) -> dict[str, Any]:
    schema: dict[str, Any] = _strip_titles(args.model_json_schema())
    return schema


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


class ToolRegistry:
    """The tools offered in a session, by name."""

    def __init__(self, tools: list[Tool[Any]]) -> None:
        self.tools: dict[str, Tool[Any]] = {t.name: t for t in tools}

    def __contains__(self, name: str) -> bool:
        return name in self.tools

    def get(self, name: str) -> Tool[Any] | None:
        return self.tools.get(name)

    def names(self) -> list[str]:
        return list(self.tools)

    def schemas(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        return [t.schema() for n, t in self.tools.items() if names is None or n in names]

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        tool = self.tools.get(call.name)
        if tool is None:
            return ToolResult.fail(
                "unknown_tool", f"Unknown tool '{call.name}'. Available tools: {', '.join(self.tools)}."
            )
        if call.raw_arguments is not None:
            return ToolResult.fail(
                "invalid_args", f"The arguments of {call.name} are not valid JSON. {tool.recipe()}"
            )
        try:
            args = tool.Args.model_validate(call.arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            return ToolResult.fail(
                "invalid_args", f"Invalid arguments for {call.name}: {problems}. {tool.recipe()}"
            )
        try:
            return await tool.run(args, ctx)
        except InvalidPath as exc:
            return ToolResult.fail("invalid_path", f"Refused: {exc}.")
        except PathOutsideWorkspace as exc:
            return ToolResult.fail("outside_workspace", f"Refused: {exc}. Use paths inside the workspace.")
        except Exception as exc:  # a tool's failure is the model's to read, never the turn's end
            log.warning("tool %s failed: %s: %s", call.name, type(exc).__name__, exc)
            return ToolResult.fail("failed", f"{call.name} failed: {type(exc).__name__}: {_short(str(exc))}")


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
