"""tool_routing: two-stage tool choice for small contexts: first a category, then only that category's tools.

A routing step is a cheap model call: the request carries no tool schemas, only a one-line menu of
categories (from each tool's `category`), and asks for one word (at most a few output tokens). The word
is parsed forgivingly (category names, synonyms, tool names; anything else shows every tool) and the step
is dropped from the conversation with an uncounted Retry, so it uses none of the retry budget. The next
call carries only that category's tools: filtered `request.tools` for native tool calling, or, for text
formats, the category's tool list appended at the end of the request while the system prompt stays
tool-free. Keeping the system prompt the same on every call lets the server's prompt cache reuse the whole
conversation prefix: each step pays only for the menu or the short tool list.

The chosen category holds until the history grows (a tool ran, or the turn was continued); then the model
routes again. When context_first already put the code in the first call and the task asks for a change,
the first call goes straight to the edit tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skiff.agent.hooks import Mechanism, ModelCall, ModelReply, Retry, TurnState
from skiff.agent.messages import Message
from skiff.agent.prompts import system_prompt
from skiff.agent.skill_cards import edit_intent

ROUTING_MAX_TOKENS = 12  # one word, with room for a stray article or punctuation
ALL = "all"  # the reply named no category: show every tool
DONE = "done"  # answer without a tool
GLOSS = {
    "read": "open a file",
    "search": "find files or text",
    "edit": "change a file",
    "run": "run a command",
    "plan": "update the plan",
}
SYNONYMS = {
    "read": "read open view look show cat inspect",
    "search": "search find grep glob locate list ls where",
    "edit": "edit change modify fix write replace create update patch rename refactor",
    "run": "run test tests execute bash shell command pytest exec",
    "plan": "plan scratchpad todo",
    DONE: "done finish finished answer none nothing stop complete reply",
}
MENU = "Choose the kind of tool for your next step. Reply with one word: {options}."
DONE_NOTE = "Answer now in one or two sentences, without a tool call."


@dataclass
class RouteState:
    """Routing's own state across the calls of a turn (what it shares lives on the ModelCall)."""

    category: str | None = None  # chosen category, ALL or DONE
    history_len: int = -1  # the history length when it was chosen: it holds until the history grows


def state(turn: TurnState) -> RouteState:
    st = turn.notes.get(ToolRouting.name)
    if not isinstance(st, RouteState):
        st = RouteState()
        turn.notes[ToolRouting.name] = st
    return st


def categories(turn: TurnState) -> dict[str, list[str]]:
    """Tool names by routing category, in registry order."""
    out: dict[str, list[str]] = {}
    for name in turn.tools.names():
        tool = turn.tools.get(name)
        if tool is not None:
            out.setdefault(tool.category, []).append(name)
    return out


def parse_choice(text: str, cats: dict[str, list[str]]) -> str | None:
    """The category a routing reply names: the first word that is a category, a tool name or a synonym."""
    lookup: dict[str, str] = {}
    for cat, names in cats.items():
        for n in names:
            lookup.setdefault(n.lower(), cat)
    for cat, words in SYNONYMS.items():
        if cat in cats or cat == DONE:
            for w in words.split():
                lookup.setdefault(w, cat)
    for cat in cats:
        lookup[cat] = cat
    for word in re.findall(r"[a-z_]+", text.lower()):
        if word in lookup:
            return lookup[word]
    return None


class ToolRouting(Mechanism):
    name = "tool_routing"
    order = 20  # two-stage: pick a category, then see only its tools
    default_on = False  # on with `toolRouting: true` or when a profile names it

    def _active(self) -> bool:
        return self.profile.tool_routing or self.name in self.profile.mechanisms

    async def before_model_call(self, call: ModelCall, turn: TurnState) -> None:
        if not self._active():
            return
        st = state(turn)
        if st.category is not None and st.history_len != len(turn.history):
            st.category = None
        cats = categories(turn)
        if st.category is None and turn.model_calls == 0 and self._straight_to_edit(turn, cats):
            st.category, st.history_len = "edit", len(turn.history)
            turn.fire(self.name, "code already in context and an edit task: edit tools without routing")
        if st.category is None:
            self._routing_request(call, turn, cats)
            call.offered_tools = []
        else:
            call.offered_tools = self._category_request(call, turn, cats, st.category)

    async def after_model_call(self, reply: ModelReply, turn: TurnState) -> Retry | None:
        if reply.call is None or not reply.call.routing:
            return None
        st = state(turn)
        if reply.message.tool_calls:  # the model skipped the menu and called a tool: take it
            return None
        choice = parse_choice(reply.message.content, categories(turn))
        st.category = choice or ALL
        st.history_len = len(turn.history)
        said = reply.message.content.strip()[:40]
        reason = f"routed to {choice}" if choice else f"no category in {said!r}: all tools"
        return Retry(correction="", reason=reason, counted=False)

    @staticmethod
    def _straight_to_edit(turn: TurnState, cats: dict[str, list[str]]) -> bool:
        return "edit" in cats and bool(turn.notes.get("context_first")) and edit_intent(turn.task)

    def _routing_request(self, call: ModelCall, turn: TurnState, cats: dict[str, list[str]]) -> None:
        request = call.request
        request.tools = []
        self._tool_free_system(call, turn)
        options = ", ".join(f"{c} ({GLOSS.get(c, '/'.join(names))})" for c, names in cats.items())
        menu = Message("user", MENU.format(options=f"{options} or {DONE} (answer now)"))
        request.messages.append(menu)
        call.pinned_last = menu  # notes other mechanisms add go before it
        request.max_tokens = min(request.max_tokens, ROUTING_MAX_TOKENS)
        call.quiet = True
        call.routing = True

    def _category_request(
        self, call: ModelCall, turn: TurnState, cats: dict[str, list[str]], category: str
    ) -> list[str] | None:
        names: list[str] | None
        if category == ALL:
            names = None
        elif category == DONE:
            names = []
        else:
            names = cats.get(category, [])
        request = call.request
        fmt = self.profile.tool_call_format
        if fmt == "native":
            request.tools = turn.tools.schemas(names)
        else:
            self._tool_free_system(call, turn)
            listing = tool_listing(turn, names)
            if listing:
                request.messages.append(Message("system", listing))
        if category == DONE:
            request.messages.append(Message("system", DONE_NOTE))
        return names

    def _tool_free_system(self, call: ModelCall, turn: TurnState) -> None:
        """Text formats: the system prompt without the tool list, the same on every call (prompt cache)."""
        if self.profile.tool_call_format == "native":
            return
        messages = call.request.messages
        if messages and messages[0].role == "system":
            root = str(turn.tool_ctx.workspace.root)
            path = turn.context.path if turn.context else None
            messages[0] = Message(
                "system", system_prompt(root, turn.tools, self.profile.tool_call_format, [], path)
            )


def tool_listing(turn: TurnState, names: list[str] | None) -> str:
    """The tool part of the text-format system prompt for `names` (all tools when None)."""
    root = str(turn.tool_ctx.workspace.root)
    fmt = turn.profile.tool_call_format
    if names == []:
        return ""
    path = turn.context.path if turn.context else None
    base = system_prompt(root, turn.tools, fmt, [], path)
    full = system_prompt(root, turn.tools, fmt, names, path)
    return full[len(base) :].strip() if full.startswith(base) else full
