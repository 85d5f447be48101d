"""The parsing layer and the text utilities: one reasoning-tag rule for the reply assembler and the tool-call
parser, one home for fence syntax, one similarity measure, modules kept small."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from skiff.agent.parsing import codeblocks, fences, toolcalls
from skiff.agent.parsing.think import reasoning_spans
from skiff.agent.providers.base import Delta
from skiff.agent.reply import ReplyAssembler
from skiff.agent.text.similarity import SimilarTo, close_matches, similarity

ROOT = Path(__file__).resolve().parent.parent
TOOLS = [{"name": "read", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}]
CALL = '{"name": "read", "arguments": {"path": "a.py"}}'


def assemble(pieces: list[str]) -> tuple[str, str, list[tuple[str, str]]]:
    assembler = ReplyAssembler()
    shown = [assembler.add(Delta(text=p)) for p in pieces]
    message = assembler.message("c")
    return message.content, message.reasoning, shown


@pytest.mark.parametrize("tag", ["think", "thinking", "reasoning", "THINK", "Thinking"])
def test_one_reasoning_rule_for_the_stream_and_the_tool_call_parser(tag: str) -> None:
    text = f"<{tag}>maybe {CALL}</{tag}>Done."
    content, reasoning, _ = assemble([text])
    assert (content, reasoning) == ("Done.", f"maybe {CALL}")
    assert toolcalls.parse_tool_calls(text, TOOLS) == []
    assert reasoning_spans(text) == [(0, len(text) - len("Done."))]


def test_tags_split_across_deltas_are_held_back_until_complete() -> None:
    content, reasoning, shown = assemble(["Hi <thi", "nking>dee", "p</THINK", "ING> ok <", "b"])
    assert (content, reasoning) == ("Hi  ok <b", "deep")
    assert shown[0] == ("Hi ", "")  # `<thi` waits for the next piece
    assert "".join(s[0] for s in shown) == content
    # a closing tag of another name does not close the span: the rest stays reasoning
    assert assemble(["<think>x</thinking>y"])[:2] == ("", "x</thinking>y")


def test_a_lone_closing_tag_makes_all_before_it_reasoning() -> None:
    text = f"draft: {CALL}\n</think>\nNo call needed."
    assert reasoning_spans(text) == [(0, text.index("\nNo"))]
    assert toolcalls.parse_tool_calls(text, TOOLS) == []


def test_fence_syntax_lives_in_one_module() -> None:
    reply = "Here:\n```python\nx = 1\n```\nand\n~~~~\ny\n~~~~\nend"
    blocks = fences.fenced_blocks(reply)
    assert [(b.lang, b.code, b.closed) for b in blocks] == [("python", "x = 1\n", True), ("", "y\n", True)]
    assert fences.wrapping_fence('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert fences.wrapping_fence('text ```json\n{"a": 1}\n```') is None
    assert fences.is_lang_opener("```python") and not fences.is_lang_opener("```")
    assert fences.without_fenced("Done.\n```py\nx\n```\nBye ```open") == "Done.\n\nBye "
    assert codeblocks.fenced_blocks is fences.fenced_blocks  # the code-block readers use the one scanner


def test_one_similarity_measure() -> None:
    assert similarity("abc", "abc") == 1.0 and similarity("abc", "xyz") == 0.0
    long_a, long_b = "ab" * 150, "ab" * 140 + "c" * 20  # 200+ characters: no autojunk
    expected = difflib.SequenceMatcher(None, long_a, long_b, autojunk=False).ratio()
    assert similarity(long_a, long_b) == expected > 0.9
    similar = SimilarTo("def mean(xs):")
    assert [similar(t) for t in ("def mean(ys):", "class X:")] == [
        similarity("def mean(ys):", "def mean(xs):"),
        similarity("class X:", "def mean(xs):"),
    ]
    assert close_matches("raed", ["read", "write", "grep"], n=2) == ["read"]


def test_parsing_and_text_modules_stay_small() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for folder in ("agent/parsing", "agent/text")
        for p in (ROOT / folder).rglob("*.py")
    }
    assert len(sizes) >= 14
    assert {path: n for path, n in sizes.items() if n > 600} == {}
