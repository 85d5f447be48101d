"""code_to_edit: code printed in the final reply becomes a proposed edit (or a request for an edit call)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from skiff.agent.config import Profile
from skiff.agent.context import RequestContext, Selection
from skiff.agent.events import Event, MechanismFired, ProposalReady
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.parsing.codeblocks import search_replace_blocks, unified_diffs
from skiff.agent.parsing.definitions import python_definitions, regex_definitions
from skiff.agent.parsing.edit_plan import has_placeholder, plan_edit
from skiff.agent.parsing.fences import fenced_blocks
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.workspace import Workspace

REPLIES = Path(__file__).parent / "fixtures" / "replies"
BASE = (REPLIES / "_inventory.py").read_text(encoding="utf-8")


@dataclass
class Fixture:
    name: str
    meta: dict[str, Any]
    reply: str

    def selection(self) -> Selection | None:
        if "selection" not in self.meta:
            return None
        a, b = self.meta["selection"]
        return Selection(a, b, "".join(BASE.splitlines(keepends=True)[a : b + 1]))


def load_fixtures() -> list[Fixture]:
    out = []
    for path in sorted(REPLIES.glob("*.md")):
        m = re.match(r"---\n(.*?)\n---\n(.*)", path.read_text(encoding="utf-8"), re.S)
        assert m, f"{path.name}: frontmatter missing"
        out.append(Fixture(path.stem, yaml.safe_load(m.group(1)), m.group(2)))
    return out


FIXTURES = load_fixtures()


def fired(events: list[Event], name: str = "code_to_edit") -> list[MechanismFired]:
    return [e for e in events if isinstance(e, MechanismFired) and e.mechanism == name]


def test_fixtures_cover_the_required_reply_kinds() -> None:
    kinds = {f.meta.get("kind") or f.meta["expect"] for f in FIXTURES}
    assert {"definitions", "whole_file", "search_replace", "diff", "rejected", "none"} <= kinds
    for f in FIXTURES:
        source = f.meta["source"]
        assert source.startswith(("hand-written in the style of", "recorded")), f.name
    assert any(f.meta["source"].startswith("recorded") for f in FIXTURES)


@pytest.mark.parametrize("fx", FIXTURES, ids=lambda f: f.name)
def test_recorded_reply_maps_as_expected(fx: Fixture) -> None:
    plan = plan_edit(fx.reply, fx.meta["file"], BASE, fx.selection())
    expect = fx.meta["expect"]
    if expect == "applied":
        assert plan.new_text is not None, plan.rejected
        assert plan.kind == fx.meta["kind"]
        for piece in fx.meta.get("contains", []):
            assert piece in plan.new_text
        for d in python_definitions(BASE) or []:  # nothing the reply did not mention is lost
            assert d.qualname in {x.qualname for x in python_definitions(plan.new_text) or []}
    elif expect == "rejected":
        assert plan.new_text is None
        assert any(r in " ".join(plan.rejected) for r in fx.meta["rejected"])
    else:
        assert plan.new_text is None and not plan.rejected


@pytest.mark.parametrize("fx", FIXTURES, ids=lambda f: f.name)
async def test_recorded_reply_through_a_session(tmp_path: Path, fx: Fixture) -> None:
    (tmp_path / "inventory.py").write_text(BASE, encoding="utf-8")
    replies: list[Any] = [fx.reply]
    if fx.meta["expect"] == "rejected":  # the follow-up asks for an edit call; the model makes one
        replies.append(
            {
                "tool_calls": [
                    {
                        "name": "edit",
                        "arguments": {
                            "path": "inventory.py",
                            "old_string": "    def remove(self, name):\n        del self.items[name]\n",
                            "new_string": "    def remove(self, name):\n        self.items.pop(name, None)\n",
                        },
                    }
                ]
            }
        )
        replies.append("Done: remove() ignores unknown names.")
    provider = ScriptedProvider(replies)
    session = Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["code_to_edit"])),
    )
    events: list[Event] = []
    ctx = RequestContext(path="inventory.py", selection=fx.selection())
    result = await session.run_turn(fx.meta["task"], ctx, events.append)
    assert (tmp_path / "inventory.py").read_text(encoding="utf-8") == BASE  # proposals never touch disk
    if fx.meta["expect"] == "applied":
        assert result.proposal is not None
        new = result.proposal.changes[0].new_text or ""
        for piece in fx.meta.get("contains", []):
            assert piece in new
        assert fired(events)[0].data["kind"] == fx.meta["kind"]
        assert any(isinstance(e, ProposalReady) for e in events)
        assert provider.calls == 1
    elif fx.meta["expect"] == "rejected":
        assert provider.calls == 3
        follow_up = provider.requests[1].messages[-1].content
        assert "not applied" in follow_up and "`edit`" in follow_up
        assert result.proposal is not None
        assert "self.items.pop(name, None)" in (result.proposal.changes[0].new_text or "")
        assert "def load(path):" in (result.proposal.changes[0].new_text or "")  # nothing dropped
    else:
        assert result.proposal is None
        assert not fired(events)


# ---------------------------------------------------------------- extraction


def test_fenced_blocks_unclosed_and_info() -> None:
    text = "Intro\n```python title=x.py\nprint(1)\n```\nthen\n~~~js\nlet a = 1\n"
    blocks = fenced_blocks(text)
    assert [(b.lang, b.closed) for b in blocks] == [("python", True), ("js", False)]
    assert blocks[0].code == "print(1)\n" and blocks[0].before == "Intro"
    assert blocks[1].code == "let a = 1\n"


def test_search_replace_with_path_line() -> None:
    text = "app/util.py\n```\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n```\n"
    (sr,) = search_replace_blocks(text)
    assert (sr.path, sr.search, sr.replace) == ("app/util.py", "a = 1\n", "a = 2\n")


def test_lenient_diff_with_wrong_counts_and_no_headers() -> None:
    text = "```diff\n@@ -1,9 +1,9 @@\n def f():\n-    return 1\n+    return 2\n```"
    (d,) = unified_diffs(text)
    assert d.path is None
    assert (d.hunks[0].old, d.hunks[0].new) == ("def f():\n    return 1\n", "def f():\n    return 2\n")


def test_placeholder_detection() -> None:
    assert has_placeholder("def f():\n    # ... existing code ...\n    return 1")
    assert has_placeholder("x = 1\n// rest of the file unchanged\n")
    assert not has_placeholder("def f():\n    # compute the total\n    return 1")


def test_python_definitions_include_decorators_and_methods() -> None:
    defs = {d.qualname: d for d in python_definitions(BASE) or []}
    assert defs["Item"].start == 8  # the @dataclass line, 0-based
    assert (defs["Inventory.remove"].start, defs["Inventory.remove"].end) == (26, 28)
    assert defs["Inventory.remove"].indent == "    " and defs["Inventory.remove"].depth == 1


def test_regex_definitions_for_braces() -> None:
    js = (
        "import x from 'y';\n\nexport function add(a, b) {\n  return a - b;\n}\n\n"
        "const sq = (x) => {\n  return x * x;\n};\n"
    )
    defs = {d.name: (d.start, d.end) for d in regex_definitions(js)}
    assert defs == {"add": (2, 5), "sq": (6, 9)}


# ---------------------------------------------------------------- mapping


def test_method_block_replaces_the_method_with_its_indentation() -> None:
    reply = "```python\ndef remove(self, name):\n    self.items.pop(name, None)\n```"
    plan = plan_edit(reply, "inventory.py", BASE)
    assert plan.applied == ["Inventory.remove"]
    assert "    def remove(self, name):\n        self.items.pop(name, None)\n\n    def low_stock" in (
        plan.new_text or ""
    )


def test_same_name_in_two_places_uses_the_selection() -> None:
    base = "def area(r):\n    return r\n\n\nclass Sq:\n    def area(self):\n        return 1\n"
    reply = "```python\ndef area(self):\n    return 2\n```"
    plan = plan_edit(reply, "s.py", base, Selection(5, 6, "    def area(self):\n        return 1\n"))
    assert (
        plan.new_text == "def area(r):\n    return r\n\n\nclass Sq:\n    def area(self):\n        return 2\n"
    )


def test_new_helper_and_import_come_with_the_function() -> None:
    reply = (
        "```python\nimport math\nimport statistics\n\n"
        "def _prices(items):\n    return [i.price for i in items]\n\n"
        "def average_price(items):\n    return statistics.fmean(_prices(items)) if items else 0.0\n```"
    )
    plan = plan_edit(reply, "inventory.py", BASE)
    new = plan.new_text or ""
    assert "import math\nimport statistics\n" in new  # new imports after the file's imports
    assert "def _prices(items):\n    return [i.price for i in items]\n\n\ndef average_price(items):" in new
    assert new.count("import json") == 1
    assert sorted(plan.applied) == ["average_price", "new _prices"]


def test_elided_function_is_rejected() -> None:
    reply = "```python\ndef load(path):\n    # ... existing code ...\n    return []\n```"
    plan = plan_edit(reply, "inventory.py", BASE)
    assert plan.new_text is None and "placeholder" in plan.rejected[0]


def test_whole_file_with_placeholder_is_rejected() -> None:
    body = BASE.replace(
        "    def remove(self, name):\n        del self.items[name]\n",
        "    # ... rest of the methods unchanged\n",
    )
    body = body.replace(
        "    def low_stock(self):\n"
        "        return [i for i in self.items.values() if i.quantity < LOW_STOCK]\n",
        "",
    )
    plan = plan_edit(f"```python\n{body}```", "inventory.py", BASE)
    assert plan.new_text is None and plan.rejected


def test_selection_shaped_block_replaces_the_selection() -> None:
    base = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    sel = Selection(1, 3, "    out = []\n    for x in xs:\n        out.append(x * 2)\n")
    reply = "Use a comprehension:\n```python\nout = [x * 2 for x in xs]\n```"
    plan = plan_edit(reply, "f.py", base, sel)
    assert plan.kind == "selection"
    assert plan.new_text == "def f(xs):\n    out = [x * 2 for x in xs]\n    return out\n"


def test_block_unlike_the_selection_is_not_applied() -> None:
    base = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    sel = Selection(1, 3, "    out = []\n    for x in xs:\n        out.append(x * 2)\n")
    plan = plan_edit("For example:\n```python\nprint('hello')\n```", "f.py", base, sel)
    assert plan.new_text is None and not plan.rejected


def test_crlf_file_keeps_its_line_endings() -> None:
    base = "def f():\r\n    return 1\r\n\r\n\r\ndef g():\r\n    return 2\r\n"
    plan = plan_edit("```python\ndef f():\n    return 10\n```", "a.py", base)
    assert plan.new_text == "def f():\r\n    return 10\r\n\r\n\r\ndef g():\r\n    return 2\r\n"


def test_javascript_function_replaced_by_name() -> None:
    js = (
        "import x from 'y';\n\nexport function add(a, b) {\n  return a - b;\n}\n\n"
        "function keep() {\n  return 1;\n}\n"
    )
    reply = "```javascript\nexport function add(a, b) {\n  return a + b;\n}\n```"
    plan = plan_edit(reply, "m.js", js)
    assert plan.new_text == js.replace("a - b", "a + b")


def test_result_that_would_not_parse_is_rejected() -> None:
    reply = "```python\ndef load(path):\n    return [\n```"
    plan = plan_edit(reply, "inventory.py", BASE)
    assert plan.new_text is None


def test_search_block_that_does_not_match_is_rejected() -> None:
    reply = "<<<<<<< SEARCH\ndef nothing_like_this():\n=======\ndef x():\n>>>>>>> REPLACE\n"
    plan = plan_edit(reply, "inventory.py", BASE)
    assert plan.new_text is None and plan.rejected == ["search_replace #1: no match"]


def test_json_tool_call_blocks_are_not_code() -> None:
    reply = '```json\n{"name": "read", "arguments": {"path": "inventory.py"}}\n```'
    assert plan_edit(reply, "inventory.py", BASE).new_text is None


# ---------------------------------------------------------------- mechanism behaviour


async def run(
    tmp_path: Path, replies: list[Any], task: str, ctx: RequestContext
) -> tuple[Any, list[Event], Any]:
    (tmp_path / "inventory.py").write_text(BASE, encoding="utf-8")
    provider = ScriptedProvider(replies)
    session = Session(
        provider=provider,
        workspace=Workspace(tmp_path),
        options=SessionOptions(profile=Profile(mechanisms=["code_to_edit"])),
    )
    events: list[Event] = []
    result = await session.run_turn(task, ctx, events.append)
    return result, events, provider


async def test_question_is_not_turned_into_an_edit(tmp_path: Path) -> None:
    reply = "It divides by len(items):\n```python\ndef average_price(items):\n    return 0.0\n```"
    result, events, _ = await run(
        tmp_path, [reply], "Why does average_price crash?", RequestContext("inventory.py")
    )
    assert result.proposal is None and not fired(events)


async def test_no_code_for_the_file_without_context(tmp_path: Path) -> None:
    reply = "```python\ndef average_price(items):\n    return 0.0\n```"
    result, events, _ = await run(tmp_path, [reply], "fix average_price", RequestContext())
    assert result.proposal is None and not fired(events)


async def test_follow_up_is_asked_only_once(tmp_path: Path) -> None:
    bad = (REPLIES / "llama_truncated_rewrite.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    result, events, provider = await run(
        tmp_path, [bad, bad], "Make remove() ignore unknown names.", RequestContext("inventory.py")
    )
    assert provider.calls == 2
    assert result.proposal is None
    assert [e.detail.endswith("asked for an edit call") for e in fired(events)] == [True]


async def test_edit_made_with_tools_is_not_overridden(tmp_path: Path) -> None:
    call = {
        "tool_calls": [
            {
                "name": "edit",
                "arguments": {
                    "path": "inventory.py",
                    "old_string": "LOW_STOCK = 5",
                    "new_string": "LOW_STOCK = 3",
                },
            }
        ]
    }
    recap = "Changed it:\n```python\nLOW_STOCK = 4\n```"
    result, events, _ = await run(tmp_path, [call, recap], "lower LOW_STOCK", RequestContext("inventory.py"))
    assert "LOW_STOCK = 3" in (result.proposal.changes[0].new_text or "")
    assert not fired(events)


def test_line_numbers_echoed_from_the_prompt_are_dropped() -> None:
    reply = (
        "```python\n  34| def average_price(items):\n  35|     if not items:\n  36|         return 0.0\n"
        "  37|     return sum(i.price for i in items) / len(items)\n```"
    )
    plan = plan_edit(reply, "inventory.py", BASE)
    assert "def average_price(items):\n    if not items:\n        return 0.0\n" in (plan.new_text or "")
    sr = "<<<<<<< SEARCH\n   6| LOW_STOCK = 5\n=======\n   6| LOW_STOCK = 3\n>>>>>>> REPLACE\n"
    assert "\nLOW_STOCK = 3\n" in (plan_edit(sr, "inventory.py", BASE).new_text or "")


def test_block_introduced_as_another_file_is_skipped() -> None:
    code = "```python\ndef average_price(items):\n    return 0.0\n```"
    assert plan_edit(f"Add this to `tests/test_inventory.py`:\n{code}", "inventory.py", BASE).new_text is None
    assert plan_edit(f"Updated `inventory.py`:\n{code}", "inventory.py", BASE).new_text is not None
    assert plan_edit(f"It uses math.pi:\n{code}", "inventory.py", BASE).new_text is not None
    other = "```python title=tests/test_inventory.py\ndef average_price(items):\n    return 0.0\n```"
    assert plan_edit(other, "inventory.py", BASE).new_text is None


STATS = (
    "def mean(xs):\n    return sum(xs) / len(xs)\n\n\ndef median(xs):\n    return sorted(xs)[len(xs) // 2]\n"
)


async def test_write_to_existing_file_becomes_definition_edit(tmp_path: Path) -> None:
    """Recorded from Qwen2.5-Coder-1.5B (bench_tasks, "add a docstring to mean()"): it rewrote the file with
    only the changed function. The write guard refuses; code_to_edit maps the content onto the file."""
    (tmp_path / "stats.py").write_text(STATS)
    docstring = '    """Calculate the mean of a list of numbers.\n    """\n'
    content = "def mean(xs):\n" + docstring + "    return sum(xs) / len(xs)\n"
    provider = ScriptedProvider(
        [{"tool_calls": [{"name": "write", "arguments": {"path": "stats.py", "content": content}}]}, "Done."]
    )
    options = SessionOptions(profile=Profile(mechanisms=["code_to_edit"]))
    session = Session(provider, Workspace(tmp_path), options)
    events: list[Event] = []
    result = await session.run_turn(
        "add a docstring to mean()", RequestContext(path="stats.py"), events.append
    )
    assert result.proposal is not None
    new = result.proposal.changes[0].new_text
    assert new == STATS.replace(
        "def mean(xs):\n", 'def mean(xs):\n    """Calculate the mean of a list of numbers.\n    """\n'
    )
    assert "def median" in new, "the rest of the file survives the whole-file write"
    assert "write to an existing file applied as an edit" in fired(events)[0].detail
    tool_msg = next(m for m in session.history if m.role == "tool")
    assert "applied as an edit" in tool_msg.content


async def test_write_that_matches_nothing_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "stats.py").write_text(STATS)
    provider = ScriptedProvider(
        [{"tool_calls": [{"name": "write", "arguments": {"path": "stats.py", "content": "x = 1\n"}}]}, "ok"]
    )
    session = Session(
        provider, Workspace(tmp_path), SessionOptions(profile=Profile(mechanisms=["code_to_edit"]))
    )
    result = await session.run_turn("set x", RequestContext(path="stats.py"))
    assert result.proposal is None
    tool_msg = next(m for m in session.history if m.role == "tool")
    assert tool_msg.content.startswith("Error (exists)") and "not applied as an edit" in tool_msg.content
