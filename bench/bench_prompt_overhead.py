"""Prompt overhead: tokens of system prompt plus tool schemas for the default coding tools (cl100k)."""

from __future__ import annotations

import json

from skiff.agent.prompts import system_prompt
from skiff.agent.tokens import cl100k
from skiff.agent.tools.base import ToolRegistry
from skiff.agent.tools.defaults import coding_tools

REFERENCE = 3201  # little-coder's first request for a Python exercise: 1,985 prompt + 1,216 schema tokens
TARGET = 1200


def measure() -> list[tuple[str, int, int]]:
    tok = cl100k()
    tools = ToolRegistry(coding_tools())
    rows = []
    native_prompt = tok.count(system_prompt("/work/project", tools, "native"))
    schemas = tok.count(json.dumps(tools.schemas()))
    rows.append(("native tool calls (schemas sent as `tools`)", native_prompt, schemas))
    for fmt in ("json", "hermes"):
        rows.append(
            (f"{fmt}: tools rendered in the prompt", tok.count(system_prompt("/work/project", tools, fmt)), 0)
        )
    return rows


def main() -> None:
    rows = measure()
    print(f"{'configuration':<46} {'prompt':>7} {'schemas':>8} {'total':>6} {'vs 3,201':>9} {'target':>7}")
    print(
        f"{'little-coder (reference, measured)':<46} {1985:>7} {1216:>8} {REFERENCE:>6} {'1.00':>9} {'':>7}"
    )
    for name, prompt, schemas in rows:
        total = prompt + schemas
        ok = "ok" if total <= TARGET else "OVER"
        print(f"{name:<46} {prompt:>7} {schemas:>8} {total:>6} {total / REFERENCE:>9.2f} {ok:>7}")


if __name__ == "__main__":
    main()
