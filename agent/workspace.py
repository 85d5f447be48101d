"""The workspace as the agent sees it: root confinement, editor buffers over disk, and the per-turn overlay.

Reads go overlay -> document source (the editor's unsaved buffers) -> disk. Writes go to the overlay only:
nothing touches disk during a turn; the overlay becomes a Proposal at turn end.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from skiff.agent.redact import restore as restore_secrets


class PathOutsideWorkspace(ValueError):
    """A path resolves outside the workspace root (`..`, absolute paths elsewhere, symlink escapes)."""


class InvalidPath(PathOutsideWorkspace):
    """A path that cannot be used safely: a NUL byte, too long, a symlink loop, or (for writes) a hard
    link whose other name may lie outside the workspace. A PathOutsideWorkspace, so every caller that
    refuses escaping paths refuses these too."""


MAX_PATH_CHARS = 4096  # Linux PATH_MAX
MAX_NAME_BYTES = 255  # Linux NAME_MAX


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
        """Absolute, symlink-resolved path inside the root; raises PathOutsideWorkspace otherwise
        (InvalidPath for a NUL byte, an over-long path or name, or a symlink loop)."""
        text = str(path)
        if "\0" in text:
            raise InvalidPath(f"path {text[:80]!r} contains a NUL byte")
        if len(text) > MAX_PATH_CHARS:
            raise InvalidPath(
                f"path '{text[:80]}...' is {len(text)} characters long (limit {MAX_PATH_CHARS})"
            )
        if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in Path(text).parts):
            raise InvalidPath(f"path '{text[:80]}...' has a name longer than {MAX_NAME_BYTES} bytes")
        raw = Path(os.path.expanduser(text))
        candidate = raw if raw.is_absolute() else self.root / raw
        try:
            resolved = candidate.resolve()
        except (RuntimeError, OSError) as exc:  # 3.11 raises RuntimeError for a loop, later ones OSError
            raise InvalidPath(f"path '{text}' cannot be resolved (a symlink loop?): {exc}") from None
        if len(str(resolved)) > MAX_PATH_CHARS:
            raise InvalidPath(f"path '{text[:80]}...' resolves to more than {MAX_PATH_CHARS} characters")
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


def refuse_hard_link(path: Path) -> None:
    """InvalidPath when `path` is a regular file with more than one link."""
    try:
        info = path.lstat()
    except (OSError, ValueError):
        return  # a new file (or one that cannot exist): nothing to write through
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        raise InvalidPath(
            f"refusing to change '{path.name}': it is a hard link ({info.st_nlink} names for one file), and "
            "writing it would change every name, including any outside the workspace"
        )


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
        """Record new text for `path`; InvalidPath when the file on disk is a hard link (accepting the
        change would write through every other name of it, which may be outside the workspace)."""
        refuse_hard_link(path)
        if path not in self.base:
            self.base[path] = self.workspace.read_base(path)
        base = self.base[path]
        if text is not None and base is not None:
            text = restore_secrets(text, base)  # the model saw the file redacted (skiff.agent.redact)
        self.current[path] = text

    def changed_paths(self) -> Iterator[Path]:
        for path in sorted(self.current):
            if self.current[path] != self.base.get(path):
                yield path

    def clear(self) -> None:
        self.base.clear()
        self.current.clear()
