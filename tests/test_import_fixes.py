"""Imports put right mechanically on a model's Python edit (agent/import_fixes.py)."""

from __future__ import annotations

from skiff.agent.import_fixes import add_stdlib_imports, fix_imports, hoist_future_imports


def test_future_imports_left_below_code_are_hoisted_after_the_docstring() -> None:
    text = (
        '# export_csv.py\n"""CSV export."""\n\ndef helper():\n    return 1\n\n'
        "from __future__ import annotations\n\nimport csv\n"
    )
    out = hoist_future_imports("export_csv.py", text)
    assert out == (
        '# export_csv.py\n"""CSV export."""\n\nfrom __future__ import annotations\n\n'
        "def helper():\n    return 1\n\n\nimport csv\n"
    )
    compile(out, "export_csv.py", "exec")
    bare = "x = 1\nfrom __future__ import annotations\n"
    assert hoist_future_imports("m.py", bare) == "from __future__ import annotations\n\nx = 1\n"
    fine = '"""Doc."""\nfrom __future__ import annotations\n'
    assert hoist_future_imports("m.py", fine) == fine, "a file that parses is left alone"
    broken = "def f(:\nfrom __future__ import annotations\n"
    assert hoist_future_imports("m.py", broken) == broken, "other syntax errors are the check's to report"
    assert hoist_future_imports("m.js", bare) == bare


def test_a_standard_module_used_but_not_imported_is_imported_after_the_docstring() -> None:
    # What Qwen2.5-Coder-1.5B wrote when it moved a parser into a new module.
    moved = (
        '"""Parse durations."""\n\nfrom __future__ import annotations\n\n'
        '_DURATION = re.compile(r"(\\d+)([hms])")\n\n\ndef now():\n    return time.time()\n'
    )
    assert add_stdlib_imports("durations.py", moved) == (
        '"""Parse durations."""\n\nfrom __future__ import annotations\n\nimport re\nimport time\n\n'
        '_DURATION = re.compile(r"(\\d+)([hms])")\n\n\ndef now():\n    return time.time()\n'
    )
    # above existing imports when there are some, and nothing without a docstring to follow
    assert add_stdlib_imports("m.py", "import os\n\nx = re.sub('a', 'b', os.sep)\n") == (
        "import re\nimport os\n\nx = re.sub('a', 'b', os.sep)\n"
    )


def test_names_that_are_not_missing_standard_modules_are_left_alone() -> None:
    for text in [
        "import re\nx = re.compile('a')\n",  # imported already
        "def f(re):\n    return re.compile('a')\n",  # a parameter
        "x = requests.get('u')\n",  # not in the standard library
        "x = undefined_thing\n",  # not used as a module
        "x = re.compile(\n",  # does not parse
    ]:
        assert add_stdlib_imports("m.py", text) == text, text
    assert add_stdlib_imports("m.js", "x = re.compile('a')\n") == "x = re.compile('a')\n"


def test_fix_imports_does_both() -> None:
    text = "x = json.dumps(1)\nfrom __future__ import annotations\n"
    assert (
        fix_imports("m.py", text)
        == "from __future__ import annotations\n\nimport json\n\nx = json.dumps(1)\n"
    )
