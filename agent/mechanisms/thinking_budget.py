"""Thinking budget: cap a call's reasoning tokens; past the cap, re-ask once with thinking switched off.

The loop counts reasoning (`reasoning_content` deltas and `<think>` spans) and stops the stream when it
exceeds `ModelCall.max_reasoning_tokens`, which this mechanism sets from `Profile.thinking_budget`
(0 means no budget). A truncated reply is dropped; the retried call carries the tail of the cut reasoning
as a note and `chat_template_kwargs.enable_thinking=false` (honoured by llama.cpp's server with `--jinja`
and Qwen3-style templates; other backends ignore it). The override applies to that one call only.
"""

from __future__ import annotations

from typing import Any

from skiff.agent.hooks import Mechanism, ModelCall, ModelReply, Retry, TurnState
from skiff.agent.tokens import cl100k

TAIL_TOKENS = 200  # how much of the cut reasoning the retried call sees
NO_THINKING: dict[str, Any] = {"chat_template_kwargs": {"enable_thinking": False}}


def reasoning_tail(reasoning: str, tokens: int = TAIL_TOKENS) -> str:
    """The last `tokens` (cl100k) tokens of `reasoning`, cut at a word boundary, stripped."""
    text = reasoning.strip()
    counter = cl100k()
    if counter.count(text) <= tokens:
        return text
    tail = text[-tokens * 4 :]
    while len(tail) > 1 and counter.count(tail) > tokens:
        tail = tail[len(tail) // 10 or 1 :]
    space = tail.find(" ")
    if 0 <= space < len(tail) // 4:
        tail = tail[space + 1 :]
    return "..." + tail.strip()


class ThinkingBudget(Mechanism):
    """Stops runaway reasoning and asks again without thinking, keeping the reasoning's tail as a note."""

    name = "thinking_budget"
    order = 50  # cap reasoning tokens, re-ask without thinking
    any_call = True

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        budget = self.profile.thinking_budget
        call.max_reasoning_tokens = budget or None

    async def after_model_call(self, reply: ModelReply, turn: TurnState) -> Retry | None:
        if not reply.reasoning_truncated:
            return None
        budget = self.profile.thinking_budget
        tail = reasoning_tail(reply.message.reasoning)
        note = (
            f"You thought for more than {budget} tokens without answering, so your reasoning was cut. "
            f"It ended with:\n<<<\n{tail}\n>>>\n"
            "Do not think any more: answer now with a tool call or your final answer."
        )
        return Retry(
            correction=note, reason=f"reasoning passed the {budget}-token budget", extra=dict(NO_THINKING)
        )
