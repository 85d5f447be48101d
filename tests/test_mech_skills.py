"""Skill cards: shipped cards load and validate against the live tools; selection order, budget, injection."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import Field

from skiff.agent.config import Profile, shipped_models_file
from skiff.agent.events import Event, MechanismFired
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.messages import Message
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.skill_cards import (
    FOLDERS,
    Card,
    SkillError,
    edit_intent,
    load_cards,
    parse_card,
    question_only,
    select,
    skills_root,
    words,
)
from skiff.agent.tokens import cl100k
from skiff.agent.tools.base import Tool, ToolArgs, ToolContext, ToolRegistry, ToolResult
from skiff.agent.tools.defaults import default_tools
from skiff.agent.workspace import Workspace

JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.S)
HEADER_TOKENS = 8  # "Skill notes for this step:" plus separators


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry(default_tools())


def fired(events: list[Event]) -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "skills"]


# ---------------------------------------------------------------- the shipped cards


def test_shipped_cards_count_and_folders() -> None:
    cards = load_cards()
    by_folder = {f: [c for c in cards if c.folder == f] for f in FOLDERS}
    assert len(cards) >= 25
    assert all(by_folder.values())
    assert str(skills_root()).endswith("skills")


def test_every_tool_has_a_card_and_every_card_tool_exists(registry: ToolRegistry) -> None:
    tool_cards = {c.tool for c in load_cards() if c.tool}
    assert tool_cards == set(registry.names())
    assert all(c.folder == "tools" for c in load_cards() if c.tool)


def test_every_card_renders_from_the_live_tools(registry: ToolRegistry) -> None:
    for card in load_cards():
        text = card.render(registry)
        assert text is not None, card.name
        assert "{{" not in text, card.name


def test_every_json_example_in_every_card_validates_against_the_live_schemas(registry: ToolRegistry) -> None:
    checked = 0
    for card in load_cards():
        text = card.render(registry) or ""
        for block in JSON_BLOCK.findall(text):
            call = json.loads(block)
            assert set(call) == {"name", "arguments"}, card.name
            tool = registry.get(call["name"])
            assert tool is not None, f"{card.name}: unknown tool {call['name']}"
            tool.Args.model_validate(call["arguments"])
            checked += 1
    assert checked >= len(registry.names())  # at least every tool card's example


def test_tool_card_example_is_the_tool_example(registry: ToolRegistry) -> None:
    edit = next(c for c in load_cards() if c.tool == "edit")
    tool = registry.get("edit")
    assert tool is not None
    assert tool.example_call() in (edit.render(registry) or "")


def test_every_trigger_has_words_left_after_normalising() -> None:
    for card in load_cards():
        assert card.triggers or card.tool, card.name
        for trigger in card.triggers:
            assert words(trigger), f"{card.name}: trigger {trigger!r} is only stop words"


def test_every_card_fits_the_smallest_shipped_budget(registry: ToolRegistry) -> None:
    budgets = [
        p.get("skillBudget", 300) for p in json.loads(shipped_models_file().read_text())["profiles"].values()
    ]
    smallest = min(b for b in budgets if b > 0)
    tok = cl100k()
    for card in load_cards():
        assert tok.count(card.render(registry) or "") + HEADER_TOKENS <= smallest, card.name


def test_cards_ship_as_package_data() -> None:
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert '"skills/*/*.md"' in pyproject
    names = {p.name for p in Path(str(skills_root())).glob("*/*.md")}
    assert len(names) == len(load_cards())


# ---------------------------------------------------------------- parsing and rendering


class PingArgs(ToolArgs):
    host: str = Field(description="Host")


class PingTool(Tool[PingArgs]):
    name = "ping"
    description = "Ping a host."
    Args = PingArgs
    example: ClassVar[dict[str, Any]] = {"host": "example.org"}

    async def run(self, args: PingArgs, ctx: ToolContext) -> ToolResult:
        return ToolResult("pong")


def test_placeholders_render_the_live_example_and_recipe() -> None:
    card = parse_card(
        "---\ntool: ping\n---\nUse it:\n{{example}}\nOn error: {{recipe}}\n", "tools", "ping.md"
    )
    text = card.render(ToolRegistry([PingTool()])) or ""
    assert '{"name": "ping", "arguments": {"host": "example.org"}}' in text
    assert "`ping` takes required host" in text
    assert text.startswith("## ping\n")


def test_card_needing_an_absent_tool_is_not_rendered() -> None:
    card = parse_card("---\ntriggers: [x]\n---\nSee {{example:bash}}\n", "protocols", "x.md")
    assert card.render(ToolRegistry([PingTool()])) is None
    assert card.tools_used() == {"bash"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no frontmatter", "frontmatter"),
        ("---\ntriggers: [a\n---\nbody", "invalid YAML"),
        ("---\ntrigger: [a]\n---\nbody", "trigger"),
        ("---\nname: x\n---\n   \n", "no body"),
    ],
)
def test_bad_cards_name_the_file_and_problem(text: str, problem: str) -> None:
    with pytest.raises(SkillError, match=problem) as info:
        parse_card(text, "knowledge", "bad.md")
    assert "skills/knowledge/bad.md" in str(info.value)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "tools" / "a.md").write_text("---\nname: same\n---\nx\n")
    (tmp_path / "knowledge" / "b.md").write_text("---\nname: same\n---\ny\n")
    with pytest.raises(SkillError, match="same"):
        load_cards(tmp_path)


# ---------------------------------------------------------------- words and intent


def test_words_are_normalised() -> None:
    assert (
        set(words("Renaming the renamed functions")) == set(words("rename a function")) == {"renam", "funct"}
    )
    assert words("failing tests") == words("FAILED test")
    assert set(words("getUserName parse_args")) == {"get", "user", words("name")[0], words("parse")[0], "arg"}
    assert words("the of and to is") == []


def test_request_intent() -> None:
    assert edit_intent("Rename foo to bar") and not question_only("Rename foo to bar")
    assert question_only("What does this function do?")
    assert not question_only("Why does it crash? Fix it.")
    assert question_only("What does add do?") and not edit_intent("What does add do?")  # `add` is a name here
    assert edit_intent("The test fails, can you fix it?")


# ---------------------------------------------------------------- selection


def cards_for_test() -> list[Card]:
    return [
        parse_card("---\ntool: edit\ntriggers: [rename]\n---\nedit card {{example}}", "tools", "edit.md"),
        parse_card("---\ntool: read\n---\nread card {{example}}", "tools", "read.md"),
        parse_card("---\ntool: grep\n---\ngrep card {{example}}", "tools", "grep.md"),
        parse_card("---\ntriggers: [traceback, exception]\n---\ntraceback card", "protocols", "tb.md"),
        parse_card("---\ntriggers: [failing test]\n---\nfailing test card", "protocols", "ft.md"),
        parse_card("---\ntriggers: [binary search]\n---\nbisect card", "knowledge", "bs.md"),
    ]


def test_failed_tool_first_then_recent_then_intent(registry: ToolRegistry) -> None:
    pick = select(
        cards_for_test(),
        registry,
        cl100k(),
        1000,
        failed_tool="grep",
        recent_tools=["read", "grep"],
        text="Tests are failing: Traceback (most recent call last): ... ValueError",
    )
    assert pick.names == ["grep", "read", "ft", "tb"]  # the two-word phrase outranks one word


def test_intent_matches_word_forms_not_exact_tokens(registry: ToolRegistry) -> None:
    pick = select(
        cards_for_test(), registry, cl100k(), 1000, text="Renaming helpers; the binary searches fail"
    )
    assert pick.names == ["bs", "edit"]  # a two-word phrase outranks one word


def test_budget_is_respected_and_smaller_cards_fill_in(registry: ToolRegistry) -> None:
    tok = cl100k()
    cards = cards_for_test()
    edit_cost = tok.count(cards[0].render(registry) or "") + 2
    tb_cost = tok.count(cards[3].render(registry) or "") + 2
    assert tb_cost < edit_cost
    pick = select(cards, registry, tok, tb_cost, failed_tool="edit", text="traceback")
    assert pick.names == ["tb"]  # the failed tool's card does not fit, the traceback card does
    assert pick.tokens == tb_cost
    assert select(cards, registry, tok, 0, failed_tool="edit").cards == []


# ---------------------------------------------------------------- the mechanism in a session


async def test_skills_in_a_session_follow_the_failed_tool(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def add(a, b):\n    return a - b\n")
    seen: list[ChatRequest] = []

    def check(request: ChatRequest) -> dict[str, Any]:
        seen.append(request)
        return {
            "tool_calls": [
                {
                    "name": "edit",
                    "arguments": {
                        "path": "app.py",
                        "old_string": "    return a - b\n",
                        "new_string": "    return a + b\n",
                    },
                }
            ]
        }

    provider = ScriptedProvider(
        [
            {
                "tool_calls": [
                    {
                        "name": "edit",
                        "arguments": {
                            "path": "app.py",
                            "old_string": "return a-b",
                            "new_string": "return a + b",
                        },
                    }
                ]
            },
            check,
            "Fixed add().",
        ]
    )
    session = Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["skills"], skill_budget=300)),
    )
    events: list[Event] = []
    result = await session.run_turn("Fix the bug in add", None, events.append)

    assert result.proposal is not None
    notes = [r.messages[-1] for r in provider.requests]
    assert all(n.role == "system" and n.content.startswith("Skill notes") for n in notes)
    assert "## edit" in notes[0].content  # "fix" matches the edit card on the first call
    second = notes[1].content
    assert second.split("\n\n")[1].startswith("## edit\n")  # the failed tool's card comes first
    history_text = "\n".join(m.content for m in session.history)
    assert "Skill notes" not in history_text  # injected per call, never kept
    names = [e.data["cards"] for e in fired(events)]
    assert len(names) == 3 and names[1][0] == "edit"
    assert "edit-failed" in names[1]  # matched from the error text "old_string was not found"
    tok = cl100k()
    assert all(tok.count(n.content) <= 300 for n in notes)


async def test_no_cards_when_budget_is_zero(tmp_path: Path) -> None:
    provider = ScriptedProvider(["ok"])
    session = Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["skills"], skill_budget=0)),
    )
    events: list[Event] = []
    await session.run_turn("Fix the failing test", None, events.append)
    assert not fired(events)
    assert provider.requests[0].messages[-1] == Message(
        "user", "Fix the failing test", display="Fix the failing test"
    )


async def test_selection_and_question_add_intent(tmp_path: Path) -> None:
    from skiff.agent.context import RequestContext, Selection

    (tmp_path / "a.py").write_text("x = 1\n")
    provider = ScriptedProvider(["It sets x.", "ok"])
    session = Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["skills"], skill_budget=400)),
    )
    events: list[Event] = []
    ctx = RequestContext(path="a.py", selection=Selection(0, 0, "x = 1\n"))
    await session.run_turn("What does this do?", ctx, events.append)
    assert {"explain-code", "edit-selection"} <= set(fired(events)[0].data["cards"])


def test_examples_name_the_requests_file_when_given() -> None:
    registry = ToolRegistry(default_tools())
    card = next(c for c in load_cards() if c.tool == "read")
    rendered = card.render(registry, "pkg/stats.py") or ""
    assert '"path": "pkg/stats.py"' in rendered
    assert '"path": "src/app.py"' in (card.render(registry) or "")
