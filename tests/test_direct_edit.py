"""The one-call edit path with a scripted model: one call, real checks (syntax, pytest), repair rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.agent.config import Profile
from skiff.agent.context import RequestContext
from skiff.agent.edit_context import gather
from skiff.agent.events import Event, MechanismFired, ToolCallStarted
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tokens import cl100k
from skiff.agent.tools.base import PermissionAnswer, PermissionRequest
from skiff.agent.verify import missing_imports, related_tests, without_tool_warnings
from skiff.agent.workspace import Overlay, Workspace

CART = "def total(prices, discount=0):\n    return sum(prices) - discount\n"
FIXED = "def total(prices, discount=0):\n    return sum(prices) * (1 - discount)\n"
BROKEN = "def total(prices, discount=0):\n    return sum(prices) * (1 - discount\n"
TEST = (
    "from cart import total\n\n\n"
    "def test_plain():\n    assert total([1, 2]) == 3\n\n\n"
    "def test_total_with_discount():\n    assert total([10, 10], 0.5) == 10\n"
)


def whole(path: str, text: str) -> str:
    return f"{path}\n```python\n{text}```"


def session(root: Path, replies: list, **profile: object) -> tuple[Session, ScriptedProvider]:
    provider = ScriptedProvider(replies)
    settings: dict[str, object] = {"mechanisms": [], "edit_format": "auto", "temperature": 0, **profile}
    prof = Profile(**settings)  # type: ignore[arg-type]
    return Session(provider, Workspace(root), SessionOptions(profile=prof)), provider


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "cart.py").write_text(CART)
    (tmp_path / "test_cart.py").write_text(TEST)
    return tmp_path


async def test_one_call_shows_the_file_without_tools_and_proposes_the_checked_edit(ws: Path) -> None:
    s, provider = session(ws, [whole("cart.py", FIXED)])
    events: list[Event] = []
    result = await s.run_turn(
        "test_total_with_discount fails; fix it", RequestContext(path="cart.py"), events.append
    )
    assert result.model_calls == 1
    request: ChatRequest = provider.requests[0]
    assert request.tools == []
    assert CART in request.messages[-1].content and "cart.py\n```python" in request.messages[-1].content
    assert request.messages[-1].content.rstrip().endswith("test_total_with_discount fails; fix it")
    assert not any(isinstance(e, ToolCallStarted) for e in events)
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == FIXED
    assert result.verification is not None and result.verification.summary == "syntax ok · 2 tests passed"
    assert result.proposal.to_dict()["verification"]["summary"] == "syntax ok · 2 tests passed"
    assert (ws / "cart.py").read_text() == CART, "nothing is written to disk"


async def test_a_failing_test_is_shown_to_the_model_and_the_repair_is_kept(ws: Path) -> None:
    s, provider = session(
        ws, [whole("cart.py", CART.replace("- discount", "+ discount")), whole("cart.py", FIXED)]
    )
    result = await s.run_turn("fix test_total_with_discount", RequestContext(path="cart.py"))
    assert result.model_calls == 2
    repair = provider.requests[1].messages[-1].content
    assert "test_total_with_discount" in repair and "failed" in repair
    assert result.proposal is not None and result.proposal.changes[0].new_text == FIXED
    assert result.verification is not None and result.verification.ok


async def test_repair_rounds_are_bounded_and_the_best_attempt_wins(ws: Path) -> None:
    wrong = CART.replace("- discount", "+ discount")
    s, _ = session(ws, [whole("cart.py", wrong), whole("cart.py", BROKEN)], repair_rounds=1)
    result = await s.run_turn("fix test_total_with_discount", RequestContext(path="cart.py"))
    assert result.model_calls == 2
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == wrong, "a syntax error is worse than a failing test"
    assert result.verification is not None and "1 of 1 tests failed" in result.verification.summary


async def test_syntax_errors_are_caught_without_running_tests(ws: Path) -> None:
    s, provider = session(ws, [whole("cart.py", BROKEN), whole("cart.py", FIXED)])
    result = await s.run_turn("use the discount as a fraction", RequestContext(path="cart.py"))
    assert "syntax" in provider.requests[1].messages[-1].content.lower()
    assert "cart.py, line 2" in provider.requests[1].messages[-1].content
    assert result.proposal is not None and result.proposal.changes[0].new_text == FIXED


async def test_tests_are_not_run_when_switched_off_or_refused(ws: Path) -> None:
    s, _ = session(ws, [whole("cart.py", FIXED)], verify_tests=False)
    result = await s.run_turn("fix the discount", RequestContext(path="cart.py"))
    assert result.verification is not None and result.verification.summary == "syntax ok"

    asked: list[PermissionRequest] = []

    async def reject(req: PermissionRequest) -> PermissionAnswer:
        asked.append(req)
        return "reject"

    s, _ = session(ws, [whole("cart.py", FIXED)])
    s.options.bash_mode = "manual"
    s.ask_permission = reject
    result = await s.run_turn("fix the discount", RequestContext(path="cart.py"))
    assert [r.command for r in asked] == ["python -m pytest -q test_cart.py"]
    assert result.verification is not None
    assert result.verification.summary == "syntax ok · tests not run (not allowed)"


async def test_a_reply_with_no_edit_ends_the_turn_with_its_text(ws: Path) -> None:
    s, _ = session(ws, ["The function subtracts the discount."])
    result = await s.run_turn("make total apply the discount", RequestContext(path="cart.py"))
    assert result.proposal is None and result.model_calls == 1
    assert result.text == "The function subtracts the discount."


async def test_an_unusable_code_reply_gets_one_format_reminder(ws: Path) -> None:
    cut = "cart.py\n```python\ndef total(prices, discount=0):\n"
    s, provider = session(ws, [cut, whole("cart.py", FIXED)])
    result = await s.run_turn("fix the discount", RequestContext(path="cart.py"))
    assert "could not be applied" in provider.requests[1].messages[-1].content
    assert result.proposal is not None and result.proposal.changes[0].new_text == FIXED


async def test_questions_and_the_tools_setting_use_the_tool_loop(ws: Path) -> None:
    s, provider = session(ws, ["It sums the prices."])
    await s.run_turn("what does total do?", RequestContext(path="cart.py"))
    assert "Tools" in provider.requests[0].messages[0].content or provider.requests[0].tools
    s, provider = session(ws, ["Done."], edit_format="tools")
    await s.run_turn("fix the discount", RequestContext(path="cart.py"))
    assert "You are Skiff" in provider.requests[0].messages[0].content


async def test_verification_events_are_emitted(ws: Path) -> None:
    s, _ = session(ws, [whole("cart.py", FIXED)])
    events: list[Event] = []
    await s.run_turn("fix the discount", RequestContext(path="cart.py"), events.append)
    fired = [e for e in events if isinstance(e, MechanismFired) and e.mechanism == "verify"]
    assert [e.detail for e in fired] == ["syntax ok · 2 tests passed"]


def test_gather_shows_named_files_instructions_new_files_and_users_of_a_renamed_name(tmp_path: Path) -> None:
    (tmp_path / "INSTRUCTIONS.md").write_text("# Leap\nA leap year is ...\n")
    (tmp_path / "leap.py").write_text("def leap_year(year):\n    pass\n")
    (tmp_path / "stats.py").write_text("def median(xs):\n    return sorted(xs)[len(xs) // 2]\n")
    (tmp_path / "report.py").write_text("from stats import median\n\nprint(median([3, 1, 2]))\n")
    (tmp_path / "other.py").write_text("x = 1\n")
    overlay = Overlay(Workspace(tmp_path))
    tok = cl100k()
    ctx = gather(overlay, "Implement leap.py as described in INSTRUCTIONS.md", None, tok, 4000)
    assert (
        ctx.primary == "leap.py"
        and list(ctx.files) == ["leap.py"]
        and list(ctx.readonly) == ["INSTRUCTIONS.md"]
    )
    ctx = gather(overlay, "rename median to middle everywhere", RequestContext(path="stats.py"), tok, 4000)
    assert list(ctx.files) == ["stats.py", "report.py"]
    ctx = gather(overlay, "create slug.py with a slugify() function", None, tok, 4000)
    assert ctx.files == {"slug.py": None}
    ctx = gather(overlay, "add a docstring", RequestContext(path="report.py"), tok, 4000)
    assert "stats.py:\n  def median(xs):" in ctx.repo_map


async def test_an_edit_that_breaks_the_syntax_is_never_proposed(ws: Path) -> None:
    s, _ = session(ws, [whole("cart.py", BROKEN), whole("cart.py", BROKEN)])
    result = await s.run_turn("use the discount as a fraction", RequestContext(path="cart.py"))
    assert result.model_calls == 2 and result.proposal is None
    assert result.text.startswith("The model's edit did not parse: ")
    assert "cart.py, line 2" in result.text


async def test_an_answer_that_only_edits_the_read_only_test_is_told_to_change_the_code(ws: Path) -> None:
    cheat = TEST.replace("== 10", "== 20")
    s, provider = session(ws, [whole("test_cart.py", cheat), whole("cart.py", FIXED)])
    result = await s.run_turn("test_cart.py fails; fix the code", RequestContext(path="cart.py"))
    assert "test_cart.py is read-only: leave it as it is" in provider.requests[1].messages[-1].content
    assert result.proposal is not None and [c.path for c in result.proposal.changes] == ["cart.py"]


async def test_a_test_the_request_names_is_shown_read_only(ws: Path) -> None:
    cheat = TEST.replace("== 10", "== 20")
    reply = f"{whole('test_cart.py', cheat)}\n\n{whole('cart.py', FIXED)}"
    s, provider = session(ws, [reply])
    result = await s.run_turn("test_cart.py fails; fix it", RequestContext(path="cart.py"))
    assert "(read-only: test_cart.py" in provider.requests[0].messages[-1].content
    assert result.proposal is not None and [c.path for c in result.proposal.changes] == ["cart.py"]


def test_test_files_are_found_by_name_and_by_import(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_cart.py").write_text("import cart\n")
    (tmp_path / "tests" / "test_misc.py").write_text("from shop.cart import total\n")
    (tmp_path / "tests" / "test_other.py").write_text("import other\n")
    (tmp_path / "cart.test.js").write_text("const c = require('./cart');\n")
    found = related_tests(tmp_path, ["cart.py"])
    assert found == ["cart.test.js", "tests/test_cart.py", "tests/test_misc.py"]


async def test_a_docstring_request_changes_nothing_but_docstrings(ws: Path) -> None:
    sloppy = 'def total(items, discount=0):\n    """Sum minus discount."""\n    return sum(items)\n'
    s, _ = session(ws, [whole("cart.py", sloppy)])
    result = await s.run_turn("add a docstring to total()", RequestContext(path="cart.py"))
    assert result.proposal is not None
    assert result.proposal.changes[0].new_text == (
        'def total(prices, discount=0):\n    """Sum minus discount."""\n    return sum(prices) - discount\n'
    )
    assert result.verification is not None and result.verification.ok


async def test_the_promise_check_can_be_switched_off(ws: Path) -> None:
    sloppy = 'def total(items, discount=0):\n    """Sum minus discount."""\n    return sum(items)\n'
    s, _ = session(ws, [whole("cart.py", sloppy)], verify_intent=False)
    result = await s.run_turn("add a docstring to total()", RequestContext(path="cart.py"))
    assert result.proposal is not None and result.proposal.changes[0].new_text == sloppy


async def test_when_the_promise_cannot_be_kept_nothing_is_proposed_and_the_reason_is_said(ws: Path) -> None:
    s, provider = session(ws, [whole("cart.py", FIXED), whole("cart.py", FIXED)])
    result = await s.run_turn("add a docstring to total()", RequestContext(path="cart.py"))
    assert "`total` has no docstring" in provider.requests[1].messages[-1].content
    assert result.proposal is None
    assert result.text == "The model could not do this: `total` has no docstring."


async def test_a_follow_up_in_the_same_chat_sees_the_earlier_requests(ws: Path) -> None:
    s, provider = session(ws, [whole("cart.py", FIXED), whole("cart.py", FIXED + "\n\nTAX = 0.2\n")])
    await s.run_turn("apply the discount as a fraction", RequestContext(path="cart.py"))
    await s.run_turn("now also add a TAX constant", RequestContext(path="cart.py"))
    second = provider.requests[1].messages[-1].content
    assert "Earlier requests in this chat:\n- apply the discount as a fraction" in second
    assert second.rstrip().endswith("now also add a TAX constant")
    assert "Earlier requests" not in provider.requests[0].messages[-1].content


async def test_paths_outside_the_workspace_are_neither_shown_nor_written(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / "outside.py"
    request = (
        'fix this:\nTraceback (most recent call last):\n  File "/home/sam/app/main.py", line 3\n'
        f'  File "/srv/x/cart.py", line 2, in total\nTypeError: bad discount; also create {outside}'
    )
    reply = f"{outside}\n```python\nprint(1)\n```\n\n../escape.py\n```python\nx = 1\n```\n\n" + whole(
        "cart.py", FIXED
    )
    s, provider = session(ws, [reply])
    result = await s.run_turn(request)
    assert "cart.py\n```python" in provider.requests[0].messages[-1].content  # named by the traceback's path
    assert result.proposal is not None and [c.path for c in result.proposal.changes] == ["cart.py"]
    assert not outside.exists() and not (ws.parent / "escape.py").exists()


async def test_a_name_the_edit_uses_but_never_defines_is_a_failed_check(ws: Path) -> None:
    uses = "def total(prices, discount=0):\n    return apply_discount(sum(prices), discount)\n"
    s, provider = session(ws, [whole("cart.py", uses), whole("cart.py", FIXED)])
    result = await s.run_turn("use the discount as a fraction", RequestContext(path="cart.py"))
    repair = provider.requests[1].messages[-1].content
    assert "cart.py:2: undefined name 'apply_discount'" in repair
    assert result.proposal is not None and result.proposal.changes[0].new_text == FIXED


async def test_a_reply_that_repeats_the_file_unchanged_is_told_so(ws: Path) -> None:
    s, provider = session(ws, [whole("cart.py", CART), whole("cart.py", FIXED)])
    result = await s.run_turn("fix the discount", RequestContext(path="cart.py"))
    reminder = provider.requests[1].messages[-1].content
    assert reminder.startswith("Your answer repeats cart.py without any change.")
    assert reminder.endswith("The request: fix the discount")
    assert result.proposal is not None and result.proposal.changes[0].new_text == FIXED


async def test_a_fix_stated_only_in_prose_after_the_reminder_is_proposed_and_checked(ws: Path) -> None:
    prose = (
        "The line `return sum(prices) - discount` is wrong: it should be "
        "`return sum(prices) * (1 - discount)`."
    )
    s, provider = session(ws, [whole("cart.py", CART), prose])
    result = await s.run_turn("fix the discount", RequestContext(path="cart.py"))
    assert provider.requests[1].messages[-1].content.startswith("Your answer repeats cart.py")
    assert result.model_calls == 2
    assert result.proposal is not None and result.proposal.changes[0].new_text == FIXED
    assert result.verification is not None and result.verification.summary == "syntax ok · 2 tests passed"


async def test_a_half_done_move_is_completed_in_one_call(tmp_path: Path) -> None:
    utils = "def chunk(xs):\n    return [xs]\n\n\ndef parse(x):\n    return int(x)\n"
    (tmp_path / "utils.py").write_text(utils)
    (tmp_path / "app.py").write_text("from utils import chunk, parse\n\nprint(parse('1'), chunk([]))\n")
    reply = (
        whole("parsing.py", "def parse(x):\n    return int(x)\n")
        + "\n\n"
        + whole(
            "app.py",
            "from utils import chunk, parse\nfrom parsing import parse\n\nprint(parse('1'), chunk([]))\n",
        )
    )
    s, _ = session(tmp_path, [reply])
    result = await s.run_turn("move parse() from utils.py into a new module parsing.py and update app.py")
    assert result.model_calls == 1
    assert result.proposal is not None
    texts = {Path(c.path).name: c.new_text for c in result.proposal.changes}
    assert texts["utils.py"] == "def chunk(xs):\n    return [xs]\n"
    assert (
        texts["app.py"]
        == "from utils import chunk\nfrom parsing import parse\n\nprint(parse('1'), chunk([]))\n"
    )
    assert texts["parsing.py"] == "def parse(x):\n    return int(x)\n"
    assert result.verification is not None and result.verification.ok


def test_auto_explain_reasons_first_for_new_code_and_not_for_bug_reports() -> None:
    from skiff.agent.direct_edit import explains

    auto = Profile(editExplain="auto")
    for request in [
        "add a --verbose flag that prints each file name",
        "Implement acronym.py as described in INSTRUCTIONS.md",
        "kelvin_to_celsius() should raise a ValueError when kelvin is negative",
    ]:
        assert explains(auto, request), request
    for request in [
        "clamp() returns the wrong bound; fix it",
        "test_total_with_discount fails",
        "average() crashes on an empty list",
        "lastItems(list, 3) returns 4 items instead of 3",
        "running main.py:\n\nTraceback (most recent call last):\n  ...",
    ]:
        assert not explains(auto, request), request
    assert explains(Profile(editExplain=True), "fix it") and not explains(Profile(), "add a flag")


async def test_the_auto_prompt_style_follows_the_request(ws: Path) -> None:
    s, provider = session(ws, [whole("cart.py", FIXED), whole("cart.py", FIXED)], edit_explain="auto")
    await s.run_turn("test_total_with_discount fails; fix it", RequestContext(path="cart.py"))
    await s.run_turn("make total take the discount as a fraction", RequestContext(path="cart.py"))
    assert "First say" not in provider.requests[0].messages[0].content
    assert "First say" in provider.requests[1].messages[0].content


def test_warnings_installed_packages_print_about_themselves_are_not_shown_in_a_repair() -> None:
    out = (
        "F\n=== FAILURES ===\ntest_v.py:7: in test_ok\nE   AssertionError: True is not false\n"
        "FAILED test_v.py::test_ok - AssertionError\n1 failed in 0.47s\n"
        "/venv/lib/python3.11/site-packages/pytest_asyncio/plugin.py:306: PytestDeprecationWarning: The "
        'configuration option "asyncio_default_fixture_loop_scope" is unset.\nThe event loop scope ...\n\n'
        "  warnings.warn(PytestDeprecationWarning(_DEFAULT_FIXTURE_LOOP_SCOPE_UNSET))\n"
    )
    cleaned = without_tool_warnings(out)
    assert cleaned == out[: out.index("/venv/")]
    # the project's own warnings (not from an installed package) stay
    own = "app.py:3: UserWarning: slow path\n  warnings.warn('slow path')\n"
    assert without_tool_warnings(own) == own


def test_an_import_of_a_name_a_workspace_module_does_not_define_is_found() -> None:
    files = {
        "utils.py": "import re\nfrom os import path as p\n\n\ndef chunk(xs):\n    return xs\n\n\nLIMIT = 3\n",
        "pkg/__init__.py": "try:\n    from json import loads\nexcept ImportError:\n    loads = None\n",
        "pkg/sub.py": "X = 1\n",
        "lazy.py": "def __getattr__(name):\n    return name\n",
    }
    text = (
        "from utils import chunk, LIMIT, re, p, parse\n"
        "from pkg import loads, sub, nothing\n"
        "from lazy import anything\n"
        "from requests import get\n"  # not a workspace module
        "from . import helpers\n"
    )
    found = missing_imports(text, "app.py", files.get)
    assert found == [
        "app.py:1: cannot import name 'parse' from 'utils'",
        "app.py:2: cannot import name 'nothing' from 'pkg'",
    ]
    # relative imports resolve from the file's own package
    assert missing_imports("from .sub import X, Y\n", "pkg/mod.py", files.get) == [
        "pkg/mod.py:1: cannot import name 'Y' from '.sub'"
    ]


async def test_an_import_left_pointing_at_the_old_module_is_a_failed_check(ws: Path) -> None:
    (ws / "money.py").write_text("def fmt(v):\n    return str(v)\n")
    edited = "from money import format_amount\n\n\n" + CART.replace("- discount", "- format_amount(discount)")
    s, _ = session(ws, [whole("cart.py", edited)], repair_rounds=0)
    result = await s.run_turn("use format_amount in total", RequestContext(path="cart.py"))
    assert result.verification is not None
    assert "cannot import name 'format_amount' from 'money'" in result.verification.summary
