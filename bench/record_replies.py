"""Builds the corpus of real model replies (`tests/fixtures/recorded_replies.json`) from bench runs.

The `skiff` runs of `bench/bench_vs_aider.py` keep Skiff's stderr (`log_tail`): after the line
`[direct_edit] whole format; shown: a.py, b.py` the model's streamed reply is printed verbatim, up to the
next `[direct_edit]`, `[verify]`, `skiff:` or `error:` line (or a traceback of Skiff itself); a reply after
a "no edit" reminder or a repair request follows the `[direct_edit]` line that says so. Each reply is taken
with its task's request and the texts of the files shown (from `bench/suite/tasks/<id>/workspace`, updated
by the earlier rounds of the run), identical inputs are merged, and what
`skiff.agent.edit_formats.map_reply` makes of it now is recorded as the expectation that
`tests/test_recorded_replies.py` checks. The expectations are meant to be read and judged by a person
(`--show`, or the fixture's diff after a rebuild): each changed file is stored as a diff against its text
before (and a sha256 of the full text). A case keeps the `known_wrong` and `note` fields it has in the
existing fixture.

    python bench/record_replies.py [CACHE.json ...] [--out FIXTURE] [--show]

With no cache files, all of `.bench-cache/*.json` are read (partial files of a run still going are fine).
Runs whose log tail lost the `shown:` line are skipped.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path

from skiff.agent.context import is_test_file
from skiff.agent.edit_formats import ReplyEdits, map_reply
from skiff.agent.parsing.codeblocks import search_replace_blocks, unified_diffs
from skiff.agent.parsing.fences import fenced_blocks
from skiff.agent.parsing.toolcalls import parse_tool_calls
from skiff.agent.tools.edit import EditTool
from skiff.agent.tools.write import WriteTool

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "bench" / "suite" / "tasks"
FIXTURE = ROOT / "tests" / "fixtures" / "recorded_replies.json"
CACHE = ROOT / ".bench-cache"

SHOWN = re.compile(r"(?:^|\])\s*(?P<fmt>\w+) format; shown: (?P<shown>.*)$")
# A reply ends where Skiff writes again: its own lines, a server error, or a traceback of Skiff itself.
REPLY_END = re.compile(r"^(?:\[direct_edit\]|\[verify\]|skiff:|error: )")
NEXT_ROUND = re.compile(r"^\[direct_edit\] (?P<why>no edit in the reply|repair round \d+)")
SKIFF_FRAME = re.compile(r'^\s*File ".*/skiff/')
# The rules of `skiff.agent.edit_context.gather` for the files shown read-only.
INSTRUCTION_SUFFIXES = (".md", ".txt", ".rst")
TEST_CHANGE = re.compile(
    r"\b(add|write|create|update|extend|change|rename|move|edit)\w*\b[^.;]*\btests?\b", re.I
)
PATH_LINE = re.compile(r"^\s*(?:#+\s*|//+\s*)?`?[\w./-]+\.\w+`?:?\s*$")
COMMENT_PATH = re.compile(r"^\s*(?:#|//)\s*[\w./-]+\.\w+\s*$")
OPENER = re.compile(r"^\s*(`{3,}|~{3,})[\w+.#-]*\s*$")
PLACEHOLDER = re.compile(
    r"^\s*(?:<[^>]*\bline[^>]*>|(?:#|//)?\s*\.\.\.\s*|(?:#|//).*\bunchanged\b.*)$", re.M | re.I
)

ABOUT = (
    "Real replies of Qwen2.5-Coder-1.5B (temperature 0) on the bench task suite, recorded from Skiff's "
    "stderr in bench runs, with what skiff.agent.edit_formats.map_reply makes of them. Built by "
    "bench/record_replies.py, checked by hand, replayed by tests/test_recorded_replies.py. Per case: "
    "`files` are the files shown (texts in `bases[task]`, null: a file to create; `before` holds the "
    "texts an earlier round of the same run had changed), `readonly` those shown read-only (they are "
    "not passed in `files`, as in direct_edit), `sources` where the reply was seen (bench file#result, "
    "with :N for the N-th model call of the run: after a 'no edit' reminder or a repair request), "
    "`expect.texts` each mapped file as a sha256 of its full text, whether "
    "it parses (Python) and a diff against its text before; `known_wrong` marks a mapping judged wrong, "
    "left out of the replay and explained in `note`."
)


def tool_schemas() -> list[dict]:
    return [WriteTool.schema(), EditTool.schema()]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parses(path: str, text: str) -> bool | None:
    """Whether a Python file's text parses (None for other languages)."""
    if not path.endswith(".py"):
        return None
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def diff(path: str, base: str | None, text: str) -> list[str]:
    """`text` against `base` as unified diff lines (one line of context), without the file header."""
    lines = difflib.unified_diff(
        (base or "").splitlines(), text.splitlines(), f"a/{path}", f"b/{path}", n=1, lineterm=""
    )
    return list(lines)[2:]


