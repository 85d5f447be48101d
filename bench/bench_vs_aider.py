"""Skiff vs Aider on the benchmark task suite, both driving the same local OpenAI-compatible model server.

Every task of `bench/suite/tasks/` runs once per agent (and per `--repeat`) on a fresh copy of its
workspace; which agent goes first alternates from task to task. When the agent has exited, the task's hidden
check (`check/`) is copied in and run: exit status 0 means solved. Each run records wall-clock seconds of
the agent process, model calls, prompt and completion tokens, the exit code, the tail of the agent's output
and the files it changed. Results are written to JSON after every run, so a killed run keeps what it
measured; `--report` prints the summary of such a file.

    python bench/fetch_qwen_gguf.py
    python -m llama_cpp.server --model .bench-cache/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \\
        --host 127.0.0.1 --port 8080 --n_ctx 16384 --n_threads 2
    python bench/bench_vs_aider.py --quick                 # about 12 tasks, every group, Skiff and Aider
    python bench/bench_vs_aider.py                         # the whole suite
    python bench/bench_vs_aider.py --groups fix,js --repeat 3
    python bench/bench_vs_aider.py --agents skiff --variant no-mechanisms='{"mechanisms": []}'
    python bench/bench_vs_aider.py --agents reference      # tests the runner without a model: 100 %
    python bench/bench_vs_aider.py --report .bench-cache/vs-aider-20250101T120000Z.json --markdown

Agents:
  skiff      `python -m skiff run --model MODEL --apply --workspace WS [--file FILE] REQUEST`. Skiff reads a
             generated models file (SKIFF_MODELS_FILE): the shipped provider of MODEL with its baseUrl set to
             --base, so the user's own models.json never leaks in.
  skiff[N]   the same with `--variant N=JSON`: JSON (profile keys, e.g. {"repairRounds": 0} or
             {"mechanisms": ["context_first"]}) is merged over the model's shipped profile.
  aider      `aider --model openai/local --openai-api-base BASE ... --message REQUEST [--read R] FILES` with a
             throw-away HOME. Model calls are its `Tokens: N sent, M received.` lines (rounded as printed).
  reference  overlays the task's `solution/`: checks the suite and this runner.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_BASE = "http://127.0.0.1:8080/v1"
DEFAULT_SKIFF_MODEL = "llamacpp/qwen2.5-coder-1.5b"
DEFAULT_AIDER = "/tmp/aider-venv/bin/aider"
LOG_TAIL = 4000
CHECK_TAIL = 2000
FILE_CAP = 20000
SKIP_PARTS = ("__pycache__", ".pytest_cache", "node_modules", ".git", ".mypy_cache", ".ruff_cache")


def _load_suite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_suite_validate", BENCH / "suite" / "validate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


suite = _load_suite()
GROUPS: tuple[str, ...] = suite.GROUPS


# ----------------------------------------------------------------------------------------------- agents


@dataclass
class Agent:
    """One column of the comparison: `skiff`, `skiff[NAME]` (a profile variant), `aider` or `reference`."""

    name: str
    kind: str  # "skiff" | "aider" | "reference"
    models_file: Path | None = None


@dataclass
class Outcome:
    """What one agent process did (before grading)."""

    exit_code: int | None
    seconds: float
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timed_out: bool = False
    stop_reason: str | None = None
    log: str = ""


def run_process(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Outcome:
    """Run `argv` with stdin from /dev/null, stdout+stderr captured, killed (its whole group) on timeout."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return Outcome(None, time.monotonic() - start, log=f"could not start {argv[0]}: {exc}")
        timed_out = False
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            code = None
        except KeyboardInterrupt:  # the agent has its own session: Ctrl-C does not reach it
            _kill_group(proc)
            raise
        seconds = time.monotonic() - start
        _kill_group(proc)  # on timeout, and whatever the agent left running in its group
        log.seek(0)
        text = log.read().decode("utf-8", errors="replace")
    if timed_out:
        text += f"\n[bench] killed after {timeout:.0f} s"
    return Outcome(code, seconds, timed_out=timed_out, log=text)


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, to the agent's process group (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, so that only live members keep the group alive
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


