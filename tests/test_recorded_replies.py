"""Regression corpus: real model replies from bench runs, mapped onto the files as judged by hand.

`tests/fixtures/recorded_replies.json` holds replies of Qwen2.5-Coder-1.5B on the bench task suite, taken
from Skiff's stderr (built by `bench/record_replies.py`), with the files each reply was answering and what
`skiff.agent.edit_formats.map_reply` is expected to make of it. A case marked `known_wrong` is a mapping
judged wrong (see its `note`); it is not replayed, so the fix does not have to edit this test.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from skiff.agent.edit_formats import map_reply
from skiff.agent.parsing.toolcalls import parse_tool_calls
from skiff.agent.tools.edit import EditTool
from skiff.agent.tools.write import WriteTool

CORPUS = json.loads(
    (Path(__file__).parent / "fixtures" / "recorded_replies.json").read_text(encoding="utf-8")
)
CASES = CORPUS["cases"]
REPLAYED = [c for c in CASES if not c.get("known_wrong")]


def files_of(case: dict) -> dict[str, str | None]:
    """The editable files the reply answered, as direct_edit passes them (read-only ones are not in it)."""
    before = case.get("before", {})
    base = CORPUS["bases"][case["task"]]
    return {
        rel: before[rel] if rel in before else base.get(rel)
        for rel in [*case["files"], *before]
        if rel not in case["readonly"]
    }


def diff(path: str, base: str | None, text: str) -> list[str]:
    lines = difflib.unified_diff(
        (base or "").splitlines(), text.splitlines(), f"a/{path}", f"b/{path}", n=1, lineterm=""
    )
    return list(lines)[2:]


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("case", REPLAYED, ids=[c["id"] for c in REPLAYED])
def test_recorded_reply_maps_as_judged(case: dict) -> None:
    files = files_of(case)
    edits = map_reply(
        case["reply"],
        files,
        primary=case["primary"],
        request=case["request"],
        readonly=case["readonly"],
    )
    expect = case["expect"]
    assert edits.applied == expect["applied"]
    assert edits.rejected == expect["rejected"]
    assert edits.unchanged == expect["unchanged"]
    assert sorted(edits.texts) == sorted(expect["texts"])
    for rel, text in edits.texts.items():
        want = expect["texts"][rel]
        assert diff(rel, files.get(rel), text) == want["diff"], rel
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == want["sha256"], rel
        if rel.endswith(".py"):
            assert parses(text) == want["parses"], rel
            if case["reply_code_parses"]:
                assert parses(text), f"{rel}: the reply's code parses, the mapped file does not"


def test_recorded_replies_hold_no_other_tool_calls() -> None:
    """Real replies of code in fences are never read as printed `write`/`edit` calls, except the calls a
    case records."""
    tools = [WriteTool.schema(), EditTool.schema()]
    found = {
        c["id"]: [{"name": t.name, "arguments": t.arguments} for t in parse_tool_calls(c["reply"], tools)]
        for c in CASES
    }
    assert found == {c["id"]: c.get("tool_calls", []) for c in CASES}


def test_the_corpus_covers_the_wrappers_small_models_use() -> None:
    kinds = Counter(k for c in CASES for k in c["kinds"])
    for kind in (
        "path-line",
        "bare-fence",
        "nested-fence",
        "comment-path",
        "multi-file",
        "new-file",
        "unchanged",
        "readonly-edit",
        "js-ts",
        "cut-off",
        "placeholder",
        "by-definition",
    ):
        assert kinds[kind] >= 1, kind
    inputs = {json.dumps([c["task"], c["reply"], c.get("before")], sort_keys=True) for c in CASES}
    assert len(inputs) == len({c["id"] for c in CASES}) == len(CASES)  # deduplicated
    assert len(CASES) >= 60
    assert len(REPLAYED) >= 60
    assert sum(bool(c["expect"]["texts"]) for c in REPLAYED) >= 50
    assert all(c.get("note") for c in CASES if c.get("known_wrong"))