def code_lines(code: str) -> list[str]:
    """A block's lines without the wrapper a model sometimes repeats at its top (a path, a fence opener)."""
    lines = code.splitlines()
    while lines and (PATH_LINE.match(lines[0]) or OPENER.match(lines[0])):
        lines = lines[1:]
    return lines


def reply_code_parses(reply: str, files: list[str]) -> bool | None:
    """Whether every closed Python block of the reply parses; None when it has none (or the files shown
    are not Python, where an untagged block is not Python either)."""
    if not any(f.endswith(".py") for f in files):
        return None
    found = None
    for fence in fenced_blocks(reply):
        if not fence.closed or fence.lang not in ("python", "py", ""):
            continue
        try:
            ast.parse("\n".join(code_lines(fence.code)))
        except SyntaxError:
            return False
        found = True
    return found


def readonly_files(shown: list[str], request: str) -> list[str]:
    """The shown files the prompt marked read-only: instructions, and a test named by a fix request."""
    out = []
    for rel in shown:
        instructions = rel.lower().endswith(INSTRUCTION_SUFFIXES)
        if instructions or (is_test_file(rel) and not TEST_CHANGE.search(request)):
            out.append(rel)
    return out


def _reply_end(lines: list[str], j: int) -> int:
    while j < len(lines) and not REPLY_END.match(lines[j]):
        if lines[j].startswith("Traceback (most recent call last):") and any(
            SKIFF_FRAME.match(x) for x in lines[j + 1 : j + 12]
        ):
            break  # Skiff itself crashed
        j += 1
    return j


def extract(log_tail: str) -> tuple[list[str], list[tuple[str, str]]] | None:
    """The files shown and the replies of a log tail, each with why it came: `first`, `no edit` (after a
    reply with no edit) or `repair` (after a repair request). None when the `shown:` line was cut off."""
    lines = log_tail.split("\n")
    for k, line in enumerate(lines):
        m = SHOWN.search(line)
        if m and (k > 0 or line.startswith("[direct_edit]")):
            break
    else:
        return None
    shown = [s.strip() for s in m.group("shown").split(",") if s.strip()]
    replies = []
    why, j = "first", k + 1
    while True:
        end = _reply_end(lines, j)
        replies.append((why, "\n".join(lines[j:end])))
        nxt = None
        for i in range(end, len(lines)):
            if lines[i].startswith("skiff:") or lines[i].startswith("Traceback"):
                break
            n = NEXT_ROUND.match(lines[i])
            if n and i + 1 < len(lines) and not REPLY_END.match(lines[i + 1]):
                nxt = ("no edit" if n.group("why").startswith("no edit") else "repair", i + 1)
                break
        if nxt is None:
            return shown, replies
        why, j = nxt


def kinds(reply: str, files: dict[str, str | None], edits: ReplyEdits) -> list[str]:
    """Words for what the reply is like, for the summary (not asserted per case)."""
    out = []
    fences = fenced_blocks(reply)
    heads = [f.code.splitlines()[:2] for f in fences]
    if any(h and (OPENER.match(h[0]) or (len(h) == 2 and OPENER.match(h[1]))) for h in heads):
        out.append("nested-fence")
    if any(h and COMMENT_PATH.match(h[0]) for h in heads):
        out.append("comment-path")
    named = [bool(f.before.strip() and PATH_LINE.match(f.before.strip().strip("*"))) for f in fences]
    if any(named):
        out.append("path-line")
    if any(
        not n and not (h and (COMMENT_PATH.match(h[0]) or PATH_LINE.match(h[0])))
        for n, h in zip(named, heads, strict=True)
    ):
        out.append("bare-fence")
    if len(fences) > 1:
        out.append("several-blocks")
    if len(edits.texts) > 1:
        out.append("multi-file")
    if any(files.get(p) is None for p in edits.texts):
        out.append("new-file")
    if edits.unchanged:
        out.append("unchanged")
    if any("read-only" in r for r in edits.rejected):
        out.append("readonly-edit")
    if any("cut off" in r for r in edits.rejected) or any(not f.closed for f in fences):
        out.append("cut-off")
    if any(p.endswith((".js", ".ts")) for p in files):
        out.append("js-ts")
    if any(not e.endswith(("whole file", "new file")) for e in edits.applied):
        out.append("by-definition")
    if search_replace_blocks(reply):
        out.append("search-replace")
    if unified_diffs(reply):
        out.append("diff")
    if PLACEHOLDER.search(reply):
        out.append("placeholder")
    outside, pos = [], 0
    for f in fences:
        outside.append(reply[pos : f.start])
        pos = f.end
    outside.append(reply[pos:])
    prose = [x for x in "".join(outside).splitlines() if x.strip() and not PATH_LINE.match(x)]
    if prose:
        out.append("prose")
    out.append("edit" if edits.texts else "no-edit")
    return out


