"""Transition shim: ignore rules moved to `skiff.agent.text.ignore`; verify and edit_context use this path."""

from __future__ import annotations

from skiff.agent.text.ignore import (
    ALWAYS_SKIP,
    IgnoreMatcher,
    compile_path_glob,
    expand_braces,
    translate_glob,
)

__all__ = ["ALWAYS_SKIP", "IgnoreMatcher", "compile_path_glob", "expand_braces", "translate_glob"]
