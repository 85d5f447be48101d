"""The language server: its state (`SkiffLanguageServer`), `build_server()` wiring the features, `serve()`.

Each feature in server/features/ registers its handlers in `setup()`; the objects behind them get the
client facade (server/client.py) and the stores they need, never the server object.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.workspace import Workspace

from skiff import __version__
from skiff.agent.redact import install_log_redaction
from skiff.server import pygls_compat
from skiff.server.client import Client
from skiff.server.documents import Buffers
from skiff.server.features import asking, chat, code_actions, models, proposals, status, sync
from skiff.server.features.chat.sessions import Sessions
from skiff.server.features.proposals.store import ProposalStore
from skiff.server.settings import SettingsManager
from skiff.server.stats import HandlerStats

log = logging.getLogger(__name__)


class SkiffLanguageServer(LanguageServer):
    """The server's state: the client facade and the stores the features share."""

    def __init__(self, model: str | None = None) -> None:
        super().__init__("skiff", __version__, protocol_cls=pygls_compat.SkiffProtocol)
        self.client = Client(self)
        self.documents = Buffers(self.workspace_or_none)
        self.settings = SettingsManager()
        self.proposals = ProposalStore(self.documents)
        self.stats = HandlerStats()
        self.models = models.Models(self.client)
        self.sessions = Sessions(self.documents, self.proposals, self.models)
        self.background: set[asyncio.Task[None]] = set()  # `skiff.ask` turns, cancelled at shutdown
        if model:
            self.models.configure(model, "--model")

    def workspace_or_none(self) -> Workspace | None:
        """pygls' workspace, None before `initialize`."""
        try:
            return self.workspace
        except RuntimeError:
            return None


def build_server(model: str | None = None) -> SkiffLanguageServer:
    server = SkiffLanguageServer(model)
    sync.setup(server)
    models.setup(server)
    status.setup(server)
    requests = proposals.setup(server)
    asker = asking.setup(server)
    turns = chat.setup(server, requests, asker)
    code_actions.setup(server, requests, asker, turns)
    return server


class _ExpectedErrors(logging.Filter):
    """pygls logs every error answer with a traceback; params and state errors are the client's, not ours."""

    CODES = {-32602, -32002, -32803, -32800}

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, JsonRpcException) and exc.code in self.CODES)


def serve(tcp: str | None = None, model: str | None = None) -> int:
    """Run the language server on stdio, or on TCP when `tcp` is HOST:PORT. Logs go to stderr."""
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("SKIFF_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedErrors())
    install_log_redaction()  # pygls logs whole messages at INFO: no secret in them reaches the log
    pygls_compat.check_pygls()
    server = build_server(model)
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not host or not port.isdigit():
            print(f"skiff: --tcp expects HOST:PORT, got '{tcp}'", file=sys.stderr)
            return 2
        pygls_compat.run_tcp(server, host, int(port))
    else:
        pygls_compat.run_stdio(server)
    return 0