def build(caches: list[Path], old: dict) -> dict:
    previous = {c["id"]: c for c in old.get("cases", [])}
    bases: dict[str, dict[str, str | None]] = {}
    cases: dict[str, dict] = {}
    for cache in caches:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            print(f"skipped {cache.name}: not a finished JSON file", file=sys.stderr)
            continue
        for n, result in enumerate(data.get("results", [])):
            task_dir = TASKS / str(result.get("task"))
            got = extract(result.get("log_tail", "")) if result.get("agent") == "skiff" else None
            if got is None or not task_dir.is_dir():
                continue
            shown, replies = got
            task = json.loads((task_dir / "task.json").read_text(encoding="utf-8"))
            files: dict[str, str | None] = {}
            for rel in shown:
                p = task_dir / "workspace" / rel
                files[rel] = p.read_text(encoding="utf-8") if p.is_file() else None
            bases.setdefault(result["task"], {}).update(files)
            readonly = readonly_files(shown, task["request"])
            primary = task.get("file") or next((r for r in shown if r not in readonly), None)
            state = {rel: text for rel, text in files.items() if rel not in readonly}
            for round_, (why, reply) in enumerate(replies, 1):
                before = {rel: t for rel, t in state.items() if rel not in files or files[rel] != t}
                key = json.dumps([result["task"], reply, before], sort_keys=True)
                cid = f"{result['task']}-{sha256(key)[:10]}"
                if cid not in cases:
                    cases[cid] = {
                        "id": cid,
                        "task": result["task"],
                        "request": task["request"],
                        "primary": primary,
                        "files": shown,
                        "readonly": readonly,
                        **({"before": before} if before else {}),
                        "sources": [],
                        "reply": reply,
                    }
                where = f"{cache.name}#{n}" + ("" if round_ == 1 else f":{round_} after {why}")
                cases[cid]["sources"].append(where)
                edits = map_reply(reply, state, primary=primary, request=task["request"], readonly=readonly)
                if round_ < len(replies) and replies[round_][0] == "repair":
                    if edits.empty:
                        break  # this run's next state came from a mapping Skiff no longer makes
                    state = {**state, **edits.texts}
    out = []
    for case in sorted(cases.values(), key=lambda c: c["id"]):
        files = {
            rel: case.get("before", {}).get(rel, bases[case["task"]].get(rel))
            for rel in [*case["files"], *case.get("before", {})]
            if rel not in case["readonly"]
        }
        edits = map_reply(
            case["reply"], files, primary=case["primary"], request=case["request"], readonly=case["readonly"]
        )
        calls = parse_tool_calls(case["reply"], tool_schemas())
        entry = {
            **{k: v for k, v in case.items() if k != "reply"},
            "kinds": kinds(case["reply"], files, edits),
            "reply_code_parses": reply_code_parses(case["reply"], list(files)),
            "reply": case["reply"],
            "expect": {
                "texts": {
                    rel: {
                        "sha256": sha256(text),
                        "parses": parses(rel, text),
                        "diff": diff(rel, files.get(rel), text),
                    }
                    for rel, text in edits.texts.items()
                },
                "applied": edits.applied,
                "rejected": edits.rejected,
                "unchanged": edits.unchanged,
            },
        }
        if calls:
            entry["kinds"].insert(0, "tool-call")
            entry["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in calls]
        kept = {k: v for k, v in previous.get(case["id"], {}).items() if k in ("known_wrong", "note")}
        out.append({"id": entry.pop("id"), **kept, **entry})
    used = {c["task"] for c in out}
    return {"about": ABOUT, "bases": {t: bases[t] for t in sorted(bases) if t in used}, "cases": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "caches", nargs="*", type=Path, help="bench result files (default: .bench-cache/*.json)"
    )
    parser.add_argument("--out", type=Path, default=FIXTURE)
    parser.add_argument("--show", action="store_true", help="print each case's mapping for review")
    args = parser.parse_args(argv)
    caches = args.caches or sorted(CACHE.glob("*.json"))
    old = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    corpus = build(caches, old)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(corpus, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.show:
        for case in corpus["cases"]:
            print(f"=== {case['id']}  {case['kinds']}  shown={case['files']} ro={case['readonly']}")
            print("    applied:", case["expect"]["applied"], "rejected:", case["expect"]["rejected"])
            print("    unchanged:", case["expect"]["unchanged"])
            for rel, t in case["expect"]["texts"].items():
                print(f"    -- {rel} parses={t['parses']}")
                print("\n".join("    " + x for x in t["diff"]))
    print(f"{len(corpus['cases'])} cases -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
