"""The bound a validation request names, and the check that the edit compares with it (Python and JS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff.agent.context import RequestContext
from skiff.agent.request_bounds import check, compares_with, read_bound
from tests.test_direct_edit import session

USER_JS = (
    "function createUser(name, age) {\n"
    "  return { name: name.trim(), age };\n"
    "}\n\nmodule.exports = { createUser };\n"
)
NO_BOUND = USER_JS.replace(
    "  return", '  if (!Number.isInteger(age)) {\n    throw new Error("bad age");\n  }\n  return'
)
WITH_BOUND = NO_BOUND.replace("!Number.isInteger(age)", "!Number.isInteger(age) || age < 0")
REQUEST = "createUser() should throw an Error when age is not a whole number of 0 or more"


@pytest.mark.parametrize(
    ("request_text", "phrase", "reject", "subject"),
    [
        (REQUEST, "0 or more", "< 0", "age"),
        ("kelvin_to_celsius() should raise ValueError when kelvin is negative", "negative", "< 0", "kelvin"),
        ("raise ValueError when n is not positive", "positive", "<= 0", "n"),
        ("throw if count is at least 10", "at least 10", ">= 10", "count"),
        ("size must not exceed 10; raise ValueError otherwise", "exceed 10", "> 10", "size"),
        ("age must be 0 or more, raise ValueError otherwise", "0 or more", "< 0", "age"),
        ("reject negative amounts with a ValueError", "negative", "< 0", None),
        ("validate that ratio is less than 1.5", "less than 1.5", ">= 1.5", None),
    ],
)
def test_the_bound_and_the_side_it_rejects_are_read_from_the_request(
    request_text: str, phrase: str, reject: str, subject: str | None
) -> None:
    bound = read_bound(request_text)
    assert bound is not None
    assert (bound.phrase, bound.reject, bound.subject) == (phrase, reject, subject)


@pytest.mark.parametrize(
    "request_text",
    [
        "add a --verbose flag that prints each file name",
        "return the 3 largest values",  # a number, but nothing is rejected
        "fix the negative discount bug in total()",  # no raise/throw/reject asked
    ],
)
def test_requests_that_ask_for_no_rejection_name_no_bound(request_text: str) -> None:
    assert read_bound(request_text) is None


@pytest.mark.parametrize(
    ("line", "value", "expected"),
    [
        ("if (age < 0) {", "0", True),
        ("if not 0 <= x:", "0", True),
        ("if x >= 0.0:", "0", True),
        ("if (n === 10) return;", "10", True),
        ("if kelvin < ABSOLUTE_ZERO_C:", "0", False),
        ("if x10 < 3:", "0", False),
        ("if x < -1:", "1", False),
        ("items[0] = 1", "0", False),
        ("if n <= 0.5:", "0", False),
    ],
)
def test_a_comparison_with_the_number_is_found(line: str, value: str, expected: bool) -> None:
    assert compares_with(line, value) is expected


def test_only_lines_the_edit_added_count() -> None:
    bound = read_bound(REQUEST)
    assert bound is not None
    failed = check(bound, {"user.js": (USER_JS, NO_BOUND)})
    assert failed is not None and not failed.ok and failed.name == "intent"
    assert "age < 0" in failed.details and '"0 or more"' in failed.summary
    assert check(bound, {"user.js": (USER_JS, WITH_BOUND)}) is None
    # a comparison with 0 that was there before the edit does not count for it
    before = USER_JS + "const MIN = (x) => x < 0;\n"
    assert check(bound, {"user.js": (before, NO_BOUND + "const MIN = (x) => x < 0;\n")}) is not None


async def test_an_edit_that_leaves_the_bound_out_gets_a_repair_round_that_names_it(tmp_path: Path) -> None:
    (tmp_path / "user.js").write_text(USER_JS)
    s, provider = session(
        tmp_path,
        [f"user.js\n```javascript\n{NO_BOUND}```", f"user.js\n```javascript\n{WITH_BOUND}```"],
    )
    result = await s.run_turn(REQUEST, RequestContext(path="user.js"))
    assert result.model_calls == 2
    repair = provider.requests[1].messages[-1].content
    assert '"0 or more"' in repair and "`age < 0`" in repair
    assert result.proposal is not None and result.proposal.changes[0].new_text == WITH_BOUND
    assert result.verification is not None and result.verification.ok


async def test_an_edit_that_checks_the_bound_takes_one_call_and_the_check_can_be_switched_off(
    tmp_path: Path,
) -> None:
    (tmp_path / "user.js").write_text(USER_JS)
    s, _ = session(tmp_path, [f"user.js\n```javascript\n{WITH_BOUND}```"])
    result = await s.run_turn(REQUEST, RequestContext(path="user.js"))
    assert result.model_calls == 1 and result.verification is not None and result.verification.ok

    s, _ = session(tmp_path, [f"user.js\n```javascript\n{NO_BOUND}```"], verify_intent=False)
    result = await s.run_turn(REQUEST, RequestContext(path="user.js"))
    assert result.model_calls == 1
    assert result.proposal is not None and result.proposal.changes[0].new_text == NO_BOUND
