"""The hook interface every small-model mechanism implements: four points in a turn, all optional.

- before_model_call: shape the request (inject skills, trim context, route tools, set budgets).
- after_model_call: inspect the reply; repair it in place (recover text tool calls) or return a Retry that
  drops the reply and asks again with a correction (bounded by the profile's retries; an uncounted Retry,
  such as a tool-routing step, uses none of them).
- around_tool_call: wrap a tool execution (middleware; call `proceed` to run the tool).
- turn_end: when the model gives a final answer; return a message to continue the turn, else None.

Mechanisms are switched on per model profile (`Profile.mechanisms`) and record what they did with
`turn.fire(...)`, which becomes a MechanismFired event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from skiff.agent.events import MechanismFired, Subscriber
from skiff.agent.messages import Message, ToolCall
from skiff.agent.providers.base import ChatRequest, Tokenizer, Usage
from skiff.agent.tools.base import ToolContext, ToolRegistry, ToolResult

if TYPE_CHECKING:
    from skiff.agent.config import Profile
    from skiff.agent.context import RequestContext


@dataclass
class ModelCall:
    """A model call about to be made. Mechanisms may edit `request` (messages, tools, extra)."""

    request: ChatRequest
    max_reasoning_tokens: int | None = None  # the loop stops the stream when reasoning exceeds it
    quiet: bool = False  # an internal step (tool routing): its text and thoughts are not streamed to the user
    # Set by tool routing, read by the mechanisms after it (skills, scratchpad, toolcall_recovery):
    routing: bool = False  # a routing step: it asks for a category; no notes, no tool grammar
    offered_tools: list[str] | None = None  # the tools this call offers when routing narrowed them ([] on a
    # routing step); None: every tool
    pinned_last: Message | None = None  # a message that stays last in the request (the routing menu)

    def add_note(self, note: Message) -> None:
        """Add a per-call note to the request, before `pinned_last` when that is in the request."""
        messages = self.request.messages
        for i, m in enumerate(messages):
            if m is self.pinned_last:
                messages.insert(i, note)
                return
        messages.append(note)


@dataclass
class ModelReply:
    """The assembled reply of one model call. `message` is the assistant message; mechanisms may edit it."""

    message: Message
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    reasoning_truncated: bool = False
    request: ChatRequest | None = None
    call: ModelCall | None = None  # the call this reply answers (what it offered, whether it was routing)


@dataclass
class Retry:
    """Drop the reply and ask again; `correction` is shown to the model for the next call only."""

    correction: str  # empty: nothing is added to the next call
    reason: str
    extra: dict[str, Any] = field(default_factory=dict)  # request.extra overrides for the retried call
    counted: bool = True  # False: an internal step (tool routing), not a correction: no retry budget used


@dataclass
class ToolEvent:
    call: ToolCall
    result: ToolResult


@dataclass
class TurnState:
    """Everything a mechanism may look at or change during one turn."""

    task: str
    context: RequestContext | None
    profile: Profile
    history: list[Message]
    tools: ToolRegistry
    tool_ctx: ToolContext
    tokenizer: Tokenizer
    context_limit: int
    emit: Subscriber
    provider_name: str = ""  # Provider.name: "llama-cpp" (in-process), "openai" (HTTP), "scripted"
    model_calls: int = 0
    retries: int = 0
    tool_events: list[ToolEvent] = field(default_factory=list)
    transient: list[Message] = field(default_factory=list)  # shown on the next call only
    notes: dict[str, Any] = field(default_factory=dict)  # mechanism scratch space, keyed by mechanism name
    final_text: str = ""

    def fire(self, mechanism: str, detail: str, **data: Any) -> None:
        self.emit(MechanismFired(mechanism, detail, data))

    @property
    def last_error(self) -> ToolEvent | None:
        for ev in reversed(self.tool_events):
            if not ev.result.ok:
                return ev
        return None


Proceed = Callable[[ToolCall], Awaitable[ToolResult]]


class Mechanism:
    """Base class: every hook is a no-op. Subclasses set `name` and override what they need."""

    name: ClassVar[str] = "mechanism"  # the name of its module in agent/mechanisms/
    order: ClassVar[int] = 0  # hooks run in ascending order (registry: skiff.agent.mechanisms); unique
    default_on: ClassVar[bool] = True  # on in a profile that names no mechanisms
    any_call: ClassVar[bool] = False  # also shapes the one-call edit path's requests (before_model_call)

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        return None

    async def after_model_call(self, reply: ModelReply, turn: TurnState) -> Retry | None:
        return None

    async def around_tool_call(self, call: ToolCall, turn: TurnState, proceed: Proceed) -> ToolResult:
        return await proceed(call)

    async def turn_end(self, turn: TurnState) -> str | None:
        return None
