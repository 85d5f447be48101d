"""A scripted permission callback for tool tests: records each request and answers from a script."""

from __future__ import annotations

from skiff.agent.tools.base import PermissionAnswer, PermissionRequest


class Asker:
    """A permission callback that records requests and answers from a script."""

    def __init__(self, *answers: PermissionAnswer) -> None:
        self.answers = list(answers)
        self.requests: list[PermissionRequest] = []

    async def __call__(self, request: PermissionRequest) -> PermissionAnswer:
        self.requests.append(request)
        return self.answers.pop(0)
