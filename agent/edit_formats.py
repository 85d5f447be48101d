"""Edit formats for the one-call edit path: the instructions the model gets, and its reply mapped onto files.

A format names what the model is asked to return for each file it changes:

- `whole`: the complete file, after a line with its path (what small models do best on small files);
- `search_replace`: aider-style SEARCH/REPLACE blocks (for files too large to print whole).

The instructions are generated here from the same constants the mapping reads, so the prompt and the
parser cannot drift apart. Whatever wrapper the model actually uses is mapped: a fence after a path line,
a fence with a path in its info string or first-line comment, a printed `write` or `edit` tool call,
SEARCH/REPLACE blocks, a unified diff, or a block holding only the definitions it changed (mapped onto
the definitions of the same name by `skiff.agent.parsing.edit_plan`). A whole-file block that drops
definitions the request did not ask to remove is mapped definition by definition instead, so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from skiff.agent.context import Selection
from skiff.agent.parsing.codeblocks import search_replace_blocks, unified_diffs
from skiff.agent.parsing.definitions import definitions, regex_definitions
from skiff.agent.parsing.edit_plan import definitions_edit, has_placeholder, plan_edit
from skiff.agent.parsing.fences import Fence, fenced_blocks, is_lang_opener
from skiff.agent.parsing.prose_edit import apply_prose_change, prose_change
from skiff.agent.parsing.toolcalls import parse_tool_calls
from skiff.agent.text.similarity import similarity
from skiff.agent.textdiff import split_lines
from skiff.agent.tools.edit import EditTool, strip_line_numbers
from skiff.agent.tools.write import WriteTool

EditFormat = Literal["whole", "search_replace"]

FENCE_LANG = {
    "py": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "jsx": "jsx",
    "ts": "typescript",
    "tsx": "tsx",
    "rs": "rust",
    "rb": "ruby",
    "sh": "bash",
    "md": "markdown",
    "json": "json",
    "go": "go",
    "java": "java",
    "c": "c",
    "h": "c",
    "cpp": "cpp",
    "lua": "lua",
}

# Words that make a whole-file block that drops definitions a wanted result (a rename, a move, a removal).
_REMOVAL_WORDS = re.compile(
    r"\b(renam\w*|remov\w*|delet\w*|drop\w*|mov\w*|merg\w*|inlin\w*|replac\w*)\b", re.I
)
_PATH_LINE = re.compile(
    r"^(?:(?:#+|//+|/\*+|\*+|-+)\s*)?(?:file(?:name)?\s*:\s*)?`?(?P<path>[\w./\\-]+\.\w+)`?\s*:?$", re.I
)
_PATH_TOKEN = re.compile(r"[\w./\\-]+\.[A-Za-z]\w*")
_LEAD_COMMENT = re.compile(
    r"^\s*(?:#|//|/\*|--)\s*(?:file(?:name)?\s*:\s*)?(?P<path>[\w./\\-]+\.\w+)\s*(?:\*/)?\s*$"
)


def fence_lang(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return FENCE_LANG.get(ext, ext)


def render_file(path: str, text: str) -> str:
    """A file as the model sees it: its path on one line, then the content in a fence."""
    ticks = "````" if "```" in text else "```"
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{path}\n{ticks}{fence_lang(path)}\n{body}{ticks}"


EXPLAIN_FIRST = (
    "First say in one or two sentences what is wrong or missing and which lines you will change; then "
    "write the changed files."
)


def instructions(fmt: EditFormat, path: str = "path/to/file.py", explain: bool = False) -> str:
    """The system prompt of the one-call edit path for `fmt`. It names `path`, the request's own file, and
    shows no code: Qwen2.5-Coder-1.5B copied a placeholder example (`<every line of the updated file>`)
    as its answer, and copies example paths literally. `explain` asks for a sentence of reasoning before
    the code (profile key `editExplain`)."""
    sr_example = f"{path}\n<<<<<<< SEARCH\n<exact lines from the file>\n=======\n<new lines>\n>>>>>>> REPLACE"
    head = "You are an expert software engineer. You change code in the user's project exactly as asked. " + (
        f"The files are shown to you below. {EXPLAIN_FIRST}"
        if explain
        else "The files are shown to you below; answer with the changed files only, then stop."
    )
    if fmt == "whole":
        return (
            f"{head}\nFor each file you change or create, write its path on a line by itself, then its "
            f"complete new content in a fenced code block, the same way the files are shown to you (the "
            f"path `{path}` on one line, then ```{fence_lang(path)} and the code). Always write the entire "
            "file: every line, including the ones you do not change. Never write `...` or comments like "
            "`rest unchanged`. Change only what the request asks for."
        )
    return (
        f"{head}\nDescribe each change as a SEARCH/REPLACE block after the file's path:\n\n{sr_example}"
        "\n\nThe SEARCH part must copy the current lines exactly, with enough lines to be unique. To "
        "create a new file, write its path and the whole content in a fenced code block."
    )


def repair_request(fmt: EditFormat, problems: str) -> str:
    """The follow-up message of a repair round: what failed, and the format to answer in again."""
    again = (
        "Reply with the complete corrected file(s), each after its path line, in a fenced code block."
        if fmt == "whole"
        else "Reply with SEARCH/REPLACE blocks that fix it (against the file as it is now)."
    )
    return f"Your change was applied, but the checks found problems:\n\n{problems}\n\n{again}"


@dataclass
class ReplyEdits:
    """What a reply does to the files: new texts by workspace-relative path, and why."""

    texts: dict[str, str] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # files the reply repeated without a change

    @property
    def empty(self) -> bool:
        return not self.texts


@dataclass
class _Block:
    path: str | None
    code: str
    closed: bool = True
    origin: str = "fence"


def map_reply(
    reply: str,
    files: dict[str, str | None],
    *,
    primary: str | None,
    request: str = "",
    selection: Selection | None = None,
    readonly: Iterable[str] = (),
) -> ReplyEdits:
    """Map `reply` onto `files` (path -> current text, None for a file that does not exist yet).

    `primary` is the file the request is about: blocks that name no file go there. Paths the reply names
    that are not in `files` are new files when they do not exist (None in `files` or absent); files in
    `readonly` (instructions, references) are never changed.
    """
    out = ReplyEdits()
    frozen = set(readonly)
    current: dict[str, str | None] = dict(files)

    def resolve(named: str | None) -> str | None:
        if named is None:
            return primary
        named = named.replace("\\", "/").removeprefix("./").strip()
        for path in current:
            if _same_path(named, path):
                return path
        if named.startswith("/") or ".." in named.split("/") or "." not in named:
            return None  # not a workspace-relative file name: never a new file
        return named  # a new file

    def put(path: str, text: str, what: str) -> None:
        current[path] = text
        out.texts[path] = text
        out.applied.append(what)

    srs = search_replace_blocks(reply)
    pairs: dict[str, list[tuple[str, str]]] = {}
    for sr in srs:
        target = resolve(sr.path)
        if target is not None:
            pairs.setdefault(target, []).append((sr.search, sr.replace))
    for diff in unified_diffs(reply):
        target = resolve(diff.path)
        if target is not None:
            pairs.setdefault(target, []).extend((h.old, h.new) for h in diff.hunks)
    blocks = _tool_call_blocks(reply, pairs, resolve)
    blocks += [b for b in _fence_blocks(reply) if not (srs and "<<<<<<<" in b.code)]

    for target, items in pairs.items():
        base = current.get(target)
        if target in frozen or base is None:
            out.rejected.append(f"{target}: search/replace on a file that is read-only or does not exist")
            continue
        text = "".join(f"<<<<<<< SEARCH\n{_nl(s)}=======\n{_nl(r)}>>>>>>> REPLACE\n" for s, r in items)
        plan = plan_edit(text, target, base)
        out.rejected.extend(f"{target}: {r}" for r in plan.rejected)
        if plan.new_text is not None and plan.new_text != base:
            put(target, plan.new_text, f"{target}: {', '.join(plan.applied)}")

    for block in blocks:
        target = resolve(block.path)
        if target is None:
            continue
        if target in frozen:
            if _squash(block.code) != _squash(current.get(target) or ""):
                out.rejected.append(f"{target} is read-only: leave it as it is and change the other file(s)")
            continue
        code = strip_line_numbers(block.code) or block.code
        base = current.get(target)
        if not block.closed:
            out.rejected.append(f"{target}: the code block is cut off")
            continue
        if base is None:
            if block.path is None or has_placeholder(code) or not code.strip():
                continue
            put(target, _nl(code), f"{target}: new file")
            continue
        whole = _as_whole_file(code, base, target, request)
        if whole is not None:
            if whole != base:
                put(target, whole, f"{target}: whole file")
            else:
                out.unchanged.append(target)
            continue
        sel = selection if target == primary else None
        if (has_placeholder(code) and not has_placeholder(base)) or _loses_names(code, base, target, request):
            plan = definitions_edit(code, base, target, sel)
        else:
            ext = target.rsplit(".", 1)[-1] if "." in target else ""
            plan = plan_edit(f"```{ext}\n{code}\n```", target, base, sel)
            if plan.new_text is None:
                plan = definitions_edit(code, base, target, sel)
        out.rejected.extend(f"{target}: {r}" for r in plan.rejected)
        if plan.new_text is not None and plan.new_text != base:
            put(target, plan.new_text, f"{target}: {', '.join(plan.applied)}")
    if not out.texts and not pairs and not blocks:
        _map_prose(reply, current, frozen, put)
    return out


def _map_prose(
    reply: str, current: dict[str, str | None], frozen: set[str], put: Callable[[str, str, str], None]
) -> None:
    """A reply with no code at all may still state its change in prose ("`A` should be `B`"): that change,
    when exactly one file holds `A` once (`parsing/prose_edit.py`)."""
    found = [
        (path, text, change)
        for path, text in current.items()
        if text is not None and path not in frozen and (change := prose_change(reply, text)) is not None
    ]
    if len(found) == 1:
        path, text, change = found[0]
        put(path, apply_prose_change(text, change), f"{path}: the change stated in the answer")


def _nl(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def _same_path(named: str, path: str) -> bool:
    a, b = named.lower(), path.lower()
    if a == b or b.endswith("/" + a) or a.endswith("/" + b):
        return True
    return "/" not in a and a == b.rsplit("/", 1)[-1]


def _fence_blocks(reply: str) -> list[_Block]:
    out = []
    for fence in fenced_blocks(reply):
        if fence.lang in ("diff", "patch", "udiff"):
            continue
        path, code = _unnest(*_fence_path(fence))
        if fence.lang in ("json", "text", "txt", "console", "output", "shell-session") and path is None:
            continue
        out += [_Block(p, c, fence.closed) for p, c in _split_files(path, code)]
    return out


def _split_files(path: str | None, code: str) -> list[tuple[str | None, str]]:
    """One fence holding several files, each after a comment line naming it (`# export_json.py` after a
    blank line), as Qwen2.5-Coder-1.5B wrote a two-file change: one block per file."""
    lines = split_lines(code)
    parts: list[tuple[str | None, list[str]]] = [(path, [])]
    for i, line in enumerate(lines):
        m = _LEAD_COMMENT.match(line)
        named = m.group("path") if m else None
        if named and i > 0 and not lines[i - 1].strip() and named != parts[-1][0]:
            parts.append((named, []))
            continue
        if named and i == 0 and path is not None and _same_path(named, path):
            continue  # the path above the fence said again as its first line
        parts[-1][1].append(line)
    if len(parts) == 1:
        return [(path, "".join(parts[0][1]))]
    return [(p, "".join(body).rstrip("\n") + "\n") for p, body in parts if "".join(body).strip()]


def _fence_path(fence: Fence) -> tuple[str | None, str]:
    """The file a fence names (info string, the line above, or a first-line comment) and its code."""
    for token in fence.info.split()[::-1]:
        if _PATH_TOKEN.fullmatch(token) and not token.lower().startswith(("python3.", "c++")):
            return token, fence.code
    before = fence.before.strip().strip("*_`").strip()
    m = _PATH_LINE.match(before)
    if m:
        return m.group("path"), fence.code
    words = [w.strip("`*'\":,()") for w in before.split()]
    named = [w for w in words if _PATH_TOKEN.fullmatch(w) and not w.endswith(".")]
    if len(named) == 1 and before.rstrip().endswith((":", named[0], named[0] + "`", named[0] + "**")):
        return named[0], fence.code
    lines = split_lines(fence.code)
    if lines and (m := _LEAD_COMMENT.match(lines[0])):
        return m.group("path"), "".join(lines[1:])
    return None, fence.code


def _unnest(path: str | None, code: str) -> tuple[str | None, str]:
    """A block that opens with the wrapper again (```` ```python ```` then `path` then ```` ```python ````,
    as small models sometimes write it): the inner path line and fence lines are not code."""
    lines = split_lines(code)
    named = _PATH_LINE.match(lines[0].strip()) if lines else None
    if named and len(lines) >= 2 and is_lang_opener(lines[1]):
        return path or named.group("path"), "".join(lines[2:])
    if lines and is_lang_opener(lines[0]):
        return path, "".join(lines[1:])
    return path, code


def _tool_call_blocks(reply: str, pairs: dict[str, list[tuple[str, str]]], resolve: object) -> list[_Block]:
    """`write` and `edit` calls printed as text (any tool-call wrapper) as blocks and search/replace pairs."""
    if '"' not in reply and "'" not in reply:
        return []
    assert callable(resolve)
    out = []
    for call in parse_tool_calls(reply, [WriteTool.schema(), EditTool.schema()]):
        path = call.arguments.get("path")
        if not isinstance(path, str):
            continue
        if call.name == "write" and isinstance(call.arguments.get("content"), str):
            out.append(_Block(path, call.arguments["content"], True, "write"))
        elif call.name == "edit":
            old, new = call.arguments.get("old_string"), call.arguments.get("new_string")
            target = resolve(path)
            if isinstance(old, str) and isinstance(new, str) and old.strip() and target is not None:
                pairs.setdefault(target, []).append((old, new))
    return out


def _as_whole_file(code: str, base: str, path: str, request: str) -> str | None:
    """The block as the file's new text when it is a complete file; None when it is a fragment (mapped
    definition by definition instead) or would lose definitions the request did not ask to remove."""
    if has_placeholder(code) and not has_placeholder(base):
        return None
    code_lines = [x.strip() for x in code.splitlines() if x.strip()]
    base_lines = [x.strip() for x in base.splitlines() if x.strip()]
    if not code_lines:
        return None
    if base_lines and (
        len(code_lines) < 0.6 * len(base_lines) or not _same_file_text(base_lines, code_lines)
    ):
        return None
    if _loses_names(code, base, path, request):
        return None
    text = code.replace("\r\n", "\n")
    eol = "\r\n" if "\r\n" in base else "\n"
    if not text.endswith("\n") and base.endswith(("\n", "\r")):
        text += "\n"
    return text.replace("\n", eol) if eol != "\n" else text


def _loses_names(code: str, base: str, path: str, request: str) -> bool:
    """The block drops definitions or exports of the file that the request does not ask to take away: it
    names each of them and says remove, rename, move... (a bug report that says "remove(id) deletes too
    much" names the method, not the exports the model forgot)."""
    python = path.endswith((".py", ".pyi"))
    base_defs = definitions(base, python)
    code_defs = definitions(code, python)
    if base_defs is None or code_defs is None:  # one side does not parse: compare names by pattern
        base_defs, code_defs = regex_definitions(base), regex_definitions(code)
    base_names = {d.name for d in base_defs}
    code_names = {d.name for d in code_defs}
    missing, added = base_names - code_names, code_names - base_names
    if len(added) >= len(missing):  # a rename keeps the count: old names out, new names in
        missing = set()
    lost = missing | (exported_names(base, path) - exported_names(code, path))
    if not lost:
        return False
    named = set(re.findall(r"[A-Za-z_$][\w$]*", request))
    return not (_REMOVAL_WORDS.search(request) and lost <= named)


def _squash(text: str) -> str:
    return "\n".join(x.rstrip() for x in text.strip().splitlines())


def _same_file_text(base_lines: list[str], code_lines: list[str]) -> bool:
    """Most of the file's lines are still there, or (a rename touches every line of a small file) most of
    its text is."""
    if len(set(base_lines) & set(code_lines)) >= 0.5 * len(set(base_lines)):
        return True
    a, b = "\n".join(base_lines), "\n".join(code_lines)
    if len(a) > 20_000:
        return False
    return similarity(a, b) >= 0.6


_EXPORT_DECL = re.compile(
    r"^\s*export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum)\s+(\w+)",
    re.M,
)
_EXPORT_LIST = re.compile(r"^\s*(?:export|module\.exports\s*=)\s*\{([^}]*)\}", re.M)
_EXPORT_ONE = re.compile(
    r"^\s*(?:module\.)?exports\.(\w+)\s*=|^\s*module\.exports\s*=\s*(\w+)\s*;?\s*$", re.M
)


def exported_names(text: str, path: str) -> set[str]:
    """The names a JavaScript/TypeScript module exports (ES `export`, CommonJS `module.exports`)."""
    if not path.endswith((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx")):
        return set()
    names = set(_EXPORT_DECL.findall(text))
    for body in _EXPORT_LIST.findall(text):
        for item in body.split(","):
            name = re.split(r"\s+as\s+|\s*:", item.strip())[0].strip()
            if re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                names.add(name)
    for a, b in _EXPORT_ONE.findall(text):
        names.add(a or b)
    return names
