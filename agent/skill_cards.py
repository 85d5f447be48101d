"""Skill cards: short Markdown notes with YAML frontmatter, rendered from the live tools and chosen per call.

Cards live in `skills/tools/`, `skills/knowledge/` and `skills/protocols/` inside the `skiff` package:

    ---
    name: edit                 # unique; defaults to the file name
    tool: edit                 # tool cards: the tool they teach (placeholders default to it)
    triggers: [rename, fix, "replace text"]   # words or phrases matched against the task and last error
    ---
    Body in Markdown. {{example}} renders Tool.example_call(), {{recipe}} Tool.recipe();
    {{example:NAME}} and {{recipe:NAME}} name another tool.

Selection for a call (`select`): the card of the tool that just failed, then the cards of recently used
tools, then cards whose triggers match the task text, the last error and the diagnostics, best first,
while they fit the token budget. Triggers and text are compared as normalised words (lowercase, stop
words removed, suffixes stripped), so "renaming" matches "rename" and "failing tests" matches "fail test".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from skiff.agent.providers.base import Tokenizer
from skiff.agent.tools.base import ToolRegistry

FOLDERS = ("tools", "protocols", "knowledge")  # also the tie-break order of equally good matches
_PLACEHOLDER = re.compile(r"\{\{\s*(example|recipe)(?:\s*:\s*([\w-]+))?\s*\}\}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "i'm",
        "it's",
        "let",
        "lets",
        "want",
        "need",
        "make",
        "sure",
        "using",
        "use",
        "used",
    ]
)


class SkillError(ValueError):
    """A card that cannot be loaded: the message names the file and the problem."""


class CardMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    tool: str | None = None
    triggers: list[str] = []


@dataclass(frozen=True)
class Card:
    """One skill card. `body` still holds its placeholders; `render` fills them from the live tools."""

    name: str
    folder: str
    body: str
    tool: str | None = None
    triggers: tuple[str, ...] = ()

    @functools.cached_property
    def trigger_words(self) -> tuple[frozenset[str], ...]:
        return tuple(w for w in (frozenset(words(t)) for t in self.triggers) if w)

    def tools_used(self) -> set[str]:
        """The tools this card's placeholders render (its own tool by default)."""
        names = {m.group(2) or self.tool for m in _PLACEHOLDER.finditer(self.body)}
        return {n for n in names if n}

    def render(self, tools: ToolRegistry, path: str | None = None) -> str | None:
        """The card text with examples and recipes from live tools; None when a tool it needs is missing.
        Examples name `path` (the request's file) when given."""
        if self.tool is not None and self.tool not in tools:
            return None
        missing = False

        def fill(m: re.Match[str]) -> str:
            nonlocal missing
            tool = tools.get(m.group(2) or self.tool or "")
            if tool is None:
                missing = True
                return ""
            return tool.example_call(path) if m.group(1) == "example" else tool.recipe()

        text = _PLACEHOLDER.sub(fill, self.body).strip()
        return None if missing else f"## {self.name}\n{text}"


# ---------------------------------------------------------------- words


def stem(word: str) -> str:
    """A light suffix stripper (plurals, then -ation/-tion, -ing, -ed, then a final e): enough to match word
    forms such as rename/renaming/renamed or test/tests/testing."""
    w = word.lower()
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or (w.endswith("es") and len(w) > 4 and w[-3] in "xz"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ation") and len(w) > 6:
        w = w[:-5] + "at"
    elif w.endswith(("sion", "tion")) and len(w) > 6:
        w = w[:-3]
    elif w.endswith("ing") and _has_vowel(w[:-3]) and len(w) > 5:
        w = _undouble(w[:-3])
    elif w.endswith("ed") and _has_vowel(w[:-2]) and len(w) > 4:
        w = _undouble(w[:-2])
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def _has_vowel(s: str) -> bool:
    return any(c in "aeiouy" for c in s)


def _undouble(s: str) -> str:
    if len(s) > 2 and s[-1] == s[-2] and s[-1] not in "lsz":
        return s[:-1]
    return s


def words(text: str) -> list[str]:
    """Normalised words: split at camelCase and snake_case, lowercased, stop words dropped, stemmed."""
    out = []
    for raw in _WORD.findall(text.replace("_", " ")):
        for part in _CAMEL.split(raw):
            low = part.lower()
            if len(low) < 2 or low in STOPWORDS:
                continue
            out.append(stem(low))
    return out


# ---------------------------------------------------------------- loading


def skills_root() -> Traversable:
    """The shipped `skills/` folder (inside the installed `skiff` package)."""
    return resources.files("skiff") / "skills"


def parse_card(text: str, folder: str, filename: str) -> Card:
    """A card from its file text; raises SkillError naming the file."""
    where = f"skills/{folder}/{filename}"
    m = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)", text, re.S)
    if not m:
        raise SkillError(f"{where}: a card starts with YAML frontmatter between --- lines")
    try:
        data: Any = yaml.safe_load(m.group(1)) or {}
        meta = CardMeta.model_validate(data)
    except yaml.YAMLError as exc:
        raise SkillError(f"{where}: invalid YAML frontmatter: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SkillError(f"{where}: {problems}") from exc
    body = m.group(2).strip()
    if not body:
        raise SkillError(f"{where}: the card has no body")
    name = meta.name or filename.rsplit(".", 1)[0]
    return Card(name, folder, body, meta.tool, tuple(meta.triggers))


def load_cards(root: Traversable | Path | None = None) -> list[Card]:
    """All cards under `root` (the shipped skills by default), folder by folder, sorted by file name."""
    if root is None:
        return list(_shipped_cards())
    return _load(root)


@functools.cache
def _shipped_cards() -> tuple[Card, ...]:
    return tuple(_load(skills_root()))


def _load(root: Traversable | Path) -> list[Card]:
    cards: list[Card] = []
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".md") and entry.is_file():
                cards.append(parse_card(entry.read_text(encoding="utf-8"), folder, entry.name))
    seen: set[str] = set()
    for c in cards:
        if c.name in seen:
            raise SkillError(f"skills/{c.folder}: two cards are named '{c.name}'")
        seen.add(c.name)
    return cards


