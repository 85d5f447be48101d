"""Requests that promise behaviour stays the same: docstrings grafted onto the original, checks that fail."""

from __future__ import annotations

from skiff.agent.intent import check, complete_move, enforce, read_intent

STATS = (
    "def mean(xs):\n    return sum(xs) / len(xs)\n\n\n"
    "class Box:\n    def size(self, n):\n        return n * 2\n"
)


def test_kinds_read_from_the_request() -> None:
    assert read_intent("add a docstring to mean()").kind == "docstring"  # type: ignore[union-attr]
    assert read_intent("add a docstring to mean()").names == ["mean"]  # type: ignore[union-attr]
    assert read_intent("document `Box`").names == ["Box"]  # type: ignore[union-attr]
    hints = read_intent("add type hints to size()")
    assert hints is not None and (hints.kind, hints.names) == ("type_hints", ["size"])
    rename = read_intent("rename the function median to middle")
    assert rename is not None and (rename.kind, rename.old, rename.new) == ("rename", "median", "middle")
    across = read_intent("rename net_price() in shop/pricing.py to discounted_price() and update its users")
    assert across is not None and (across.old, across.new) == ("net_price", "discounted_price")
    assert read_intent("fix the bug in mean() and update its docstring") is None
    assert read_intent("make mean() return 0.0 for an empty list") is None


def test_docstrings_are_grafted_onto_the_original_code() -> None:
    model = (
        'def mean(values):\n    """Arithmetic mean.\n\n        Empty input fails.\n    """\n'
        "    return sum(values) / max(len(values), 1)\n\n\n"
        'class Box:\n    """A box."""\n    def size(self, n):\n        """Twice n."""\n        return n + n\n'
    )
    out = enforce(read_intent("add docstrings"), "stats.py", STATS, model)  # type: ignore[arg-type]
    assert out == (
        'def mean(xs):\n    """Arithmetic mean.\n\n    Empty input fails.\n    """\n'
        "    return sum(xs) / len(xs)\n\n\n"
        'class Box:\n    """A box."""\n    def size(self, n):\n        """Twice n."""\n        return n * 2\n'
    )


def test_a_module_docstring_is_set_apart_from_the_code() -> None:
    model = '"""Statistics."""\n' + STATS
    out = enforce(read_intent("add docstrings"), "stats.py", STATS, model.replace("xs", "v"))  # type: ignore[arg-type]
    assert out == '"""Statistics."""\n\n' + STATS


def test_a_docstring_only_change_is_kept_as_the_model_wrote_it() -> None:
    model = STATS.replace("def mean(xs):\n", "def mean(xs):\n    '''Mean.'''\n")
    assert enforce(read_intent("add a docstring to mean()"), "stats.py", STATS, model) == model  # type: ignore[arg-type]


def test_checks_name_what_is_missing_or_changed() -> None:
    doc = read_intent("add a docstring to mean()")
    assert doc is not None
    failed = check(doc, {"stats.py": (STATS, STATS)})
    assert failed is not None and failed.summary == "`mean` has no docstring" and not failed.ok
    changed = STATS.replace("def mean(xs):\n", 'def mean(xs):\n    """M."""\n').replace("/ len", "// len")
    assert "the code changed too" in check(doc, {"stats.py": (STATS, changed)}).details  # type: ignore[union-attr]
    ok = STATS.replace("def mean(xs):\n", 'def mean(xs):\n    """M."""\n')
    assert check(doc, {"stats.py": (STATS, ok)}) is None

    hints = read_intent("add type hints to size()")
    assert hints is not None
    typed = STATS.replace("def size(self, n):", "def size(self, n: int) -> int:")
    assert check(hints, {"stats.py": (STATS, typed)}) is None
    assert check(hints, {"stats.py": (STATS, STATS)}).summary == "`size` has no type hints"  # type: ignore[union-attr]
    assert "code changed" in check(hints, {"stats.py": (STATS, typed.replace("n * 2", "n * 3"))}).details  # type: ignore[union-attr]


def test_a_rename_must_reach_every_shown_file() -> None:
    rename = read_intent("rename mean to average")
    assert rename is not None
    lib = STATS.replace("def mean", "def average")
    app_old, app_new = (
        "from stats import mean\nprint(mean([1]))\n",
        "from stats import average\nprint(average([1]))\n",
    )
    assert check(rename, {"stats.py": (STATS, lib), "app.py": (app_old, app_new)}) is None
    left = check(rename, {"stats.py": (STATS, lib), "app.py": (app_old, app_old)})
    assert left is not None and left.summary == "app.py still uses `mean`"
    assert check(rename, {"stats.py": (STATS, STATS)}).details.count("- ") == 2  # type: ignore[union-attr]


