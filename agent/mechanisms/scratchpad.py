"""scratchpad: the session's current plan (from the scratchpad tool) is shown to the model on every call.

The plan is appended to the request of each call only (never to the history), so it always shows its
latest state and costs its tokens once per call. Nothing is added while the plan is empty.
"""

from __future__ import annotations

from skiff.agent.hooks import Mechanism, ModelCall, TurnState
from skiff.agent.messages import Message
from skiff.agent.tools.scratchpad import render_scratchpad


class ScratchpadMechanism(Mechanism):
    name = "scratchpad"
    order = 30  # show the session plan each call

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        plan = render_scratchpad(turn.tool_ctx.state)
        if not plan:
            return
        call.add_note(Message("system", plan))
        steps = plan.count("\n")
        turn.fire(
            self.name,
            f"plan shown ({steps} step{'s' if steps != 1 else ''})",
            tokens=turn.tokenizer.count(plan),
        )