# ---------------------------------------------------------------- selection


def intent_scores(cards: Iterable[Card], text: str) -> dict[str, int]:
    """Cards whose triggers occur in `text`: score = the number of trigger words matched (phrases count
    every word, and need all of them)."""
    have = set(words(text))
    scores: dict[str, int] = {}
    for card in cards:
        score = sum(len(t) for t in card.trigger_words if t <= have)
        if score:
            scores[card.name] = score
    return scores


@dataclass
class Pick:
    """The cards chosen for one call, in the order they are shown, with their rendered text."""

    cards: list[Card]
    texts: list[str]
    tokens: int

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.cards]

    def text(self) -> str:
        return "\n\n".join(self.texts)


def select(
    cards: Sequence[Card],
    tools: ToolRegistry,
    tokenizer: Tokenizer,
    budget: int,
    *,
    failed_tool: str | None = None,
    recent_tools: Sequence[str] = (),
    text: str = "",
    path: str | None = None,
) -> Pick:
    """Cards for one model call within `budget` tokens: the failed tool's card, recent tools' cards, then
    cards matching `text` (task, last error, diagnostics) best first. A card that does not fit is skipped
    and a smaller one may take its place. Examples name `path`, the request's file, when given."""
    by_tool = {c.tool: c for c in cards if c.tool}
    ordered: list[Card] = []
    if failed_tool and failed_tool in by_tool:
        ordered.append(by_tool[failed_tool])
    ordered.extend(by_tool[t] for t in recent_tools if t in by_tool)
    scores = intent_scores(cards, text)
    rank = {f: i for i, f in enumerate(FOLDERS)}
    matched = sorted(
        (c for c in cards if c.name in scores), key=lambda c: (-scores[c.name], rank.get(c.folder, 9), c.name)
    )
    ordered.extend(matched)
    chosen: list[Card] = []
    texts: list[str] = []
    used = 0
    for card in dict.fromkeys(ordered):
        rendered = card.render(tools, path)
        if rendered is None:
            continue
        cost = tokenizer.count(rendered) + 2
        if used + cost > budget:
            continue
        chosen.append(card)
        texts.append(rendered)
        used += cost
    return Pick(chosen, texts, used)


# ---------------------------------------------------------------- request intent

EDIT_VERBS = frozenset(
    stem(w)
    for w in [
        "fix",
        "change",
        "rename",
        "refactor",
        "add",
        "remove",
        "delete",
        "implement",
        "update",
        "replace",
        "edit",
        "convert",
        "rewrite",
        "improve",
        "optimize",
        "optimise",
        "clean",
        "simplify",
        "move",
        "extract",
        "handle",
        "correct",
        "modify",
        "insert",
        "append",
        "make",
        "write",
        "create",
        "return",
        "raise",
        "support",
        "use",
        "sort",
        "reorder",
        "format",
        "annotate",
        "type",
        "document",
        "comment",
    ]
)
QUESTION_WORDS = frozenset(
    stem(w) for w in ["explain", "what", "why", "how", "describe", "understand", "mean", "meaning"]
)
QUESTION_STARTS = frozenset(
    ["what", "why", "how", "explain", "describe", "where", "which", "who", "does", "do", "is", "are"]
)
_CLAUSE = re.compile(r"(?:^|[.?!;:\n]\s*|\b(?:please|to|you|and|then)\s+)([A-Za-z]+)", re.I)


def edit_intent(text: str) -> bool:
    """The request asks for a change: an edit verb starting a clause ("Fix it", "please rename", "can you
    add"), or anywhere when the request does not start as a question ("What does add do?" is a question)."""
    if any(stem(m.group(1).lower()) in EDIT_VERBS for m in _CLAUSE.finditer(text)):
        return True
    raw = [w.lower() for w in _WORD.findall(text)]
    if raw and raw[0] in QUESTION_STARTS:
        return False
    return any(stem(w) in EDIT_VERBS for w in raw)


def question_only(text: str) -> bool:
    """The request asks about the code (explain, what, why...) and asks for no change."""
    if edit_intent(text):
        return False
    raw = [w.lower() for w in _WORD.findall(text)]
    return bool(raw) and (raw[0] in QUESTION_STARTS or any(stem(w) in QUESTION_WORDS for w in raw))