SKIFF_STATS = re.compile(
    r"skiff: (?P<stop>\S+) after (?P<calls>\d+) model call(?:\(s\)|s)?, "
    r"(?P<prompt>\d+) prompt \+ (?P<completion>\d+) completion tokens"
)


def parse_skiff(log: str) -> tuple[str | None, int, int, int]:
    """(stop reason, model calls, prompt tokens, completion tokens) from Skiff's stderr; zeros if missing.

    The last complete statistics line wins (other lines, before or after it, are ignored)."""
    matches = list(SKIFF_STATS.finditer(log))
    if matches:
        m = matches[-1]
        return m["stop"], int(m["calls"]), int(m["prompt"]), int(m["completion"])

    def last(pattern: str) -> int:
        found = re.findall(pattern, log)
        return int(found[-1]) if found else 0

    return None, last(r"(\d+) model call"), last(r"(\d+) prompt \+"), last(r"(\d+) completion tokens")


AIDER_TOKENS = re.compile(
    r"Tokens: (?P<sent>[\d.,]+[kKmM]?) sent(?:, [\d.,]+[kKmM]? cache (?:write|hit))*, "
    r"(?P<received>[\d.,]+[kKmM]?) received"
)


def _aider_count(text: str) -> int:
    text = text.replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return round(float(text.rstrip("kKmM")) * scale)


def parse_aider(log: str) -> tuple[int, int, int]:
    """(model calls, prompt tokens, completion tokens): one `Tokens: ... sent, ... received.` line a call."""
    found = list(AIDER_TOKENS.finditer(log))
    return (
        len(found),
        sum(_aider_count(m["sent"]) for m in found),
        sum(_aider_count(m["received"]) for m in found),
    )


@dataclass
class Settings:
    base: str
    skiff_model: str
    skiff_args: list[str]
    aider: str
    aider_model: str
    aider_args: list[str]
    timeout: float
    scratch: Path  # session temp dir: aider's HOME, an empty XDG_CONFIG_HOME, the models files
    snapshot: Path | None = None  # a folder holding `skiff/` (HEAD's files): Skiff runs from it, not the tree
    typescript: Path = field(default_factory=lambda: REPO / "vscode-client" / "node_modules" / "typescript")


def _base_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDER_", "OPENAI_", "SKIFF_"))}
    env["NO_COLOR"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["SKIFF_BENCH_TYPESCRIPT"] = str(settings.typescript)
    return env


def run_skiff(agent: Agent, task: Any, ws: Path, settings: Settings) -> Outcome:
    assert agent.models_file is not None
    argv = [sys.executable, "-m", "skiff", "run", "--model", settings.skiff_model, "--apply"]
    argv += ["--workspace", str(ws), *(["--file", task.file] if task.file else []), *settings.skiff_args]
    argv.append(task.request)
    env = _base_env(settings)
    env["SKIFF_MODELS_FILE"] = str(agent.models_file)
    env["XDG_CONFIG_HOME"] = str(settings.scratch / "xdg")
    if settings.snapshot is not None:  # `import skiff` finds the snapshot before the editable install
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.snapshot), env.get("PYTHONPATH")]))
    outcome = run_process(argv, ws, env, settings.timeout)
    outcome.stop_reason, outcome.model_calls, outcome.prompt_tokens, outcome.completion_tokens = parse_skiff(
        outcome.log
    )
    return outcome


def aider_argv(task: Any, settings: Settings) -> list[str]:
    argv = [settings.aider, "--model", settings.aider_model, "--openai-api-base", settings.base]
    argv += [
        "--openai-api-key",
        "noop",
        "--no-git",
        "--yes-always",
        "--no-stream",
        "--no-show-model-warnings",
    ]
    argv += ["--no-check-update", "--analytics-disable", "--no-auto-commits", "--no-dirty-commits"]
    argv += ["--no-fancy-input", "--no-pretty", "--no-show-release-notes", *settings.aider_args]
    argv += ["--message", task.request]
    for name in task.read:
        argv += ["--read", name]
    return [*argv, *task.files]


