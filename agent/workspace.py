"""The workspace as the agent sees it: root confinement, editor buffers over disk, and the per-turn overlay.

Reads go overlay -> document source (the editor's unsaved buffers) -> disk. Writes go to the overlay only:
nothing touches disk during a turn; the overlay becomes a Proposal at turn end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class PathOutsideWorkspace(ValueError):
    """A path resolves outside the workspace root (`..`, absolute paths elsewhere, symlink escapes)."""


class DocumentSource(Protocol):
    """Open editor buffers. `get` returns the buffer text of an open document, or None if not open."""

    def get(self, path: Path) -> str | None: ...

    def open_paths(self) -> list[Path]: ...


def buffer_or_disk(documents: DocumentSource, path: Path) -> str | None:
    """The editor buffer's text if `path` is open, else the file on disk, None if neither exists."""
    text = documents.get(path)
    if text is not None:
        return text
    if path.is_file():
        return path.read_text(encoding="utf-8", errors="replace")
    return None


class NoDocuments:
    """A document source with no open buffers (headless runs)."""

    def get(self, path: Path) -> str | None:
        return None

    def open_paths(self) -> list[Path]:
        return []


class Workspace:
    """A confined view of a folder: every path an agent names is resolved and checked against the root."""

    def __init__(self, root: Path | str, documents: DocumentSource | None = None) -> None:
        self.root = Path(root).resolve()
        self.documents: DocumentSource = documents or NoDocuments()

    def resolve(self, path: str | Path) -> Path:
        """Absolute, symlink-resolved path inside the root; raises PathOutsideWorkspace otherwise."""
        raw = Path(os.path.expanduser(str(path)))
        candidate = raw if raw.is_absolute() else self.root / raw
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise PathOutsideWorkspace(f"path '{path}' is outside the workspace root {self.root}")
        return resolved

    def relative(self, path: Path) -> str:
        """Workspace-relative POSIX path for display and proposals."""
        return path.relative_to(self.root).as_posix()

    def read_base(self, path: Path) -> str | None:
        """Current text before this turn's edits: the editor buffer if open, else disk, None if missing."""
        return buffer_or_disk(self.documents, path)

    def exists(self, path: Path) -> bool:
        return self.documents.get(path) is not None or path.exists()


@dataclass
class Overlay:
    """In-memory edits of one turn. `base` remembers the text each touched file had before its first edit
    (None for a file the turn creates); `current` holds the new text (None for a deleted file)."""

    workspace: Workspace
    base: dict[Path, str | None] = field(default_factory=dict)
    current: dict[Path, str | None] = field(default_factory=dict)

    def read(self, path: Path) -> str | None:
        if path in self.current:
            return self.current[path]
        return self.workspace.read_base(path)

    def exists(self, path: Path) -> bool:
        if path in self.current:
            return self.current[path] is not None
        return self.workspace.exists(path)

    def write(self, path: Path, text: str | None) -> None:
        if path not in self.base:
            self.base[path] = self.workspace.read_base(path)
        self.current[path] = text

    def changed_paths(self) -> Iterator[Path]:
        for path in sorted(self.current):
            if self.current[path] != self.base.get(path):
                yield path

    def clear(self) -> None:
        self.base.clear()
        self.current.clear()
