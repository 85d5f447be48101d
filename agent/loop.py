"""The agent loop: a Session holds the conversation; `run_turn` calls the model and tools until done.

A turn ends when the model answers without a tool call (and no mechanism continues the turn), when the
profile's turn cap is reached, on a provider error, or when the task running it is cancelled. Edits live
in the turn's overlay and become a Proposal at the end; nothing is written to disk here.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from skiff.agent.config import ModelSpec, Profile
from skiff.agent.context import RequestContext
from skiff.agent.direct_edit import DirectEdit, wants_direct_edit
from skiff.agent.events import (
    ErrorEvent,
    ProposalReady,
    Subscriber,
    TextDelta,
    ThoughtDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
    ignore,
)
from skiff.agent.hooks import Mechanism, ModelCall, ModelReply, Retry, ToolEvent, TurnState
from skiff.agent.mechanisms import load_mechanisms
from skiff.agent.messages import Message, ToolCall
from skiff.agent.prompts import system_prompt, wire_messages
from skiff.agent.proposal import Proposal
from skiff.agent.providers.base import ChatRequest, Provider, ProviderError, Usage
from skiff.agent.reply import ReplyAssembler
from skiff.agent.tokens import cl100k
from skiff.agent.tools.base import AskPermission, ToolContext, ToolRegistry, ToolResult
from skiff.agent.tools.defaults import default_tools
from skiff.agent.verify import Verification, VerifyOptions
from skiff.agent.workspace import Overlay, Workspace

StopReason = Literal["end_turn", "max_turn_requests", "cancelled", "error", "refusal"]

log = logging.getLogger(__name__)


@dataclass
class TurnResult:
    stop_reason: StopReason
    proposal: Proposal | None
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    tokens_per_second: float = 0.0
    model_calls: int = 0
    error: str | None = None
    verification: Verification | None = None


@dataclass
class SessionOptions:
    """How a session drives its model and tools (from the model profile and user configuration)."""

    profile: Profile = field(default_factory=Profile)
    context_limit: int = 8192
    max_output_tokens: int = 1024
    model_ref: str = "scripted/test"
    bash_mode: Literal["auto", "accept-all", "manual"] = "auto"
    bash_allow: list[str] = field(default_factory=list)
    bash_timeout: float = 60.0
    run_tests: bool = True  # the user's switch; the profile's verifyTests must allow it too

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> SessionOptions:
        return cls(
            profile=spec.profile,
            context_limit=spec.context_limit,
            max_output_tokens=spec.max_output_tokens,
            model_ref=spec.ref,
            **overrides,
        )


class Session:
    """One conversation with one model over one workspace."""

    def __init__(
        self,
        provider: Provider,
        workspace: Workspace,
        options: SessionOptions | None = None,
        *,
        tools: ToolRegistry | None = None,
        ask_permission: AskPermission | None = None,
        session_id: str | None = None,
        mechanisms: list[Mechanism] | None = None,
    ) -> None:
        self.id = session_id or uuid.uuid4().hex[:12]
        self.provider = provider
        self.workspace = workspace
        self.options = options or SessionOptions()
        self.tools = tools or ToolRegistry(default_tools())
        self.ask_permission = ask_permission
        self.history: list[Message] = []
        self.state: dict[str, Any] = {}  # tool state that outlives a turn (scratchpad, always-allowed)
        profile = self.options.profile
        self.mechanisms = mechanisms if mechanisms is not None else load_mechanisms(profile)
        self.last_result: TurnResult | None = None
        self.title = ""

    @property
    def profile(self) -> Profile:
        return self.options.profile

    def set_provider(self, provider: Provider, options: SessionOptions) -> None:
        """Switch model: later turns use the new provider and profile; the history is kept."""
        self.provider = provider
        self.options = options
        self.mechanisms = load_mechanisms(options.profile)

    def system_message(self, names: list[str] | None = None, example_path: str | None = None) -> Message:
        fmt = self.profile.tool_call_format
        return Message(
            "system", system_prompt(str(self.workspace.root), self.tools, fmt, names, example_path)
        )

    async def run_turn(
        self, prompt: str, context: RequestContext | None = None, subscriber: Subscriber = ignore
    ) -> TurnResult:
        """Run one user turn to completion. Re-raises asyncio.CancelledError after recording the turn."""
        if not self.title and prompt.strip():
            self.title = prompt.strip().splitlines()[0][:80]
        overlay = Overlay(self.workspace)
        tool_ctx = ToolContext(
            workspace=self.workspace,
            overlay=overlay,
            ask_permission=self.ask_permission,
            bash_mode=self.options.bash_mode,
            bash_allow=self.options.bash_allow,
            bash_timeout=self.options.bash_timeout,
            state=self.state,
            emit=subscriber,
        )
        tokenizer = self.provider.tokenizer()
        history_start = len(self.history)
        self.history.append(Message("user", render_user_message(prompt, context), display=prompt))
        turn = TurnState(
            task=prompt,
            context=context,
            profile=self.profile,
            history=self.history,
            tools=self.tools,
            tool_ctx=tool_ctx,
            tokenizer=tokenizer,
            context_limit=self.options.context_limit,
            emit=subscriber,
            provider_name=self.provider.name,
        )
        totals = Usage()
        rates: list[float] = []
        stop: StopReason = "end_turn"
        error: str | None = None
        try:
            direct = None
            if wants_direct_edit(self.profile, prompt, context):
                direct = await self._direct_edit(prompt, turn, subscriber, rates, totals)
            while direct is None:
                if turn.model_calls >= self.profile.turn_cap:
                    stop = "max_turn_requests"
                    break
                reply = await self._model_call(turn, subscriber, rates)
                totals.prompt_tokens += reply.usage.prompt_tokens
                totals.completion_tokens += reply.usage.completion_tokens
                retry = await self._after_model_call(reply, turn)
                if retry is not None:
                    continue
                self.history.append(reply.message)
                turn.retries = 0  # the retry bound applies per bad reply; turn_cap bounds the turn
                if reply.message.tool_calls:
                    for call in reply.message.tool_calls:
                        await self._run_tool(call, turn, subscriber)
                    continue
                turn.final_text = reply.message.content
                follow_up = await self._turn_end(turn)
                if follow_up is None:
                    break
                self.history.append(Message("user", follow_up))
            if direct is not None:
                turn.final_text = direct
        except ProviderError as exc:
            self._close_dangling_calls(history_start, "Not run: the model call failed.")
            stop, error = "error", str(exc)
            subscriber(ErrorEvent(error, recoverable=True))
        except asyncio.CancelledError:
            self._close_dangling_calls(history_start, "Cancelled by the user.")
            self.last_result = TurnResult(
                "cancelled", None, turn.final_text, totals, model_calls=turn.model_calls
            )
            raise
        proposal = Proposal.from_overlay(overlay, summary=turn.final_text)
        verification = turn.notes.get("direct_edit")
        if verification is not None:
            proposal.verification = verification.to_dict()
        if not proposal.empty:
            subscriber(ProposalReady(proposal))
        rate = rates[-1] if rates else 0.0
        result = TurnResult(
            stop,
            None if proposal.empty else proposal,
            turn.final_text,
            totals,
            rate,
            turn.model_calls,
            error,
            verification,
        )
        self.last_result = result
        return result

    async def _direct_edit(
        self, prompt: str, turn: TurnState, subscriber: Subscriber, rates: list[float], totals: Usage
    ) -> str | None:
        """The one-call edit path (agent/direct_edit.py); None when the request shows no file."""

        async def call_model(messages: list[Message], max_tokens: int) -> ModelReply:
            request = ChatRequest(
                messages=messages, temperature=self.profile.temperature, max_tokens=max_tokens
            )
            reply = await self._model_call(turn, subscriber, rates, request)
            totals.prompt_tokens += reply.usage.prompt_tokens
            totals.completion_tokens += reply.usage.completion_tokens
            return reply

        profile = self.profile
        checks = VerifyOptions(
            run_tests=profile.verify_tests and self.options.run_tests, lint=profile.verify_lint
        )
        text = await DirectEdit(turn, call_model, checks).run(prompt)
        if text is not None:
            self.history.append(Message("assistant", text))
        return text

    async def _model_call(
        self,
        turn: TurnState,
        subscriber: Subscriber,
        rates: list[float],
        prepared: ChatRequest | None = None,
    ) -> ModelReply:
        """One streamed model call. The tool loop builds its request from the history and lets every
        mechanism shape it; a `prepared` request (the one-call edit path) is sent as it is, shaped only by
        the mechanisms that apply to any call (thinking budget)."""
        if prepared is None:
            path = turn.context.path if turn.context else None
            messages = [self.system_message(example_path=path), *self.history, *turn.transient]
            turn.transient = []
            request = ChatRequest(
                messages=messages,
                tools=self.tools.schemas() if self.profile.tool_call_format == "native" else [],
                temperature=self.profile.temperature,
                max_tokens=self.options.max_output_tokens,
                extra=dict(turn.notes.pop("retry_extra", {})),
            )
        else:
            request = prepared
        call = ModelCall(request)  # the thinking_budget mechanism sets max_reasoning_tokens
        for m in self.mechanisms:
            if prepared is None or m.any_call:
                await m.before_model_call(call, turn)
        if prepared is None:
            request.messages = wire_messages(request.messages, self.profile.tool_call_format)
        turn.model_calls += 1
        assembler = ReplyAssembler()
        counter = cl100k()
        reasoning_tokens = 0
        usage: Usage | None = None
        truncated = False
        first: float | None = None
        pieces = 0
        stream = self.provider.stream(request)
        try:
            async for delta in stream:
                if first is None and (delta.text or delta.reasoning or delta.tool_calls):
                    first = time.perf_counter()
                text, thought = assembler.add(delta)
                pieces += bool(delta.text or delta.reasoning or delta.tool_calls)
                if delta.usage:
                    usage = delta.usage
                if text and not call.quiet:
                    subscriber(TextDelta(text))
                if thought:
                    if not call.quiet:
                        subscriber(ThoughtDelta(thought))
                    reasoning_tokens += counter.count(thought)
                    if call.max_reasoning_tokens is not None and reasoning_tokens > call.max_reasoning_tokens:
                        truncated = True
                        break
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - first if first is not None else 0.0
        message = assembler.message(call_prefix=f"call_{turn.model_calls}")
        if usage is None:  # counted off the event loop: an in-process tokenizer is CPU work
            texts = [m.text_for_counting() for m in request.messages]
            counted = await asyncio.to_thread(lambda: sum(turn.tokenizer.count(t) for t in texts))
            usage = Usage(prompt_tokens=counted, completion_tokens=pieces)
        rate = usage.completion_tokens / elapsed if elapsed > 0 else 0.0
        rates.append(rate)
        subscriber(
            UsageUpdate(
                usage.prompt_tokens, usage.completion_tokens, rate, usage.prompt_tokens, turn.context_limit
            )
        )
        return ModelReply(message, assembler.finish_reason, usage, truncated, request, call)

    async def _after_model_call(self, reply: ModelReply, turn: TurnState) -> Retry | None:
        for m in self.mechanisms:
            retry = await m.after_model_call(reply, turn)
            if retry is None:
                continue
            if retry.counted:
                if turn.retries >= self.profile.retries:
                    turn.fire(m.name, f"retry limit reached; keeping the reply ({retry.reason})")
                    continue  # later mechanisms still see (and may repair) the kept reply
                turn.retries += 1
            turn.fire(m.name, retry.reason, correction=retry.correction)
            if retry.correction:
                turn.transient.append(Message("user", retry.correction))
            if retry.extra:
                turn.notes.setdefault("retry_extra", {}).update(retry.extra)
            return retry
        return None

    async def _run_tool(self, call: ToolCall, turn: TurnState, subscriber: Subscriber) -> None:
        tool = self.tools.get(call.name)
        subscriber(ToolCallStarted(call.id, call.name, call.arguments, tool.kind if tool else "other"))

        async def innermost(c: ToolCall) -> ToolResult:
            return await self.tools.execute(c, turn.tool_ctx)

        proceed = innermost
        for m in reversed(self.mechanisms):
            proceed = _wrap(m, turn, proceed)
        try:
            result = await proceed(call)
        except Exception as exc:  # a mechanism's wrapper failed: the call still gets a result the model reads
            log.warning("tool call %s failed in a mechanism: %r", call.name, exc)
            result = ToolResult.fail("failed", f"{call.name} could not run: {type(exc).__name__}: {exc}")
        turn.tool_events.append(ToolEvent(call, result))
        subscriber(
            ToolCallFinished(call.id, call.name, "completed" if result.ok else "failed", result.output)
        )
        content = result.output if result.ok else f"Error ({result.error}): {result.output}"
        self.history.append(Message("tool", content, tool_call_id=call.id, name=call.name))

    async def _turn_end(self, turn: TurnState) -> str | None:
        for m in self.mechanisms:
            follow_up = await m.turn_end(turn)
            if follow_up is not None:
                return follow_up
        return None

    def _close_dangling_calls(self, history_start: int, why: str) -> None:
        """After a cancellation or a failed model call, answer tool calls that never got a result so the
        history stays valid (strict servers reject a tool call without one on the next turn)."""
        answered = {m.tool_call_id for m in self.history[history_start:] if m.role == "tool"}
        for m in list(self.history[history_start:]):
            for c in m.tool_calls:
                if c.id not in answered:
                    self.history.append(Message("tool", why, tool_call_id=c.id, name=c.name))


def _wrap(mechanism: Mechanism, turn: TurnState, inner: Any) -> Any:
    async def call(c: ToolCall) -> ToolResult:
        return await mechanism.around_tool_call(c, turn, inner)

    return call


def render_user_message(prompt: str, context: RequestContext | None) -> str:
    """The task text with the minimal editor context; the context_first mechanism enriches it."""
    if context is None:
        return prompt
    parts = [prompt]
    if context.path:
        parts.append(f"File: {context.path}")
    if context.selection and context.selection.text:
        sel = context.selection
        parts.append(f"Selected lines {sel.start_line + 1}-{sel.end_line + 1}:\n```\n{sel.text}\n```")
    if context.diagnostics:
        parts.append("Diagnostics:\n" + "\n".join(d.render() for d in context.diagnostics))
    return "\n\n".join(parts)
