"""Models: the current model, the catalog (the models files plus discovered local servers), model checks,
`skiff/models` and `skiff/setModel`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams

from skiff.agent.catalog import ModelCatalog
from skiff.agent.config import ConfigError, ModelSpec, Registry
from skiff.agent.doctor import check_model
from skiff.server import params as p
from skiff.server.client import Client

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer

log = logging.getLogger(__name__)


class Models:
    """The server's current model, its catalog, the last usage figures and the last model check."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.current_model: str | None = None
        self.catalog = ModelCatalog(on_error=self._error)
        self.model_check: dict[str, Any] | None = None  # the last `skiff/status` checkModel result
        self.last_usage: dict[str, Any] = {}  # context and speed of the last model call

    def _error(self, message: str) -> None:
        log.error("%s", message)
        self.client.error(f"Skiff: {message}")

    @property
    def registry(self) -> Registry:
        """The models files as they are now, with the models local servers were found serving."""
        return self.catalog.registry()

    def model_ref(self) -> str | None:
        return self.current_model or self.registry.default

    def resolve(self, ref: str | None) -> ModelSpec:
        return self.catalog.resolve(ref)

    def spec_of(self, ref: str | None) -> ModelSpec | None:
        try:
            return self.catalog.resolve(ref)
        except ConfigError:
            return None

    def check_ref(self, ref: str) -> str:
        """`ref` when it names a known model or a local server's model not probed yet (its first turn
        looks for it); raises ConfigError otherwise."""
        try:
            self.catalog.resolve(ref)
        except ConfigError:
            if not self.catalog.discoverable(ref):
                raise
        return ref

    def configure(self, ref: str, key: str) -> bool:
        """Set the model from `--model` or the settings' `model`; an error waits for the client."""
        try:
            self.current_model = self.check_ref(ref)
            return True
        except ConfigError as exc:
            where = key if key.startswith("--") else f"invalid configuration: key '{key}'"
            self.client.errors.append(f"Skiff: {where}: {exc}")
            return False

    async def check_model(self) -> dict[str, Any]:
        """Try the current model for real (agent/doctor.py) and keep the result for `skiff/status`."""
        ref = self.model_ref()
        try:
            await self.catalog.resolve_async(ref)
        except ConfigError:
            pass  # the report says so, with the fix
        report = await check_model(self.catalog.resolve, ref)
        self.model_check = report.wire()
        return self.model_check


def setup(server: SkiffLanguageServer) -> None:
    models, sessions = server.models, server.sessions

    @server.feature("skiff/models")
    async def list_models(params: Any) -> dict[str, Any]:
        await models.catalog.discover()  # local servers' models (0.3 s at most, cached a few seconds)
        return {"current": models.model_ref(), "models": models.catalog.rows()}

    @server.feature("skiff/setModel")
    async def set_model(params: Any) -> dict[str, Any]:
        args = p.parse(p.SetModelParams, params)
        entry = sessions.entry(args.session_id) if args.session_id is not None else None
        try:
            await models.catalog.resolve_async(args.model)  # a local server's model: probed first
            ref = models.check_ref(args.model)
        except ConfigError as exc:
            raise JsonRpcInvalidParams(f"invalid params: key 'model': {exc}") from None
        if entry is not None:
            entry.model_override = ref
        else:
            models.current_model = ref
        return {"model": ref}
