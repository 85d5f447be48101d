"""skills: before each model call, the few skill cards that matter now, within the profile's token budget.

Order of preference: the card of the tool that just failed, then the cards of recently used tools, then
cards whose triggers match the task, the last error and the diagnostics (see `skiff.agent.skill_cards`). The
cards go into the request of that call only, as one system message after the conversation; the history
is never touched, so the next call chooses afresh and the conversation prefix stays cacheable. Routing
steps (tool_routing) get no cards.
"""

from __future__ import annotations

from skiff.agent.hooks import Mechanism, ModelCall, TurnState
from skiff.agent.messages import Message
from skiff.agent.skill_cards import load_cards, question_only, select

RECENT_TOOLS = 2  # cards of this many most recently used tools are preferred
ERROR_HEAD, ERROR_TAIL = 400, 1200  # characters of the last error matched against triggers
HEADER = "Skill notes for this step:"


class Skills(Mechanism):
    name = "skills"
    order = 40  # per-turn skill cards

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        budget = self.profile.skill_budget
        if budget <= 0 or call.routing:
            return
        events = turn.tool_events
        failed = events[-1].call.name if events and not events[-1].result.ok else None
        recent = list(dict.fromkeys(ev.call.name for ev in reversed(events)))[:RECENT_TOOLS]
        pick = select(
            load_cards(),
            turn.tools,
            turn.tokenizer,
            budget - turn.tokenizer.count(HEADER),
            failed_tool=failed,
            recent_tools=recent,
            text=intent_text(turn),
            path=turn.context.path if turn.context else None,
        )
        if not pick.cards:
            return
        call.add_note(Message("system", f"{HEADER}\n\n{pick.text()}"))
        turn.fire(self.name, ", ".join(pick.names), cards=pick.names, tokens=pick.tokens)


def intent_text(turn: TurnState) -> str:
    """What the cards' triggers are matched against: the task, the diagnostics and the latest failure, plus
    "selected" when the request has a selection and "question" when it only asks a question."""
    parts = [turn.task]
    if question_only(turn.task):
        parts.append("question")
    if turn.context is not None:
        if turn.context.selection is not None and turn.context.selection.text.strip():
            parts.append("selected")
        parts.extend(d.message for d in turn.context.diagnostics)
    if turn.tool_events and not turn.tool_events[-1].result.ok:
        out = turn.tool_events[-1].result.output
        parts.append(
            out if len(out) <= ERROR_HEAD + ERROR_TAIL else out[:ERROR_HEAD] + "\n" + out[-ERROR_TAIL:]
        )
    return "\n".join(parts)