def test_a_move_leaves_the_old_module_and_lands_in_the_new_one() -> None:
    move = read_intent("move parse() from utils.py into a new module parsing.py and update the import")
    assert move is not None and (move.kind, move.names, move.old, move.new) == (
        "move",
        ["parse"],
        "utils.py",
        "parsing.py",
    )
    utils = "def parse(x):\n    return int(x)\n\n\ndef other():\n    pass\n"
    moved = {
        "utils.py": (utils, "def other():\n    pass\n"),
        "parsing.py": (None, "def parse(x):\n    return int(x)\n"),
    }
    assert check(move, moved) is None
    copied = {"utils.py": (utils, utils), "parsing.py": (None, "def parse(x):\n    return int(x)\n")}
    assert check(move, copied).summary == "utils.py still defines `parse`"  # type: ignore[union-attr]
    assert "parsing.py does not define `parse`" in check(move, {"utils.py": (utils, utils)}).details  # type: ignore[union-attr]


MOVE = "move parse() from utils.py into a new module parsing.py and update the import in app.py"
UTILS = (
    '"""Helpers."""\n\nimport re\n\n\ndef chunk(xs):\n    return [xs]\n\n\n'
    "@cache\ndef parse(x):\n    return int(x)\n\n\ndef other():\n    pass\n"
)


def test_a_half_done_move_is_completed_and_the_import_repointed() -> None:
    # What Qwen2.5-Coder-1.5B answered: the new module written, the old definition left, and the old
    # import kept beside a new one.
    move = read_intent(MOVE)
    assert move is not None
    texts = {
        "utils.py": UTILS,
        "parsing.py": "def parse(x):\n    return int(x)\n",
        "app.py": "from utils import chunk, parse\nfrom parsing import parse\n\nprint(parse('1'))\n",
    }
    done = complete_move(move, texts)
    assert done["utils.py"] == (
        '"""Helpers."""\n\nimport re\n\n\ndef chunk(xs):\n    return [xs]\n\n\ndef other():\n    pass\n'
    )
    assert done["app.py"] == "from utils import chunk\nfrom parsing import parse\n\nprint(parse('1'))\n"
    after = {p: (texts[p], done.get(p, texts[p])) for p in texts}
    assert check(move, after) is None


def test_a_move_import_alone_is_repointed_and_a_last_definition_leaves_no_blank_tail() -> None:
    move = read_intent(MOVE)
    assert move is not None
    utils = "def chunk(xs):\n    return [xs]\n\n\ndef parse(x):\n    return int(x)\n"
    texts = {
        "utils.py": utils,
        "parsing.py": "def parse(x):\n    return int(x)\n",
        "app.py": "from utils import parse\n",
    }
    done = complete_move(move, texts)
    assert done == {"utils.py": "def chunk(xs):\n    return [xs]\n", "app.py": "from parsing import parse\n"}


def test_an_old_import_brought_back_after_the_move_is_repointed() -> None:
    # A repair round's answer rewrote scheduler.py with the old import again, the move itself done.
    move = read_intent(MOVE)
    assert move is not None
    texts = {
        "utils.py": "def chunk(xs):\n    return [xs]\n",
        "parsing.py": "def parse(x):\n    return int(x)\n",
        "app.py": "from utils import chunk, parse\nfrom parsing import parse\n",
    }
    assert complete_move(move, texts) == {"app.py": "from utils import chunk\nfrom parsing import parse\n"}


def test_a_move_is_left_alone_when_it_cannot_be_finished_safely() -> None:
    move = read_intent(MOVE)
    assert move is not None
    new = "def parse(x):\n    return int(x)\n"
    uses_it = "def parse(x):\n    return int(x)\n\n\ndef twice(x):\n    return 2 * parse(x)\n"
    assert complete_move(move, {"utils.py": uses_it, "parsing.py": new}) == {}  # the source still calls it
    assert complete_move(move, {"utils.py": UTILS}) == {}  # the model never wrote the new module
    assert complete_move(move, {"utils.py": UTILS, "parsing.py": "def parse(:\n"}) == {}  # does not parse
    assert (
        complete_move(move, {"utils.py": "def chunk(xs):\n    return xs\n", "parsing.py": new}) == {}
    )  # done
    docstring = read_intent("add a docstring to parse()")
    assert docstring is not None and complete_move(docstring, {"utils.py": UTILS, "parsing.py": new}) == {}
