"""Scaffold overhead per turn: the agent loop around a scripted model, against the bare model stream."""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from skiff.agent.config import ALL_MECHANISMS, Profile
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.messages import ToolCall
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.scripted import ScriptedProvider
from skiff.agent.tools.base import ToolContext, ToolRegistry
from skiff.agent.tools.defaults import default_tools
from skiff.agent.workspace import Overlay, Workspace

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(200))
REPLIES: list[object] = [
    {"tool_calls": [{"name": "read", "arguments": {"path": "mod.py", "limit": 50}}]},
    {"tool_calls": [{"name": "grep", "arguments": {"pattern": "def f1[0-9]"}}]},
    {
        "tool_calls": [
            {
                "name": "edit",
                "arguments": {
                    "path": "mod.py",
                    "old_string": "def f7(x):\n    return x + 7",
                    "new_string": "def f7(x):\n    return x * 7",
                },
            }
        ]
    },
    "Changed f7 to multiply. " * 20,
]
RUNS = 30


async def bare(root: Path) -> float:
    """The same model stream and the same tool executions, with no loop around them."""
    provider = ScriptedProvider(list(REPLIES), chunk=16)
    tools = ToolRegistry(default_tools())
    ws = Workspace(root)
    ctx = ToolContext(workspace=ws, overlay=Overlay(ws))
    start = time.perf_counter()
    for n, _ in enumerate(REPLIES):
        async for delta in provider.stream(ChatRequest(messages=[])):
            for tc in delta.tool_calls:
                call = ToolCall(f"c{n}", tc.name or "", json.loads(tc.arguments))
                await tools.execute(call, ctx)
    return (time.perf_counter() - start) * 1000


async def loop(root: Path, mechanisms: list[str]) -> float:
    provider = ScriptedProvider(list(REPLIES), chunk=16)
    session = Session(provider, Workspace(root), SessionOptions(profile=Profile(mechanisms=mechanisms)))
    start = time.perf_counter()
    result = await session.run_turn("make f7 multiply instead of add")
    elapsed = (time.perf_counter() - start) * 1000
    assert result.proposal is not None, "the benchmark turn must produce its edit"
    return elapsed


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mod.py").write_text(SOURCE)
        configs = {
            "model stream + tools, no loop (baseline)": lambda: bare(root),
            "loop, mechanisms off": lambda: loop(root, []),
            "loop, all mechanisms on": lambda: loop(root, [m for m in ALL_MECHANISMS if m != "tool_routing"]),
        }
        timings: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(3):  # warm-up
            for fn in configs.values():
                await fn()
        for _ in range(RUNS):  # interleaved so drift hits every configuration alike
            for name, fn in configs.items():
                timings[name].append(await fn())
    base = statistics.median(timings["model stream + tools, no loop (baseline)"])
    print(f"4-call turn (read, grep, edit, answer), {RUNS} runs each, median ms")
    print(f"{'configuration':<42} {'median ms':>10} {'overhead ms':>12} {'ratio':>7}")
    for name, values in timings.items():
        med = statistics.median(values)
        print(f"{name:<42} {med:>10.2f} {med - base:>12.2f} {med / base:>7.2f}")


if __name__ == "__main__":
    asyncio.run(main())
