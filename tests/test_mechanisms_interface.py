"""The mechanism registry: each mechanism switches on and off per profile, hooks run in ALL_MECHANISMS
order, a new mechanism is found from its module alone, the loop works with none of them, and the
large-model profile turns the small-model ones off."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from skiff.agent.config import ALL_MECHANISMS, Profile, Registry
from skiff.agent.hooks import Mechanism
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.mechanisms import RegistryError, load_mechanisms, mechanism_class, mechanism_names, registry
from skiff.agent.mechanisms.tool_routing import ROUTING_MAX_TOKENS
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.workspace import Workspace

STATS = "def mean(xs):\n    return sum(xs) / len(xs)\n"
SMALL_MODEL_MECHANISMS = {
    "tool_routing",
    "scratchpad",
    "skills",
    "thinking_budget",
    "toolcall_recovery",
    "quality_monitor",
    "code_to_edit",
}


@pytest.mark.parametrize("name", ALL_MECHANISMS)
def test_each_mechanism_is_a_named_mechanism_class(name: str) -> None:
    cls = mechanism_class(name)
    assert issubclass(cls, Mechanism)
    assert cls.name == name
    assert cls.__module__ == f"skiff.agent.mechanisms.{name}"
    assert sys.modules[cls.__module__].__doc__, "every mechanism module starts with a docstring"


@pytest.mark.parametrize("name", ALL_MECHANISMS)
def test_each_mechanism_switches_on_and_off_per_profile(name: str) -> None:
    only = load_mechanisms(Profile(mechanisms=[name]))
    assert [m.name for m in only] == [name]
    others = [n for n in ALL_MECHANISMS if n != name]
    assert name not in [m.name for m in load_mechanisms(Profile(mechanisms=others))]


def test_mechanisms_run_in_registry_order_with_the_budget_last() -> None:
    loaded = load_mechanisms(Profile(mechanisms=list(reversed(ALL_MECHANISMS))))
    assert [m.name for m in loaded] == ALL_MECHANISMS
    assert loaded[-1].name == "context_budget"


def test_unknown_mechanisms_are_rejected() -> None:
    with pytest.raises(ValueError, match="telepathy"):
        Profile(mechanisms=["telepathy"])


MECHANISM_MODULE = '''"""{name}: a mechanism written by the registry test."""

from skiff.agent.hooks import Mechanism


class EchoNote(Mechanism):
    name = "{name}"
    order = 55  # between thinking_budget (50) and toolcall_recovery (60)
    default_on = False
'''


def with_extra_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> None:
    """One more module in agent/mechanisms/ (a folder added to the package's path), registry rebuilt."""
    import skiff.agent.mechanisms as package

    (tmp_path / f"{module}.py").write_text(MECHANISM_MODULE.format(name=name))
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, f"skiff.agent.mechanisms.{module}", raising=False)
    registry.cache_clear()


def test_a_new_mechanism_is_registered_by_its_module_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a mechanism is one file: the registry finds it, profiles accept it, it runs in its order."""
    with_extra_module(tmp_path, monkeypatch, "echo_note", "echo_note")
    try:
        names = mechanism_names()
        assert names.index("echo_note") == names.index("thinking_budget") + 1
        assert mechanism_class("echo_note").__module__ == "skiff.agent.mechanisms.echo_note"
        assert "echo_note" not in Profile().mechanisms  # default_on = False
        loaded = load_mechanisms(Profile(mechanisms=["context_budget", "echo_note", "skills"]))
        assert [m.name for m in loaded] == ["skills", "echo_note", "context_budget"]
    finally:
        monkeypatch.undo()
        registry.cache_clear()
        sys.modules.pop("skiff.agent.mechanisms.echo_note", None)
    assert "echo_note" not in mechanism_names()
    assert mechanism_names() == ALL_MECHANISMS


def test_a_mechanism_named_unlike_its_module_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_extra_module(tmp_path, monkeypatch, "echo_note", "echo")
    try:
        with pytest.raises(RegistryError, match="echo_note"):
            mechanism_names()
    finally:
        monkeypatch.undo()
        registry.cache_clear()
        sys.modules.pop("skiff.agent.mechanisms.echo_note", None)


def test_large_profile_keeps_only_the_safety_mechanisms() -> None:
    profile = Registry(user=None).resolve("openai/gpt-4.1-mini").profile
    assert SMALL_MODEL_MECHANISMS.isdisjoint(profile.mechanisms)
    assert "context_budget" in profile.mechanisms
    assert load_mechanisms(profile)[-1].name == "context_budget"


def scripted_turn() -> list[Any]:
    def call(name: str, **arguments: object) -> dict[str, Any]:
        return {"tool_calls": [{"name": name, "arguments": arguments}]}

    return [
        call("read", path="stats.py"),
        call(
            "edit",
            path="stats.py",
            old_string="    return sum(xs) / len(xs)\n",
            new_string="    return sum(xs) / len(xs) if xs else 0.0\n",
        ),
        "mean() now returns 0.0 for an empty list.",
    ]


def answering_routing_steps(replies: list[Any]) -> list[Any]:
    """The replies, with tool-routing steps (a one-word category request) answered in between."""
    queue = list(replies)

    def reply(request: ChatRequest) -> Any:
        if request.max_tokens <= ROUTING_MAX_TOKENS:
            upcoming = queue[0]
            if isinstance(upcoming, dict) and upcoming.get("tool_calls"):
                return upcoming["tool_calls"][0]["name"]  # read / edit are also category names
            return "done"
        return queue.pop(0)

    return [reply] * (3 * len(replies))


@pytest.mark.parametrize("mechanisms", [[], ALL_MECHANISMS], ids=["none", "all"])
async def test_a_multi_step_turn_runs_with_no_or_all_mechanisms(
    tmp_path: Path, mechanisms: list[str]
) -> None:
    (tmp_path / "stats.py").write_text(STATS)
    provider = ScriptedProvider(answering_routing_steps(scripted_turn()))
    options = SessionOptions(profile=Profile(mechanisms=mechanisms))
    session = Session(provider, Workspace(tmp_path), options)
    assert [m.name for m in session.mechanisms] == mechanisms
    result = await session.run_turn("make mean() return 0.0 for an empty list")
    assert result.stop_reason == "end_turn"
    assert result.text == "mean() now returns 0.0 for an empty list."
    assert result.proposal is not None
    assert (
        result.proposal.changes[0].new_text == "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n"
    )
    assert (tmp_path / "stats.py").read_text() == STATS
