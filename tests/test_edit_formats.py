"""Replies of the one-call edit path mapped onto files, whatever wrapper the model used."""

from __future__ import annotations

import json

from skiff.agent.edit_formats import exported_names, instructions, map_reply, render_file

STATS = (
    "def mean(xs):\n    return sum(xs) / len(xs)\n\n\n"
    "def median(xs):\n    ordered = sorted(xs)\n    return ordered[len(ordered) // 2]\n\n\n"
    "def spread(xs):\n    return max(xs) - min(xs)\n"
)
DOC = STATS.replace("def mean(xs):\n", 'def mean(xs):\n    """Arithmetic mean."""\n')


def fence(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code}```"


def test_whole_file_after_its_path_line_replaces_the_file() -> None:
    edits = map_reply(f"stats.py\n{fence(DOC)}", {"stats.py": STATS}, primary="stats.py")
    assert edits.texts == {"stats.py": DOC}
    assert edits.applied == ["stats.py: whole file"]


def test_a_bare_fence_goes_to_the_primary_file_and_a_copied_example_path_still_resolves() -> None:
    assert map_reply(fence(DOC), {"stats.py": STATS}, primary="stats.py").texts == {"stats.py": DOC}
    copied = f"path/to/stats.py\n{fence(DOC)}"
    assert map_reply(copied, {"stats.py": STATS}, primary="stats.py").texts == {"stats.py": DOC}


def test_a_function_alone_is_mapped_onto_its_definition() -> None:
    code = 'def mean(xs):\n    """Arithmetic mean."""\n    return sum(xs) / len(xs)\n'
    reply = f"Here you go:\n```python\n{code}```"
    edits = map_reply(reply, {"stats.py": STATS}, primary="stats.py")
    assert edits.texts == {"stats.py": DOC}


def test_whole_file_that_drops_a_definition_keeps_it_unless_the_request_removes_it() -> None:
    dropped = DOC.replace("\n\ndef spread(xs):\n    return max(xs) - min(xs)\n", "")
    edits = map_reply(fence(dropped), {"stats.py": STATS}, primary="stats.py", request="document mean")
    assert "def spread" in edits.texts["stats.py"]
    assert '"""Arithmetic mean."""' in edits.texts["stats.py"]
    removal = map_reply(fence(dropped), {"stats.py": STATS}, primary="stats.py", request="remove spread()")
    assert removal.texts["stats.py"] == dropped


def test_a_rename_in_a_whole_file_is_accepted() -> None:
    renamed = STATS.replace("median", "middle")
    edits = map_reply(fence(renamed), {"stats.py": STATS}, primary="stats.py", request="rename median")
    assert edits.texts == {"stats.py": renamed}


def test_cut_off_or_elided_whole_files_are_not_taken_as_the_file() -> None:
    cut = "```python\n" + DOC[:40]
    assert map_reply(cut, {"stats.py": STATS}, primary="stats.py").empty
    elided = (
        'def mean(xs):\n    """Arithmetic mean."""\n    return sum(xs) / len(xs)\n\n# ... rest unchanged\n'
    )
    edits = map_reply(fence(elided), {"stats.py": STATS}, primary="stats.py")
    assert "def spread" in edits.texts.get("stats.py", STATS)


def test_several_files_each_after_its_path() -> None:
    app = "from stats import median\n\nprint(median([1, 2, 3]))\n"
    reply = (
        f"stats.py\n{fence(STATS.replace('median', 'middle'))}\n\n"
        f"app.py\n{fence(app.replace('median', 'middle'))}\n"
    )
    edits = map_reply(reply, {"stats.py": STATS, "app.py": app}, primary="stats.py", request="rename median")
    assert edits.texts["app.py"] == app.replace("median", "middle")
    assert "def middle" in edits.texts["stats.py"]


def test_a_new_file_named_by_the_reply_is_created_but_read_only_files_are_not_touched() -> None:
    test = fence("from stats import mean\n")
    reply = f"test_stats.py\n{test}\n\nNOTES.md\n{fence('changed', 'markdown')}"
    edits = map_reply(
        reply, {"stats.py": STATS, "NOTES.md": "notes"}, primary="stats.py", readonly=["NOTES.md"]
    )
    assert edits.texts == {"test_stats.py": "from stats import mean\n"}


