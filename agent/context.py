"""What a request is about (file, selection, diagnostics) and how it is rendered for the model."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    return "\n".join(f"{first + i + 1:>4}| {line.rstrip(chr(10)).rstrip(chr(13))}" for i, line in enumerate(lines))
