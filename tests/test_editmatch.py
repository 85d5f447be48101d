"""Search/replace matching: exact, quote- and whitespace-tolerant modes, re-indentation, closest region."""

from __future__ import annotations

import pytest

from skiff.agent.text.editmatch import EditMatchError, apply_edit, block_lines, closest_region, normalize_line

SOURCE = """class Calc:
    def add(self, a, b):
        return a + b

    def sub(self, a, b):
        return a - b
"""


def test_exact_match_replaces_once() -> None:
    out = apply_edit(SOURCE, "return a - b", "return b - a")
    assert out.mode == "exact"
    assert out.text == SOURCE.replace("return a - b", "return b - a")
    assert [(s.first_line, s.last_line) for s in out.spans] == [(6, 6)]


def test_exact_ambiguous_lists_every_line() -> None:
    with pytest.raises(EditMatchError) as exc:
        apply_edit(SOURCE, "self, a, b", "self, x, y")
    assert exc.value.kind == "ambiguous"
    assert exc.value.mode == "exact"
    assert exc.value.lines == [2, 5]


def test_replace_all_changes_every_match() -> None:
    out = apply_edit(SOURCE, "self, a, b", "self, x, y", replace_all=True)
    assert out.text.count("self, x, y") == 2
    assert "self, a, b" not in out.text
    assert len(out.spans) == 2


def test_quote_style_is_equated_and_offsets_map() -> None:
    text = "name = 'skiff'\nprint(\u201chello\u201d)\n"
    out = apply_edit(text, 'name = "skiff"', 'name = "boat"')
    assert out.mode == "quotes"
    assert out.text == 'name = "boat"\nprint(\u201chello\u201d)\n'
    out = apply_edit(text, 'print("hello")', 'print("bye")')
    assert out.text == "name = 'skiff'\nprint(\"bye\")\n"


def test_unindented_old_matches_and_new_is_reindented() -> None:
    old = "def sub(self, a, b):\n    return a - b\n"
    new = "def sub(self, a, b):\n    if a < b:\n        return b - a\n    return a - b\n"
    out = apply_edit(SOURCE, old, new)
    assert out.mode == "lines"
    assert out.text.endswith(
        "    def sub(self, a, b):\n        if a < b:\n            return b - a\n        return a - b\n"
    )
    assert out.spans[0].first_line == 5


def test_reindent_converts_indent_unit_to_the_files() -> None:
    text = "def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n"
    old = "if x:\n    return 1\n"
    new = "if x:\n    y = 1\n    return y\n"
    out = apply_edit(text, old, new)
    assert out.mode == "lines"
    assert out.text == "def f():\n\tif x:\n\t\ty = 1\n\t\treturn y\n\treturn 2\n"


def test_reindent_scales_two_space_model_to_four_space_file() -> None:
    text = "class A:\n    def f(self):\n        if x:\n            go()\n"
    old = "def f(self):\n  if x:\n    go()"
    new = "def f(self):\n  if x:\n    go()\n    for i in y:\n      stop(i)"
    out = apply_edit(text, old, new)
    assert out.text == (
        "class A:\n    def f(self):\n        if x:\n            go()\n"
        "            for i in y:\n                stop(i)\n"
    )


def test_trailing_whitespace_and_crlf_are_tolerated() -> None:
    text = "a = 1   \r\nb = 2\r\nc = 3\r\n"
    out = apply_edit(text, "a = 1\nb = 2\n", "a = 10\nb = 20\n")
    assert out.mode == "lines"
    assert out.text == "a = 10\r\nb = 20\r\nc = 3\r\n"


def test_tolerant_ambiguity_reports_lines() -> None:
    text = "if a:\n    x = 1\nif b:\n        x = 1\n"
    with pytest.raises(EditMatchError) as exc:
        apply_edit(text, "  x = 1", "  x = 2")
    assert exc.value.kind == "ambiguous"
    assert exc.value.lines == [2, 4]


def test_tolerant_delete_removes_whole_lines() -> None:
    text = "keep\n    drop me\nkeep too\n"
    exact = apply_edit(text, "drop me\n", "")
    assert (exact.mode, exact.text) == ("exact", "keep\n    keep too\n")
    out = apply_edit(text, "drop me  \n", "")
    assert (out.mode, out.text) == ("lines", "keep\nkeep too\n")


def test_blank_edge_lines_in_old_are_ignored() -> None:
    text = "x = 1\n    y = 2\nz = 3\n"
    out = apply_edit(text, "\ny = 2\n\n", "\ny = 3\n\n")
    assert out.text == "x = 1\n    y = 3\nz = 3\n"


def test_last_line_without_newline_keeps_none() -> None:
    text = "a\n  b"
    out = apply_edit(text, "b", "c\nd")
    assert out.text == "a\n  c\nd"
    out = apply_edit(text, "a\n b", "a\n b2")
    assert out.text == "a\n  b2"


def test_no_match_raises() -> None:
    with pytest.raises(EditMatchError) as exc:
        apply_edit(SOURCE, "return a * b", "return a / b")
    assert exc.value.kind == "no_match"


def test_closest_region_finds_the_similar_window() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 50)) + "\n" + SOURCE + "\n".join(["tail"] * 30)
    closest = closest_region(text, "def sub(self, a, c):\n    return a - c\n")
    assert closest is not None
    assert closest.lines == ["    def sub(self, a, b):", "        return a - b"]
    assert closest.first_line == 54
    assert closest.last_line == 55
    assert 0.8 < closest.ratio < 1.0


def test_closest_region_on_a_short_file_uses_the_whole_file() -> None:
    closest = closest_region("only\n", "one\ntwo\nthree\n")
    assert closest is not None
    assert (closest.first_line, closest.last_line, closest.lines) == (1, 1, ["only"])
    assert closest_region("", "x") is None


def test_helpers() -> None:
    assert normalize_line("  print( 'a' )  ") == 'print( "a" )'
    assert block_lines("a\nb\n") == ["a", "b"]
    assert block_lines("a\r\n\r\n") == ["a", ""]
    assert block_lines("") == []