def run_aider(agent: Agent, task: Any, ws: Path, settings: Settings) -> Outcome:
    env = _base_env(settings)
    env["HOME"] = str(settings.scratch / "aider-home")
    env["TERM"] = "dumb"
    outcome = run_process(aider_argv(task, settings), ws, env, settings.timeout)
    outcome.model_calls, outcome.prompt_tokens, outcome.completion_tokens = parse_aider(outcome.log)
    return outcome


def run_reference(agent: Agent, task: Any, ws: Path, settings: Settings) -> Outcome:
    start = time.monotonic()
    shutil.copytree(task.solution, ws, dirs_exist_ok=True)
    return Outcome(0, time.monotonic() - start, stop_reason="reference", log="overlaid solution/")


RUNNERS = {"skiff": run_skiff, "aider": run_aider, "reference": run_reference}


# ------------------------------------------------------------------------------------------ preparation


def skiff_models_file(dest: Path, model_ref: str, base: str, overrides: dict[str, Any] | None) -> Path:
    """A user models file holding the shipped provider of `model_ref` (baseUrl = `base`), its profile
    replaced by `{"extends": ORIGINAL, **overrides}` when `overrides` is given."""
    shipped = json.loads((REPO / "models.json").read_text(encoding="utf-8"))
    provider_name, _, model_id = model_ref.partition("/")
    if provider_name not in shipped.get("providers", {}):
        raise SystemExit(f"bench: the shipped models.json has no provider '{provider_name}' ({model_ref})")
    provider = copy.deepcopy(shipped["providers"][provider_name])
    model = next((m for m in provider.get("models", []) if m.get("id") == model_id), None)
    if model is None:
        raise SystemExit(f"bench: provider '{provider_name}' has no model '{model_id}' in models.json")
    if provider.get("api", "openai-completions") in ("openai-completions", "openai"):
        provider["baseUrl"] = base
    if overrides is not None:
        original = model.get("profile")
        if isinstance(original, dict):
            model["profile"] = {**original, **overrides}
        else:
            model["profile"] = {"extends": original or "default", **overrides}
    dest.write_text(json.dumps({"providers": {provider_name: provider}}, indent=2) + "\n", encoding="utf-8")
    _check_models_file(dest, model_ref)
    return dest


