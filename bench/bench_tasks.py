"""Model calls and prompt tokens per task on a real GGUF in-process: tool loop vs the one-call edit path.

Each task is an editor-style request about one file (as "Ask agent" sends it: the file is the context).
A task succeeds when its proposal passes a check run on the proposed text. The baseline is the same model,
prompt format and tools in the tool loop with every mechanism off, measured in the same run; then the tool
loop with the profile's mechanisms, then the profile as shipped (the one-call edit path). For the
comparison with Aider on the full task suite, see `bench_vs_aider.py`.

    python bench/bench_tasks.py                                   # SmolLM2-135M (smoke test)
    python bench/bench_tasks.py --gguf .bench-cache/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skiff.agent.config import ALL_MECHANISMS, Registry
from skiff.agent.context import RequestContext
from skiff.agent.loop import Session, SessionOptions
from skiff.agent.providers.llama_cpp import LlamaCppProvider
from skiff.agent.workspace import Workspace

FIXTURES = Path(__file__).resolve().parent / "tasks"


def _module(text: str) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(compile(text, "<proposal>", "exec"), scope)  # the benchmark's own fixture code only
    return scope


def _defs(text: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)}


def docstring_added(text: str) -> bool:
    fn = _defs(text).get("mean")
    return fn is not None and ast.get_docstring(fn) is not None and _module(text)["mean"]([1, 2, 3]) == 2


def renamed(text: str) -> bool:
    names = _defs(text)
    return "middle" in names and "median" not in names and _module(text)["middle"]([3, 1, 2]) == 2


def empty_guard(text: str) -> bool:
    mean = _module(text)["mean"]
    return mean([]) == 0.0 and mean([1, 2, 3]) == 2


def clamp_fixed(text: str) -> bool:
    clamp = _module(text)["clamp"]
    return (clamp(-5, 0, 10), clamp(50, 0, 10), clamp(5, 0, 10)) == (0, 10, 5)


def area_fixed(text: str) -> bool:
    area = _module(text)["circle_area"]
    return abs(area(2) - 12.566370614359172) < 1e-9


@dataclass
class Task:
    name: str
    path: str
    prompt: str
    check: Callable[[str], bool]


TASKS = [
    Task("docstring", "stats.py", "add a docstring to mean()", docstring_added),
    Task("rename", "stats.py", "rename the function median to middle", renamed),
    Task("empty list", "stats.py", "make mean() return 0.0 for an empty list", empty_guard),
    Task("fix clamp", "shapes.py", "clamp() returns the wrong bound; fix it", clamp_fixed),
    Task("fix area", "shapes.py", "circle_area() computes the wrong formula; fix it", area_fixed),
]


@dataclass
class Outcome:
    ok: bool
    calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


async def run_task(task: Task, provider: LlamaCppProvider, options: SessionOptions) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for f in FIXTURES.iterdir():
            shutil.copy(f, root / f.name)
        session = Session(provider, Workspace(root), options)
        start = time.perf_counter()
        result = await session.run_turn(task.prompt, RequestContext(path=task.path))
        seconds = time.perf_counter() - start
        ok = False
        if result.proposal is not None:
            change = next((c for c in result.proposal.changes if c.path == task.path), None)
            if change is not None and change.new_text is not None:
                try:
                    ok = task.check(change.new_text)
                except Exception:
                    ok = False
        return Outcome(
            ok, result.model_calls, result.usage.prompt_tokens, result.usage.completion_tokens, seconds
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, help="a GGUF file (default: the embedded SmolLM2-135M)")
    parser.add_argument("--profile", default=None, help="profile name from models.json")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    registry = Registry(user=None)
    spec = registry.resolve("embedded/smollm2-135m")
    path = args.gguf or spec.model_path()
    profile = registry.profiles[args.profile or ("small-routed" if args.gguf else "tiny")]
    limit = profile.context_limit or 4096
    provider = LlamaCppProvider(path, n_ctx=limit)
    on = SessionOptions(
        profile=profile, context_limit=limit, max_output_tokens=profile.max_output_tokens or 512
    )
    loop_profile = profile.model_copy(update={"edit_format": "tools"})
    off_profile = loop_profile.model_copy(update={"mechanisms": [], "tool_routing": False})
    off = SessionOptions(profile=off_profile, context_limit=limit, max_output_tokens=on.max_output_tokens)
    loop = SessionOptions(profile=loop_profile, context_limit=limit, max_output_tokens=on.max_output_tokens)
    configs = {"mechanisms off (baseline)": off, "tool loop, mechanisms on": loop, "one-call edit path": on}
    enabled = [
        m for m in ALL_MECHANISMS if m in profile.mechanisms or (m == "tool_routing" and profile.tool_routing)
    ]
    print(f"model {path.name}, format {profile.tool_call_format}, mechanisms on: {', '.join(enabled)}")
    rows: dict[str, list[Outcome]] = {name: [] for name in configs}
    print(f"{'task':<12} {'config':<26} {'ok':>3} {'calls':>6} {'prompt tok':>11} {'compl tok':>10} {'s':>8}")
    for _ in range(args.repeat):
        for task in TASKS:
            for name, options in configs.items():  # interleaved: drift hits both alike
                out = await run_task(task, provider, options)
                rows[name].append(out)
                print(
                    f"{task.name:<12} {name:<26} {'yes' if out.ok else 'no':>3} {out.calls:>6} "
                    f"{out.prompt_tokens:>11} {out.completion_tokens:>10} {out.seconds:>8.1f}",
                    flush=True,
                )
    await provider.aclose()
    print()
    print(
        f"{'config':<26} {'solved':>7} {'calls/task':>11} {'prompt tok/task':>16} {'s/task':>7} {'ratio':>6}"
    )
    base = rows["mechanisms off (baseline)"]
    base_solved = sum(o.ok for o in base)
    for name, outs in rows.items():
        solved = sum(o.ok for o in outs)
        ratio = f"{solved / base_solved:.2f}" if base_solved else ("n/a" if not solved else "inf")
        print(
            f"{name:<26} {solved:>3}/{len(outs):<3} {statistics.mean(o.calls for o in outs):>11.2f} "
            f"{statistics.mean(o.prompt_tokens for o in outs):>16.0f} "
            f"{statistics.mean(o.seconds for o in outs):>7.1f} {ratio:>6}"
        )


if __name__ == "__main__":
    asyncio.run(main())
