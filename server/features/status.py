"""Status: `skiff/status` (version, model, context fill, speed, a model check on request) and
`skiff/debugStats` (handler timings, read by the code-action latency benchmark)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skiff import __version__
from skiff.agent.config import ConfigError
from skiff.server import params as p
from skiff.server.features.chat.sessions import Sessions
from skiff.server.features.models import Models

if TYPE_CHECKING:
    from skiff.server.app import SkiffLanguageServer


def status(models: Models, sessions: Sessions) -> dict[str, Any]:
    limit = models.last_usage.get("contextLimit")
    if not limit:
        try:
            limit = models.resolve(models.model_ref()).context_limit
        except ConfigError:
            limit = 0
    used = models.last_usage.get("contextUsed", 0)
    return {
        "version": __version__,
        "model": models.model_ref(),
        "busy": any(e.busy for e in sessions.all().values()),
        "contextUsed": used,
        "contextLimit": limit,
        "contextFill": round(used / limit, 3) if limit else 0.0,
        "tokensPerSecond": models.last_usage.get("tokensPerSecond", 0.0),
        "modelCheck": models.model_check,
    }


def setup(server: SkiffLanguageServer) -> None:
    models, sessions, stats = server.models, server.sessions, server.stats

    @server.feature("skiff/status")
    async def skiff_status(params: Any) -> dict[str, Any]:
        if p.parse(p.StatusParams, params).check_model:
            await models.check_model()
        return status(models, sessions)

    @server.feature("skiff/debugStats")
    def debug_stats(params: Any) -> dict[str, Any]:
        args = p.parse(p.DebugStatsParams, params)
        out = {"handlers": stats.summary()}
        if args.reset:
            stats.reset()
        return out
