"""What a request is about (file, selection, diagnostics) and how it is rendered for the model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Diagnostic:
    line: int  # 0-based
    message: str
    severity: str = "error"  # error | warning | information | hint
    source: str | None = None
    code: str | None = None
    end_line: int | None = None

    def render(self) -> str:
        origin = f" [{self.source}{' ' + self.code if self.code else ''}]" if self.source else ""
        return f"line {self.line + 1}: {self.severity}{origin}: {self.message}"


@dataclass
class Selection:
    start_line: int  # 0-based, inclusive
    end_line: int  # 0-based, inclusive
    text: str
    start_character: int = 0
    end_character: int = 0


@dataclass
class RequestContext:
    """The editor context of a request: a workspace-relative path, the selection, nearby diagnostics."""

    path: str | None = None
    selection: Selection | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    language: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestContext:
        sel = data.get("selection")
        return cls(
            path=data.get("path"),
            selection=Selection(**sel) if sel else None,
            diagnostics=[Diagnostic(**d) for d in data.get("diagnostics", [])],
            language=data.get("language"),
        )


def numbered(lines: list[str], first: int) -> str:
    """Lines prefixed with 1-based line numbers, starting at `first` (0-based)."""
    return "\n".join(
        f"{first + i + 1:>4}| {line.rstrip(chr(10)).rstrip(chr(13))}" for i, line in enumerate(lines)
    )


def infer_context(root: Path, instruction: str) -> RequestContext | None:
    """For headless requests: the file the instruction is about, when it names one.

    A workspace-relative path or file name mentioned in the instruction wins; otherwise a function or
    class named like `mean()` that is defined in exactly one source file.
    """
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and not _ignored(p.relative_to(root))][:2000]
    words = re.findall(r"[\w./-]+", instruction)
    named = [p for p in files if p.relative_to(root).as_posix() in words or p.name in words]
    if named:
        # A source file before a document ("implement acronym.py as described in INSTRUCTIONS.md"),
        # then the order the instruction names them in.
        def rank(p: Path) -> tuple[bool, int]:
            rel = p.relative_to(root).as_posix()
            return p.suffix not in SOURCE_SUFFIXES, words.index(rel if rel in words else p.name)

        return RequestContext(path=min(named, key=rank).relative_to(root).as_posix())
    names = re.findall(r"\b([A-Za-z_]\w*)\(\)", instruction) + re.findall(r"`([A-Za-z_]\w*)`", instruction)
    for name in names:
        pattern = re.compile(rf"^\s*(?:async\s+def|def|class|function|fn|func)\s+{re.escape(name)}\b", re.M)
        hits = []
        for p in files:
            if p.suffix not in SOURCE_SUFFIXES:
                continue
            try:
                if pattern.search(p.read_text(encoding="utf-8", errors="replace")):
                    hits.append(p)
            except OSError:
                continue
        if len(hits) == 1:
            return RequestContext(path=hits[0].relative_to(root).as_posix())
    return None


SOURCE_SUFFIXES = {
    ".py",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".go",
    ".rs",
    ".rb",
    ".java",
    ".c",
    ".h",
    ".cpp",
    ".lua",
}


def is_test_file(rel: str) -> bool:
    """A test file by its name: `test_x.py`, `x_test.py`, `x.test.js`, `x.spec.ts`..."""
    name = rel.rsplit("/", 1)[-1]
    return name.startswith("test_") or "_test." in name or ".test." in name or ".spec." in name


def _ignored(rel: Path) -> bool:
    return any(p.startswith(".") or p in {"node_modules", "__pycache__", "build", "dist"} for p in rel.parts)
