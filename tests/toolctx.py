"""Shared test helpers for tools: an editor-buffer document source backed by a dict, and a tool context."""

from __future__ import annotations

from pathlib import Path

from skiff.agent.tools.base import ToolContext
from skiff.agent.workspace import Overlay, Workspace


class Buffers:
    """An editor-buffer DocumentSource backed by a dict."""

    def __init__(self, docs: dict[Path, str]) -> None:
        self.docs = docs

    def get(self, path: Path) -> str | None:
        return self.docs.get(path)

    def open_paths(self) -> list[Path]:
        return list(self.docs)


def make_ctx(root: Path, docs: dict[Path, str] | None = None) -> ToolContext:
    ws = Workspace(root, Buffers(docs or {}))
    return ToolContext(workspace=ws, overlay=Overlay(ws))