def _check_models_file(path: Path, model_ref: str) -> None:
    """Resolve the model through Skiff's registry now, so a bad variant fails before any task runs."""
    try:
        from skiff.agent.config import ConfigError, Registry
    except ImportError:
        return  # the skiff subprocess will report it
    try:
        Registry(user=path).resolve(model_ref)
    except (ConfigError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise SystemExit(f"bench: {path.name}: {exc}") from None


def parse_variants(specs: list[str]) -> list[tuple[str, dict[str, Any]]]:
    variants = []
    for spec in specs:
        name, sep, raw = spec.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"bench: --variant wants NAME=JSON, got {spec!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"bench: --variant {name}: invalid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise SystemExit(f"bench: --variant {name}: JSON must be an object of profile keys")
        variants.append((name.strip(), value))
    return variants


def check_server(base: str) -> None:
    url = base.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SystemExit(
            f"bench: no OpenAI-compatible server answers GET {url} ({exc}).\n"
            "Start one first, e.g.:\n"
            "  python bench/fetch_qwen_gguf.py\n"
            "  python -m llama_cpp.server --model .bench-cache/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf "
            "--host 127.0.0.1 --port 8080 --n_ctx 16384 --n_threads 2"
        ) from None


def check_tools(agents: list[Agent], settings: Settings) -> None:
    aider_found = shutil.which(settings.aider) or Path(settings.aider).is_file()
    if any(a.kind == "aider" for a in agents) and not aider_found:
        raise SystemExit(f"bench: aider not found at {settings.aider} (use --aider PATH)")
    if any(a.kind == "skiff" for a in agents):
        probe = subprocess.run([sys.executable, "-c", "import skiff.cli"], capture_output=True, text=True)
        if probe.returncode != 0:
            raise SystemExit(f"bench: {sys.executable} cannot import skiff:\n{probe.stderr[-1000:]}")
    if not shutil.which("node"):
        print("bench: warning: node is not on PATH; JavaScript/TypeScript checks will fail", file=sys.stderr)
    if not settings.typescript.is_dir():
        print(
            f"bench: warning: {settings.typescript} is missing; TypeScript checks will fail "
            "(cd vscode-client && npm ci)",
            file=sys.stderr,
        )


def prepare_scratch(scratch: Path) -> None:
    (scratch / "xdg").mkdir(parents=True, exist_ok=True)
    caches = scratch / "aider-home" / ".aider" / "caches"
    caches.mkdir(parents=True, exist_ok=True)
    # A fresh model-metadata cache without our model (as the real list has none for openai/local): aider
    # does not try to download litellm's price list on each run (an empty one counts as missing).
    placeholder = json.dumps({"skiff-bench-placeholder": {"litellm_provider": "none"}})
    (caches / "model_prices_and_context_window.json").write_text(placeholder, encoding="utf-8")


def select_tasks(tasks: list[Any], args: argparse.Namespace) -> list[Any]:
    if args.quick:
        tasks = [t for t in tasks if t.quick]
    if args.tasks:
        wanted = _split(args.tasks)
        unknown = set(wanted) - {t.id for t in tasks}
        if unknown:
            raise SystemExit(f"bench: unknown or filtered-out task(s): {', '.join(sorted(unknown))}")
        tasks = [t for t in tasks if t.id in wanted]
    if args.groups:
        groups = _split(args.groups)
        unknown = set(groups) - set(GROUPS)
        if unknown:
            raise SystemExit(
                f"bench: unknown group(s) {', '.join(sorted(unknown))}; known: {', '.join(GROUPS)}"
            )
        tasks = [t for t in tasks if t.group in groups]
    if not tasks:
        raise SystemExit("bench: no task selected")
    return tasks


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_agents(
    names: list[str], variants: list[tuple[str, dict[str, Any]]], settings: Settings
) -> list[Agent]:
    agents = []
    for name in names:
        if name not in RUNNERS:
            raise SystemExit(f"bench: unknown agent '{name}' (known: {', '.join(RUNNERS)})")
        models = None
        if name == "skiff":
            models = skiff_models_file(
                settings.scratch / "models.json", settings.skiff_model, settings.base, None
            )
        agents.append(Agent(name, name, models))
    for i, (vname, overrides) in enumerate(variants):
        path = settings.scratch / f"models-variant-{i}.json"
        agents.append(
            Agent(
                f"skiff[{vname}]",
                "skiff",
                skiff_models_file(path, settings.skiff_model, settings.base, overrides),
            )
        )
    if len({a.name for a in agents}) != len(agents):
        raise SystemExit("bench: the same agent is named twice")
    return agents


# ------------------------------------------------------------------------------------------------ a run


def changed_files(original: Path, ws: Path) -> dict[str, str | None]:
    """Files the agent created or changed (path -> text, capped) and deleted (path -> None)."""

    def listing(root: Path) -> dict[str, Path]:
        out = {}
        for path in root.rglob("*"):
            rel = path.relative_to(root)
            if path.is_file() and not any(p in SKIP_PARTS or p.startswith(".aider") for p in rel.parts):
                out[rel.as_posix()] = path
        return out

    before, after = listing(original), listing(ws)
    changes: dict[str, str | None] = {}
    for rel, path in sorted(after.items()):
        data = path.read_bytes()
        if rel in before and before[rel].read_bytes() == data:
            continue
        text = data.decode("utf-8", errors="replace")
        changes[rel] = text if len(text) <= FILE_CAP else text[:FILE_CAP] + "\n[... cut by the bench ...]"
    for rel in sorted(set(before) - set(after)):
        changes[rel] = None
    return changes


def run_one(agent: Agent, task: Any, settings: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"skiff-bench-{task.id}-", dir=settings.scratch) as tmp:
        ws = suite.prepare_workspace(task, Path(tmp) / "ws")
        outcome = RUNNERS[agent.kind](agent, task, ws, settings)
        files = changed_files(task.workspace, ws)
        graded = suite.run_check(task, ws)
    return {
        "task": task.id,
        "group": task.group,
        "kind": task.kind,
        "lang": task.lang,
        "single_file": task.single_file,
        "agent": agent.name,
        "solved": graded.passed,
        "seconds": round(outcome.seconds, 3),
        "model_calls": outcome.model_calls,
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
        "exit_code": outcome.exit_code,
        "timed_out": outcome.timed_out,
        "stop_reason": outcome.stop_reason,
        "log_tail": outcome.log[-LOG_TAIL:],
        "check_output": graded.output[-CHECK_TAIL:],
        "check_seconds": round(graded.seconds, 3),
        "files": files,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# -------------------------------------------------------------------------------------------- summaries


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.fmean(values) if values else 0.0


def summarize(results: list[dict[str, Any]], agents: list[str] | None = None) -> dict[str, Any]:
    """Per agent: solved overall and per group, seconds, calls and tokens; per group: who solved more."""
    names = agents or list(dict.fromkeys(r["agent"] for r in results))
    per_agent: dict[str, Any] = {}
    for name in names:
        runs = [r for r in results if r["agent"] == name]
        single = [r for r in runs if r.get("single_file")]
        groups = {}
        for group in GROUPS:
            in_group = [r for r in runs if r["group"] == group]
            groups[group] = {"solved": sum(r["solved"] for r in in_group), "runs": len(in_group)}
        seconds = [r["seconds"] for r in runs]
        per_agent[name] = {
            "runs": len(runs),
            "solved": sum(r["solved"] for r in runs),
            "groups": groups,
            "median_seconds": round(statistics.median(seconds), 2) if seconds else 0.0,
            "p90_seconds": round(percentile(seconds, 90), 2),
            "mean_calls": round(_mean(r["model_calls"] for r in runs), 2),
            "mean_calls_single_file": round(_mean(r["model_calls"] for r in single), 2),
            "mean_prompt_tokens": round(_mean(r["prompt_tokens"] for r in runs), 1),
            "mean_completion_tokens": round(_mean(r["completion_tokens"] for r in runs), 1),
            "timeouts": sum(bool(r.get("timed_out")) for r in runs),
        }
    comparison = {}
    for group in (*GROUPS, "overall"):
        scores = {
            name: (s["solved"], s["runs"])
            if group == "overall"
            else (s["groups"][group]["solved"], s["groups"][group]["runs"])
            for name, s in per_agent.items()
        }
        scores = {k: v for k, v in scores.items() if v[1]}
        if not scores:
            continue
        best = max(v[0] for v in scores.values())
        leaders = [k for k, v in scores.items() if v[0] == best]
        comparison[group] = {
            "scores": {k: {"solved": v[0], "runs": v[1]} for k, v in scores.items()},
            "winner": leaders[0] if len(leaders) == 1 else None,
        }
    return {"agents": per_agent, "comparison": comparison}


def _pct(solved: int, runs: int) -> str:
    return f"{solved}/{runs} ({100 * solved / runs:.0f}%)" if runs else "-"


def _table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def comparison_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    for group, info in summary["comparison"].items():
        scores = ", ".join(f"{k} {v['solved']}/{v['runs']}" for k, v in info["scores"].items())
        if len(info["scores"]) < 2:
            verdict = "only one agent"
        elif info["winner"]:
            verdict = f"{info['winner']} solved more"
        else:
            verdict = "tie"
        lines.append(f"{group}: {scores}: {verdict}")
    return lines


def task_rows(results: list[dict[str, Any]], agents: list[str]) -> tuple[list[str], list[list[str]]]:
    header = ["task", "group", *agents]
    rows = []
    for task_id in dict.fromkeys(r["task"] for r in results):
        runs = [r for r in results if r["task"] == task_id]
        row = [task_id, runs[0]["group"]]
        for name in agents:
            mine = [r for r in runs if r["agent"] == name]
            if not mine:
                row.append("-")
                continue
            solved = sum(r["solved"] for r in mine)
            mark = "yes" if solved == len(mine) else "no" if solved == 0 else f"{solved}/{len(mine)}"
            secs = _mean(r["seconds"] for r in mine)
            calls = _mean(r["model_calls"] for r in mine)
            row.append(
                f"{mark} {secs:.1f}s {calls:g}c" + (" T" if any(r.get("timed_out") for r in mine) else "")
            )
        rows.append(row)
    return header, rows


def render(results: list[dict[str, Any]], agents: list[str] | None = None, markdown: bool = False) -> str:
    """The summary table, the per-group comparison and the per-task table, as text or Markdown."""
    if not results:
        return "no results"
    summary = summarize(results, agents)
    names = list(summary["agents"])
    header = ["agent", "solved", *GROUPS, "median s", "p90 s", "calls/task", "calls/1-file task"]
    header += ["prompt tok/task", "compl. tok/task"]
    rows = []
    for name, s in summary["agents"].items():
        groups = [_pct(s["groups"][g]["solved"], s["groups"][g]["runs"]) for g in GROUPS]
        rows.append(
            [
                name,
                _pct(s["solved"], s["runs"]),
                *groups,
                f"{s['median_seconds']:.1f}",
                f"{s['p90_seconds']:.1f}",
                f"{s['mean_calls']:.2f}",
                f"{s['mean_calls_single_file']:.2f}",
                f"{s['mean_prompt_tokens']:.0f}",
                f"{s['mean_completion_tokens']:.0f}",
            ]
        )
    bullet = "- " if markdown else "  "
    parts = [_table(header, rows, markdown), "", "Per group:"]
    parts += [bullet + line for line in comparison_lines(summary)]
    t_header, t_rows = task_rows(results, names)
    legend = "(cell: solved, mean seconds, mean model calls; T = a run timed out)"
    parts += ["", f"Per task {legend}:", "", _table(t_header, t_rows, markdown)]
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Skiff vs Aider on bench/suite, against one local OpenAI-compatible server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("--agents", default="skiff,aider", help="comma-separated: skiff, aider, reference")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="an extra column skiff[NAME]: profile keys merged over the model's profile",
    )
    parser.add_argument("--quick", action="store_true", help="only the quick subset (about 12 tasks)")
    parser.add_argument("--tasks", help="comma-separated task ids")
    parser.add_argument("--groups", help=f"comma-separated groups ({', '.join(GROUPS)})")
    parser.add_argument("--repeat", type=int, default=1, help="runs per task and agent (default 1)")
    parser.add_argument(
        "--out", type=Path, help="results JSON (default .bench-cache/vs-aider-<UTC time>.json)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per agent run (default 600)")
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"OpenAI-compatible base URL ({DEFAULT_BASE})")
    parser.add_argument(
        "--skiff-model", default=DEFAULT_SKIFF_MODEL, help=f"PROVIDER/ID ({DEFAULT_SKIFF_MODEL})"
    )
    parser.add_argument(
        "--skiff-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for `skiff run` (repeatable; use --skiff-arg=--bash ...)",
    )
    parser.add_argument("--aider", default=DEFAULT_AIDER, help=f"aider executable ({DEFAULT_AIDER})")
    parser.add_argument("--aider-model", default="openai/local", help="aider --model (default openai/local)")
    parser.add_argument(
        "--aider-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for aider (repeatable)",
    )
    parser.add_argument(
        "--report", type=Path, metavar="FILE.json", help="only print the summary of FILE.json"
    )
    parser.add_argument("--markdown", action="store_true", help="print the summary as Markdown tables")
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="run Skiff from a snapshot of HEAD (commit first): edits during the run do not count",
    )
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # a killed run still stops its agent and keeps its JSON
    if args.report:
        data = json.loads(args.report.read_text(encoding="utf-8"))
        print(render(data.get("results", []), data.get("meta", {}).get("agents"), args.markdown))
        return 0
    if args.repeat < 1:
        raise SystemExit("bench: --repeat must be at least 1")
    tasks = select_tasks(suite.load_tasks(), args)
    variants = parse_variants(args.variant)
    names = _split(args.agents)  # may be empty when only --variant columns are wanted
    scratch = Path(tempfile.mkdtemp(prefix="skiff-vs-aider-"))
    try:
        return _run(args, tasks, names, variants, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _head() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def snapshot_head(scratch: Path) -> Path:
    """HEAD's files under scratch/snapshot/skiff, so a long run measures one commit while the tree changes."""
    root = scratch / "snapshot"
    root.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "--prefix=skiff/", "HEAD"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
    return root


def _run(
    args: argparse.Namespace,
    tasks: list[Any],
    names: list[str],
    variants: list[tuple[str, dict[str, Any]]],
    scratch: Path,
) -> int:
    settings = Settings(
        base=args.base.rstrip("/"),
        skiff_model=args.skiff_model,
        skiff_args=args.skiff_arg,
        aider=args.aider,
        aider_model=args.aider_model,
        aider_args=args.aider_arg,
        timeout=args.timeout,
        scratch=scratch,
    )
    prepare_scratch(scratch)
    if args.snapshot:
        settings.snapshot = snapshot_head(scratch)
    agents = build_agents(names, variants, settings)
    if not agents:
        raise SystemExit("bench: no agent selected")
    check_tools(agents, settings)
    if any(a.kind != "reference" for a in agents):
        check_server(settings.base)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or REPO / ".bench-cache" / f"vs-aider-{stamp}.json"
    meta = {
        "started": stamp,
        "argv": sys.argv[1:],
        "base": settings.base,
        "skiff_model": settings.skiff_model,
        "skiff_args": settings.skiff_args,
        "aider": settings.aider,
        "aider_model": settings.aider_model,
        "aider_args": settings.aider_args,
        "timeout": settings.timeout,
        "commit": _head(),
        "snapshot": bool(settings.snapshot),
        "repeat": args.repeat,
        "agents": [a.name for a in agents],
        "variants": dict(variants),
        "tasks": [t.id for t in tasks],
    }
    data: dict[str, Any] = {"meta": meta, "results": [], "summary": {}}
    total = len(tasks) * len(agents) * args.repeat
    print(f"bench: {len(tasks)} task(s) x {len(agents)} agent(s) x {args.repeat} -> {out}", file=sys.stderr)
    done = 0
    try:
        for repeat in range(args.repeat):
            for index, task in enumerate(tasks):
                shift = (index + repeat) % len(agents)
                for position, agent in enumerate(agents[shift:] + agents[:shift]):
                    result = run_one(agent, task, settings)
                    result.update(repeat=repeat, position=position)
                    data["results"].append(result)
                    data["summary"] = summarize(data["results"], meta["agents"])
                    write_json(out, data)
                    done += 1
                    print(
                        f"[{done}/{total}] {task.id:<24} {agent.name:<16} "
                        f"{'yes' if result['solved'] else 'no ':<3} {result['seconds']:7.1f} s "
                        f"{result['model_calls']:3d} calls "
                        f"{result['prompt_tokens']}+{result['completion_tokens']} tok"
                        + (" (timed out)" if result["timed_out"] else ""),
                        file=sys.stderr,
                        flush=True,
                    )
    except KeyboardInterrupt:
        print(f"\nbench: interrupted; {done} run(s) kept in {out}", file=sys.stderr)
        print(render(data["results"], meta["agents"], args.markdown))
        return 130
    data["finished"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    write_json(out, data)
    print(render(data["results"], meta["agents"], args.markdown))
    print(f"\nresults: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