def test_path_in_the_info_string_or_in_a_first_line_comment() -> None:
    info = map_reply(f"```python stats.py\n{DOC}```", {"stats.py": STATS, "b.py": ""}, primary="b.py")
    assert info.texts == {"stats.py": DOC}
    comment = map_reply(f"```python\n# stats.py\n{DOC}```", {"stats.py": STATS, "b.py": ""}, primary="b.py")
    assert comment.texts == {"stats.py": DOC}


def test_search_replace_blocks_and_printed_tool_calls() -> None:
    sr = (
        "stats.py\n<<<<<<< SEARCH\ndef mean(xs):\n=======\n"
        'def mean(xs):\n    """Arithmetic mean."""\n>>>>>>> REPLACE\n'
    )
    assert map_reply(sr, {"stats.py": STATS}, primary="stats.py").texts == {"stats.py": DOC}
    write = json.dumps({"name": "write", "arguments": {"path": "stats.py", "content": DOC}})
    assert map_reply(f"```json\n{write}\n```", {"stats.py": STATS}, primary="stats.py").texts == {
        "stats.py": DOC
    }
    edit = json.dumps(
        {
            "name": "edit",
            "arguments": {
                "path": "stats.py",
                "old_string": "def mean(xs):\n",
                "new_string": 'def mean(xs):\n    """Arithmetic mean."""\n',
            },
        }
    )
    assert map_reply(f"```json\n{edit}\n```", {"stats.py": STATS}, primary="stats.py").texts == {
        "stats.py": DOC
    }


def test_prose_and_json_data_are_not_edits() -> None:
    assert map_reply("The mean divides the sum by the count.", {"stats.py": STATS}, primary="stats.py").empty
    data = '```json\n{"mean": 2}\n```'
    assert map_reply(data, {"stats.py": STATS}, primary="stats.py").empty


def test_instructions_name_the_request_file_and_render_file_fences_it() -> None:
    assert "`stats.py` on one line, then ```python" in instructions("whole", "stats.py")
    assert "<" not in instructions("whole", "stats.py"), "no placeholder a small model could copy"
    assert "<<<<<<< SEARCH" in instructions("search_replace", "stats.py")
    assert "First say in one or two sentences" in instructions("whole", "stats.py", explain=True)
    assert "First say" not in instructions("whole", "stats.py")
    assert render_file("a.js", "x\n") == "a.js\n```javascript\nx\n```"
    assert render_file("a.md", "```x```").startswith("a.md\n````markdown")


def test_a_whole_js_file_that_drops_its_exports_is_mapped_by_definition() -> None:
    base = (
        "function add(a, b) {\n  return a - b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n\n"
        "module.exports = { add, sub };\n"
    )
    fixed = "function add(a, b) {\n  return a + b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n"
    edits = map_reply(fence(fixed, "javascript"), {"math.js": base}, primary="math.js", request="fix add")
    assert edits.texts["math.js"] == base.replace("a - b;\n}\n\nfunction sub", "a + b;\n}\n\nfunction sub")
    assert exported_names(base, "math.js") == {"add", "sub"}
    assert exported_names("export function f() {}\nexport { g as h, k };\nexports.z = 1;\n", "m.ts") == {
        "f",
        "g",
        "k",
        "z",
    }


def test_a_bug_report_that_says_remove_does_not_license_dropping_exports() -> None:
    base = (
        "class TodoList {\n  remove(id) {\n    this.todos.splice(id);\n  }\n}\n\n"
        "class TodoError extends Error {}\n\nmodule.exports = { TodoList, TodoError };\n"
    )
    reply = base.replace("splice(id)", "splice(id, 1)").replace(
        "\nmodule.exports = { TodoList, TodoError };\n", ""
    )
    request = "TodoList.remove(id) also deletes every todo after the one I remove; fix it"
    edits = map_reply(fence(reply, "javascript"), {"todo.js": base}, primary="todo.js", request=request)
    assert edits.texts == {"todo.js": base.replace("splice(id)", "splice(id, 1)")}
    dropped = base.replace("\nclass TodoError extends Error {}\n", "").replace(", TodoError", "")
    removal = map_reply(
        fence(dropped, "javascript"), {"todo.js": base}, primary="todo.js", request="remove TodoError"
    )
    assert removal.texts == {"todo.js": dropped}


