"""Code-action latency while a chat turn streams vs. idle: round trip and time inside the server's handler.

Starts the real server (`python -m skiff.server`) over stdio with a scripted model that streams a long
reply in small pieces, then sends the same `textDocument/codeAction` request N times while idle and N
times while the turn streams. The server-side time comes from `skiff/debugStats` (time inside the
handler); the round trip is measured here. Target: the streaming p99 within 10 ms of the idle p99.

    python bench/bench_code_action_latency.py [--requests 1000] [--chunk-delay 0.002]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

TARGET_MS = 10.0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


def models_file(folder: Path, chunk_delay: float) -> Path:
    reply = "Streaming a long explanation of the selected code, token by token. " * 400
    data = {
        "default": "bench/stream",
        "profiles": {"bench": {"mechanisms": [], "turnCap": 2, "retries": 0}},
        "providers": {
            "bench": {
                "api": "scripted",
                "models": [
                    {"id": "stream", "profile": "bench", "replies": [reply], "chunk": 4, "delay": chunk_delay}
                ],
            }
        },
    }
    path = folder / "models.json"
    path.write_text(json.dumps(data))
    return path


def source_file(lines: int = 400) -> str:
    body = []
    for i in range(lines // 4):
        body += [f"def f{i}(xs):", f"    '''Function {i}.'''", f"    return sum(xs) * {i}", ""]
    return "\n".join(body) + "\n"


class Bench:
    def __init__(self, client: LanguageClient, uri: str) -> None:
        self.client = client
        self.uri = uri
        self.updates = 0
        self.params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(40, 0), lsp.Position(48, 0)),
            context=lsp.CodeActionContext(
                diagnostics=[
                    lsp.Diagnostic(
                        range=lsp.Range(lsp.Position(41, 4), lsp.Position(41, 10)),
                        message='"xs" is possibly unbound',
                        severity=lsp.DiagnosticSeverity.Warning,
                        source="pyright",
                    ),
                    lsp.Diagnostic(
                        range=lsp.Range(lsp.Position(45, 0), lsp.Position(45, 3)),
                        message="Missing function docstring",
                        severity=lsp.DiagnosticSeverity.Information,
                        source="pylint",
                    ),
                ]
            ),
        )

    async def request(self, method: str, params: Any) -> Any:
        return await self.client.protocol.send_request_async(method, params)

    async def phase(self, n: int) -> dict[str, Any]:
        await self.request("skiff/debugStats", {"reset": True})
        rtts = []
        updates_before = self.updates
        for _ in range(n):
            start = time.perf_counter()
            actions = await self.client.text_document_code_action_async(self.params)
            rtts.append((time.perf_counter() - start) * 1000)
            assert actions, "the server listed no code actions"
        stats = await self.request("skiff/debugStats", {})
        server = next(h._asdict() for h in stats.handlers if h.method == "textDocument/codeAction")
        return {
            "rtt_p50": percentile(rtts, 50),
            "rtt_p99": percentile(rtts, 99),
            "srv_p50": server["p50Ms"],
            "srv_p99": server["p99Ms"],
            "count": server["count"],
            "updates": self.updates - updates_before,
        }


async def run(n: int, chunk_delay: float) -> int:
    with tempfile.TemporaryDirectory(prefix="skiff-bench-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "SKIFF_MODELS_FILE": str(models_file(root, chunk_delay))}
        ws = root / "ws"
        ws.mkdir()
        doc = ws / "module.py"
        doc.write_text(source_file())
        client = LanguageClient("skiff-bench", "0.1")
        await client.start_io(sys.executable, "-m", "skiff.server", env=env)
        bench = Bench(client, doc.as_uri())

        @client.feature("skiff/update")
        def on_update(params: Any) -> None:
            bench.updates += 1

        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(),
                root_uri=ws.as_uri(),
                initialization_options={"skiffUi": True, "model": "bench/stream"},
            )
        )
        client.initialized(lsp.InitializedParams())
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(doc.as_uri(), "python", 1, doc.read_text()))
        )
        await bench.phase(50)  # warm-up
        idle = await bench.phase(n)

        turn = asyncio.create_task(bench.request("skiff/chat", {"prompt": "explain this module at length"}))
        while bench.updates == 0:
            await asyncio.sleep(0.005)
        streaming = await bench.phase(n)
        still_running = not turn.done()
        status = await bench.request("skiff/status", {})
        sessions = await bench.request("skiff/sessions", {})
        sid = sessions.sessions[0].sessionId
        await bench.request("skiff/cancel", {"sessionId": sid})
        try:
            await turn
        except Exception:
            pass
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

    rows = [("idle", idle), ("streaming", streaming)]
    keys = ["rtt_p50", "rtt_p99", "srv_p50", "srv_p99"]
    print(f"code-action latency, {n} requests per phase (ms); chunk delay {chunk_delay * 1000:g} ms")
    print(f"{'phase':<12}" + "".join(f"{k:>10}" for k in keys) + f"{'updates':>10}")
    for name, row in rows:
        print(f"{name:<12}" + "".join(f"{row[k]:>10.3f}" for k in keys) + f"{row['updates']:>10}")
    diff = {k: streaming[k] - idle[k] for k in keys}
    print(f"{'difference':<12}" + "".join(f"{diff[k]:>10.3f}" for k in keys))
    print(f"turn still streaming at the end of the phase: {still_running}; server busy: {status.busy}")
    ok = diff["rtt_p99"] <= TARGET_MS and streaming["updates"] > 0
    print(f"target: streaming p99 round trip within {TARGET_MS:g} ms of idle -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="code-action requests per phase")
    parser.add_argument("--chunk-delay", type=float, default=0.002, help="seconds between streamed chunks")
    args = parser.parse_args()
    return asyncio.run(run(args.requests, args.chunk_delay))


if __name__ == "__main__":
    raise SystemExit(main())
