"""Tool-name resolution: normalisation, aliases and edit distance from a written name to a real tool."""

from __future__ import annotations

import functools
import re
from typing import Any

from skiff.agent.parsing.toolcalls.calls import _tool_index, _words
from skiff.agent.text.similarity import similarity

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _norm(name: str) -> str:
    """`readFile`, `Read-File`, ` read_file ` -> `read_file`."""
    s = _CAMEL.sub("_", name.strip().strip("`'\"")).lower()
    return _NON_ALNUM.sub("_", s).strip("_")


def _norm_tool_name(raw: str) -> str:
    """Normalise a tool name as a model wrote it: drops `functions.`-style prefixes, `.call` and `()`."""
    s = raw.strip().strip("`'\"").strip()
    if s.endswith("()"):
        s = s[:-2]
    if "__" in s:  # mcp__server__tool
        s = s.rsplit("__", 1)[-1]
    parts = [p for p in s.split(".") if p]
    if len(parts) > 1 and parts[-1].lower() == "call":
        parts = parts[:-1]
    return _norm(parts[-1]) if parts else ""


def _osa(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (Levenshtein plus adjacent transpositions)."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[lb]


def _typo_budget(length: int) -> int:
    return 0 if length < 4 else 1 if length < 8 else 2


# Groups of names meaning the same tool. A member resolves to the one real tool named in its group.
_TOOL_ALIASES: list[frozenset[str]] = [
    _words(
        "read read_file readfile view view_file cat cat_file open_file file_read get_file get_file_contents "
        "read_text_file show_file load_file read_files"
    ),
    _words(
        "write write_file writefile create_file file_write save_file write_to_file create new_file "
        "overwrite_file put_file file_create"
    ),
    _words(
        "edit edit_file file_edit str_replace replace replace_in_file search_replace search_and_replace "
        "apply_edit modify_file replace_string replace_text str_replace_editor update_file edit_text"
    ),
    _words(
        "bash run_bash shell run_shell sh terminal run_terminal run_command execute_command exec execute "
        "run cmd command run_terminal_cmd execute_bash bash_command shell_command run_shell_command "
        "exec_command shell_exec bash_exec"
    ),
    _words(
        "grep search ripgrep rg grep_search search_files search_code code_search find_in_files search_text "
        "text_search find_text search_file_content search_in_files"
    ),
    _words("glob find_files file_search list_files glob_files find_file file_glob glob_search"),
    _words(
        "scratchpad todo todos todo_write todowrite todo_list update_todos plan update_plan task_list "
        "tasks write_todos"
    ),
]

# Tokens that carry no meaning in a tool name: `run_bash` is `bash`, `read_file` is `read`.
_NAME_FILLER = _words(
    "file files tool tools func function call do the to in run exec execute use api default my invoke "
    "perform cmd command"
)


def _alias_targets(key: str, normed: dict[str, list[str]]) -> set[str]:
    targets: set[str] = set()
    for group in _TOOL_ALIASES:
        if key in group:
            hits = [normed[m][0] for m in group if m in normed and len(normed[m]) == 1]
            targets.update(hits)
    return targets


@functools.lru_cache(maxsize=4096)
def _resolve_tool_name(raw: str, names: tuple[str, ...]) -> tuple[str | None, str]:
    """The real tool a model-written name means, and how it was found: exact, case, normalized, alias,
    token or typo. (None, "") when no tool matches or the match is ambiguous."""
    if not raw:
        return None, ""
    if raw in names:
        return raw, "exact"
    lowered: dict[str, list[str]] = {}
    for n in names:
        lowered.setdefault(n.lower(), []).append(n)
    hit = lowered.get(raw.strip().lower())
    if hit and len(hit) == 1:
        return hit[0], "case"
    key = _norm_tool_name(raw)
    if not key:
        return None, ""
    normed: dict[str, list[str]] = {}
    for n in names:
        normed.setdefault(_norm(n), []).append(n)
    if key in normed:
        return (normed[key][0], "normalized") if len(normed[key]) == 1 else (None, "")
    targets = _alias_targets(key, normed)
    if targets:
        return (targets.pop(), "alias") if len(targets) == 1 else (None, "")
    # Every meaningful token must point at the same tool: read_file, file_read, run_bash, grep_search.
    tokens = [t for t in key.split("_") if t and t not in _NAME_FILLER]
    if tokens:
        token_hits: set[str] = set()
        for t in tokens:
            th = {normed[t][0]} if t in normed and len(normed[t]) == 1 else _alias_targets(t, normed)
            if len(th) != 1:
                token_hits = set()
                break
            token_hits |= th
        if len(token_hits) == 1:
            return token_hits.pop(), "token"
    # A typo of a tool name or of one of its aliases.
    budget = _typo_budget(len(key))
    if budget:
        best: dict[str, int] = {}
        candidates: list[tuple[str, str]] = [(k, v[0]) for k, v in normed.items() if len(v) == 1]
        for group in _TOOL_ALIASES:
            real = [normed[m][0] for m in group if m in normed and len(normed[m]) == 1]
            if len(real) == 1:
                candidates.extend((m, real[0]) for m in group)
        for spelled, target in candidates:
            if abs(len(spelled) - len(key)) > budget:
                continue
            d = _osa(key, spelled)
            if d <= budget and d < best.get(target, budget + 1):
                best[target] = d
        if best:
            low = min(best.values())
            winners = [t for t, d in best.items() if d == low]
            if len(winners) == 1:
                return winners[0], "typo"
    return None, ""


def suggest_tool_name(name: str, tools: list[dict[str, Any]]) -> str | None:
    """The real tool name nearest to `name`, for an "unknown tool, did you mean X?" message.

    Uses the same resolution as the parser (case, aliases such as read_file -> read, typos) and, failing
    that, a looser similarity match. None when nothing is reasonably close or the choice is ambiguous.
    """
    names = tuple(_tool_index(tools))
    resolved, _ = _resolve_tool_name(name, names)
    if resolved is not None:
        return resolved
    key = _norm_tool_name(name)
    if not key:
        return None
    normed = {_norm(n): n for n in names}
    ratios = sorted(((similarity(key, k), k) for k in normed), reverse=True)
    if not ratios or ratios[0][0] < 0.7:
        return None
    if len(ratios) > 1 and ratios[0][0] - ratios[1][0] < 0.1:
        return None
    return normed[ratios[0][1]]
