"""Thinking budget: runaway reasoning is cut, its tail kept as a note, the call retried without thinking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skiff.agent.config import Profile
from skiff.agent.events import Event, MechanismFired, ThoughtDelta
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.mechanisms.thinking_budget import TAIL_TOKENS, reasoning_tail
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tokens import cl100k
from skiff.agent.workspace import Workspace

STATS = "def mean(xs):\n    return sum(xs) / len(xs)\n"

# A Qwen3-style reasoning spiral: it keeps second-guessing and never answers.
SPIRAL = (
    " ".join(
        f"Step {i}: wait, maybe the empty list case should raise instead of returning 0.0, let me reconsider."
        for i in range(1, 120)
    )
    + " FINAL-THOUGHT: return 0.0 when xs is empty."
)


def make(
    root: Path, replies: list[Any], mechanisms: list[str], budget: int = 300
) -> tuple[Session, ScriptedProvider]:
    (root / "stats.py").write_text(STATS)
    provider = ScriptedProvider(replies, chunk=16)
    profile = Profile(mechanisms=mechanisms, thinking_budget=budget, retries=2)
    return Session(provider, Workspace(root), SessionOptions(profile=profile)), provider


def test_reasoning_tail_keeps_the_end_within_the_token_budget() -> None:
    tail = reasoning_tail(SPIRAL)
    assert tail.endswith("FINAL-THOUGHT: return 0.0 when xs is empty.")
    assert "Step 1:" not in tail
    assert cl100k().count(tail) <= TAIL_TOKENS + 2
    assert reasoning_tail("short thought") == "short thought"


async def test_runaway_reasoning_is_cut_and_retried_without_thinking(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(
        tmp_path,
        [
            {"reasoning": SPIRAL, "text": "never reached"},
            {"tool_calls": [{"name": "read", "arguments": {"path": "stats.py"}}]},
            "mean() divides by len(xs); an empty list raises ZeroDivisionError.",
        ],
        ["thinking_budget"],
    )
    result = await s.run_turn("why does mean([]) fail?", subscriber=events.append)
    assert result.text.startswith("mean() divides by len(xs)")
    first, retried, following = provider.requests
    assert "chat_template_kwargs" not in first.extra
    assert retried.extra["chat_template_kwargs"] == {"enable_thinking": False}
    assert "chat_template_kwargs" not in following.extra, "the override is for the retried call only"
    note = retried.messages[-1]
    assert note.role == "user" and "300 tokens" in note.content
    assert "Step 1:" not in note.content
    assert all(m.content != note.content for m in following.messages), "the note is shown once"
    [event] = [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "thinking_budget"]
    assert "300-token budget" in event.detail
    thought = "".join(e.text for e in events if isinstance(e, ThoughtDelta))
    assert 0 < len(thought) < len(SPIRAL), "the stream was stopped early"
    assert thought.strip()[-60:] in note.content, "the note ends where the reasoning was cut"
    assert "never reached" not in " ".join(m.content for m in s.history)


async def test_think_tags_in_content_count_too(tmp_path: Path) -> None:
    s, provider = make(
        tmp_path, [f"<think>{SPIRAL}</think>Answer.", "It divides by zero."], ["thinking_budget"]
    )
    result = await s.run_turn("why does mean([]) fail?")
    assert result.text == "It divides by zero."
    assert provider.requests[1].extra["chat_template_kwargs"] == {"enable_thinking": False}


async def test_reasoning_within_budget_is_untouched(tmp_path: Path) -> None:
    events: list[Event] = []
    s, provider = make(
        tmp_path,
        [{"reasoning": "len([]) is 0, so it divides by zero.", "text": "Division by zero."}],
        ["thinking_budget"],
    )
    result = await s.run_turn("why does mean([]) fail?", subscriber=events.append)
    assert result.text == "Division by zero."
    assert provider.calls == 1
    assert not [e for e in events if isinstance(e, MechanismFired)]
    assert s.history[-1].reasoning == "len([]) is 0, so it divides by zero."


async def test_without_the_mechanism_reasoning_is_not_cut(tmp_path: Path) -> None:
    s, provider = make(tmp_path, [{"reasoning": SPIRAL, "text": "Division by zero."}], [])
    result = await s.run_turn("why does mean([]) fail?")
    assert result.text == "Division by zero."
    assert provider.calls == 1
    assert s.history[-1].reasoning == SPIRAL


async def test_zero_budget_means_no_cap(tmp_path: Path) -> None:
    s, provider = make(
        tmp_path, [{"reasoning": SPIRAL, "text": "Division by zero."}], ["thinking_budget"], budget=0
    )
    result = await s.run_turn("why does mean([]) fail?")
    assert result.text == "Division by zero." and provider.calls == 1
