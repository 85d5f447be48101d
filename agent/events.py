"""Streaming events a turn emits to its subscriber (the CLI renders them, the server forwards them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from skiff.agent.proposal import Proposal


@dataclass
class TextDelta:
    text: str
    type: Literal["text"] = "text"


@dataclass
class ThoughtDelta:
    text: str
    type: Literal["thought"] = "thought"


@dataclass
class ToolCallStarted:
    call_id: str
    name: str
    arguments: dict[str, Any]
    kind: str = "other"  # read | edit | search | execute | think | other (ACP tool kinds)
    type: Literal["tool_call"] = "tool_call"


@dataclass
class ToolCallFinished:
    call_id: str
    name: str
    status: Literal["completed", "failed"]
    output: str
    type: Literal["tool_result"] = "tool_result"


@dataclass
class PlanUpdate:
    entries: list[dict[str, str]]  # {"content", "status": pending|in_progress|completed}
    type: Literal["plan"] = "plan"


@dataclass
class ProposalReady:
    proposal: Proposal
    type: Literal["proposal"] = "proposal"


@dataclass
class UsageUpdate:
    prompt_tokens: int
    completion_tokens: int
    tokens_per_second: float
    context_used: int
    context_limit: int
    type: Literal["usage"] = "usage"


@dataclass
class ErrorEvent:
    message: str
    recoverable: bool = True
    type: Literal["error"] = "error"


@dataclass
class MechanismFired:
    """A small-model mechanism acted (tool-call recovery, quality monitor, budgets...)."""

    mechanism: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    type: Literal["mechanism"] = "mechanism"


Event = (
    TextDelta
    | ThoughtDelta
    | ToolCallStarted
    | ToolCallFinished
    | PlanUpdate
    | ProposalReady
    | UsageUpdate
    | ErrorEvent
    | MechanismFired
)
Subscriber = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """A subscriber that drops every event."""