PAGES = (
    "def page(items, number, per_page=10):\n"
    "    start = number * per_page\n"
    "    return items[start : start + per_page]\n"
)


def test_a_change_stated_in_prose_is_applied_when_it_is_unambiguous() -> None:
    fixed = PAGES.replace("start = number * per_page", "start = (number - 1) * per_page")
    for reply in [
        "The line `start = number * per_page` in the function `page` is incorrect. "
        "It should be `start = (number - 1) * per_page`.",
        "Change `start = number * per_page` to `start = (number - 1) * per_page`.",
        "Replace `number * per_page` with `(number - 1) * per_page` and it works.",
        "Use `start = (number - 1) * per_page` instead of `start = number * per_page`.",
    ]:
        out = map_reply(reply, {"pages.py": PAGES}, primary="pages.py")
        assert out.texts == {"pages.py": fixed}, reply
        assert out.applied == ["pages.py: the change stated in the answer"]


def test_prose_that_does_not_pin_down_one_change_is_not_an_edit() -> None:
    for reply in [
        # the old code is not in the file
        "`start = number + per_page` should be `start = (number - 1) * per_page`.",
        # the old code is there twice
        "`per_page` should be `per_page - 1`.",
        # a bare name, not a line of code
        "The function `page` should be `paginate`.",
        # nothing says the one becomes the other
        "`start = number * per_page` computes the offset; `return items[start : start + 1]` is wrong.",
        # two different changes for the same code
        "`start = number * per_page` should be `start = number`. Or change `start = number * per_page` to "
        "`start = 0`.",
        # the new code shares no name with the old
        "`start = number * per_page` should be `x = 1`.",
        # a paragraph apart
        "Look at `start = number * per_page`.\n\nIt should be `start = (number - 1) * per_page`.",
    ]:
        assert map_reply(reply, {"pages.py": PAGES}, primary="pages.py").empty, reply


def test_a_prose_change_never_touches_a_read_only_file_and_code_blocks_take_precedence() -> None:
    reply = "`start = number * per_page` should be `start = (number - 1) * per_page`."
    assert map_reply(reply, {"pages.py": PAGES}, primary="pages.py", readonly=["pages.py"]).empty
    with_code = reply + "\n\n```python\n" + PAGES.replace("number *", "(number + 5) *") + "```"
    out = map_reply(with_code, {"pages.py": PAGES}, primary="pages.py")
    assert "(number + 5) * per_page" in out.texts["pages.py"]


def test_one_fence_holding_several_files_after_comment_lines_is_split_per_file() -> None:
    csv_src = "import csv\n\n\ndef to_csv(rows):\n    return f'{rows[0]:,.2f}'\n"
    json_src = "import json\n\n\ndef to_json(rows):\n    return f'{rows[0]:,.2f}'\n"
    csv_new = "import csv\nfrom money import fmt\n\n\ndef to_csv(rows):\n    return fmt(rows[0])\n"
    json_new = "import json\nfrom money import fmt\n\n\ndef to_json(rows):\n    return fmt(rows[0])\n"
    reply = (
        "1. Create `money.py`:\n```python\n# money.py\n\ndef fmt(v):\n    return f'{v:,.2f}'\n```\n\n"
        f"2. Use it in both:\n```python\n# export_csv.py\n{csv_new}\n\n# export_json.py\n{json_new}```\n"
    )
    files = {"export_csv.py": csv_src, "export_json.py": json_src, "money.py": None}
    out = map_reply(reply, files, primary=None)
    assert out.texts == {
        "money.py": "\ndef fmt(v):\n    return f'{v:,.2f}'\n",
        "export_csv.py": csv_new,
        "export_json.py": json_new,
    }
    # a comment naming a file in the middle of code, not after a blank line, is just a comment
    commented = csv_new.replace("fmt\n", "fmt\n# export_json.py\n", 1)
    single = f"```python\n# export_csv.py\n{commented}```"
    assert map_reply(single, {"export_csv.py": csv_src}, primary="export_csv.py").texts == {
        "export_csv.py": commented
    }
