"""Lifecycle, document sync and settings: `initialize`, `initialized`, `shutdown`, didOpen/didClose (pygls'
workspace holds the documents and applies didChange; `Buffers` indexes them by path), and the
configuration from initializationOptions, `workspace/configuration` and `didChangeConfiguration`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from skiff.server import params as p
from skiff.server.client import Client
from skiff.server.features.models import Models
from skiff.server.settings import InvalidSettings, SettingsManager

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer

log = logging.getLogger(__name__)


class Configuration:
    """Applies configuration objects: validated, errors reported, the last good configuration kept."""

    def __init__(self, client: Client, settings: SettingsManager, models: Models) -> None:
        self.client = client
        self.settings = settings
        self.models = models

    def apply(self, raw: Any, source: str) -> None:
        before = self.settings.current.model
        try:
            if source == "initializationOptions":
                current = self.settings.set_initial(raw)
            else:
                current = self.settings.set_workspace(raw)
        except InvalidSettings as exc:
            self.client.errors.append(f"Skiff: invalid configuration: {exc}")
            return
        if current.model and current.model != before:
            self.models.configure(current.model, "model")

    async def pull(self) -> None:
        """Ask the client for the `skiff` section (where it supports workspace/configuration)."""
        if not self.client.supports_configuration():
            return
        try:
            values = await self.client.configuration("skiff")
        except Exception as exc:
            log.warning("workspace/configuration failed: %s", exc)
            return
        raw = p.to_plain(values[0]) if values else None
        if raw is not None:
            self.apply(raw, "workspace/configuration")
        self.client.flush_errors()


def setup(server: SkiffLanguageServer) -> None:
    client, documents, sessions = server.client, server.documents, server.sessions
    config = Configuration(client, server.settings, server.models)

    @server.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        client.ready = True
        config.apply(p.to_plain(params.initialization_options), "initializationOptions")

    @server.feature(lsp.INITIALIZED)
    async def initialized(params: lsp.InitializedParams) -> None:
        client.flush_errors()
        await config.pull()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: lsp.DidChangeConfigurationParams) -> None:
        settings = p.to_plain(params.settings)
        if isinstance(settings, dict) and "skiff" in settings:
            config.apply(settings["skiff"], "didChangeConfiguration")
            client.flush_errors()
        else:
            await config.pull()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        documents.opened(params.text_document.uri)  # pygls' workspace holds it (and applies didChange)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        documents.closed(params.text_document.uri)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(params: Any) -> None:
        sessions.cancel_all()
        for task in list(server.background):
            task.cancel()
