"""The bound a validation request names ("negative", "0 or more", "at least 3"), checked on the edit.

A request to reject bad input often names the limit: "raise a ValueError when kelvin is negative",
"throw when age is not a whole number of 0 or more". Qwen2.5-Coder-1.5B wrote the guard but compared with
the wrong value (`kelvin < ABSOLUTE_ZERO_C`) or left the bound out (`!Number.isInteger(age)` alone). So when
a request asks to raise, throw or reject and names a numeric bound, the lines the edit adds must compare
something with that number; otherwise the intent check fails and the repair round says which comparison
is missing. Text-based: it reads Python, JavaScript and TypeScript alike. Part of `verifyIntent`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skiff.agent.intent import broken_promise
from skiff.agent.textdiff import opcodes
from skiff.agent.verify import Check

_VALIDATION = re.compile(r"\b(rais\w*|throw\w*|reject\w*|errors?|invalid|validat\w*|exceptions?)\b", re.I)
_NUMBER = r"(?P<n>-?\d+(?:\.\d+)?)"
# (a phrase naming a bound, the comparison it stands for with its number, 0 when it names none:
# "0 or more" is `>= 0`, "negative" is `< 0`)
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bnon-?negative\b", re.I), ">="),
    (re.compile(r"\bnegative\b", re.I), "<"),
    (re.compile(r"\bnon-?positive\b", re.I), "<="),
    (re.compile(r"\bpositive\b", re.I), ">"),
    (re.compile(rf"(?<![\w.]){_NUMBER}\s+or\s+(?:more|greater|higher|above|larger|over)\b", re.I), ">="),
    (re.compile(rf"\bat\s+least\s+{_NUMBER}(?![\w.])", re.I), ">="),
    (re.compile(rf"(?<![\w.]){_NUMBER}\s+or\s+(?:less|fewer|lower|below|smaller|under)\b", re.I), "<="),
    (re.compile(rf"\bat\s+most\s+{_NUMBER}(?![\w.])", re.I), "<="),
    (re.compile(rf"\b(?:(?:less|fewer|lower|smaller)\s+than|below|under)\s+{_NUMBER}(?![\w.])", re.I), "<"),
    (
        re.compile(
            rf"\b(?:(?:greater|more|higher|larger)\s+than|above|over|exceeds?)\s+{_NUMBER}(?![\w.])", re.I
        ),
        ">",
    ),
]
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
# The clause the phrase sits in: "when x is negative" names bad values, "x must be 0 or more" good ones.
_BAD_CLAUSE = re.compile(r"\b(?:when|if|whenever|for|reject\w*|refus\w*|disallow\w*|forbid\w*)\b", re.I)
_GOOD_CLAUSE = re.compile(
    r"\b(?:must|should|needs?\s+to|has\s+to|have\s+to|only|unless|validate|ensure)\b", re.I
)
_NOT = re.compile(r"\b(?:not|never|no)\b|n't\b", re.I)
_SUBJECT = re.compile(
    r"\b(?:when|if|whenever)\s+(?:the\s+)?`?(?P<name>[A-Za-z_]\w*)`?\s+(?:is|are)\b|"
    r"`?(?P<name2>[A-Za-z_]\w*)`?\s+(?:must|should)\b",
    re.I,
)


@dataclass
class Bound:
    """A numeric limit the request names: `phrase` as written, `value` the number, `reject` the comparison
    true of a value the request turns away ("< 0" for "0 or more"), `subject` what is checked, if named."""

    phrase: str
    value: str
    reject: str
    subject: str | None = None


def read_bound(request: str) -> Bound | None:
    """The bound of a request that asks to raise, throw or reject, if it names one."""
    if not _VALIDATION.search(request):
        return None
    for pattern, meaning in _PHRASES:
        m = pattern.search(request)
        if m is None:
            continue
        value = m.groupdict().get("n") or "0"
        before = request[: m.start()]
        bad = list(_BAD_CLAUSE.finditer(before))
        good = list(_GOOD_CLAUSE.finditer(before))
        clause = max([*bad, *good], key=lambda c: c.start(), default=None)
        names_bad = clause is not None and clause in bad
        negated = len(_NOT.findall(before[clause.end() if clause else 0 :])) % 2 == 1
        reject = meaning if names_bad != negated else _NEGATE[meaning]
        s = _SUBJECT.search(before)
        subject = (s.group("name") or s.group("name2")) if s else None
        return Bound(m.group(0), value, f"{reject} {value}", subject)
    return None


def compares_with(line: str, value: str) -> bool:
    """Whether the line compares something with the number `value` (`x < 0`, `0 <= x`, `x >= 0.0`)."""
    number = re.escape(value) + (r"(?:\.0+)?" if "." not in value else "")
    op = r"(?:[<>]=?|[!=]==?)"
    return bool(
        re.search(rf"{op}\s*\(?\s*{number}(?![\w.])", line)
        or re.search(rf"(?<![\w.]){number}\s*\)?\s*{op}", line)
    )


def check(bound: Bound, files: dict[str, tuple[str | None, str]]) -> Check | None:
    """A failed intent check when no line the edit added compares with the bound; None when one does (or
    nothing was added)."""
    added: list[str] = []
    for base, new in files.values():
        new_lines = new.splitlines()
        for _, _, _, j1, j2 in opcodes((base or "").splitlines(), new_lines):
            added += new_lines[j1:j2]
    if not added or any(compares_with(line, bound.value) for line in added):
        return None
    who = f"`{bound.subject}`" if bound.subject else "the value"
    problem = (
        f'the request says "{bound.phrase}", but no line of the change compares {who} with {bound.value}. '
        f"Add that check: the code must also reject `{bound.subject or 'value'} {bound.reject}`."
    )
    return broken_promise([problem], summary=f'the bound "{bound.phrase}" is not checked')
