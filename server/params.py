"""Params of the `skiff/*` methods and commands as pydantic models, the command names, and the JSON-RPC
errors they raise.

pygls hands custom params over as namedtuples; `parse` turns them back into plain JSON and validates them
inside the handler, so malformed params get a -32602 naming the field instead of no answer at all.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal, TypeVar

import cattrs
from lsprotocol.converters import get_converter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

ASK = "skiff.ask"
RESOLVE = "skiff.resolveProposal"
UNDO = "skiff.undoProposal"
CANCEL = "skiff.cancel"
SHOW = "skiff.showProposal"  # plain-client review: open the proposal's diff
COMMANDS = [ASK, RESOLVE, UNDO, CANCEL, SHOW]


class SessionBusy(JsonRpcException):
    CODE = -32002
    MESSAGE = "session busy"


class RequestFailed(JsonRpcException):
    CODE = -32803
    MESSAGE = "request failed"


def to_plain(value: Any) -> Any:
    """Namedtuples (pygls' view of unknown JSON objects) back to dicts, recursively."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if hasattr(value, "__attrs_attrs__"):  # an lsprotocol object
        return converter().unstructure(value)
    return value


@functools.cache
def converter() -> cattrs.Converter:
    """lsprotocol's converter, built once (building one takes milliseconds)."""
    return get_converter()


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], params: Any) -> M:
    """Validate params against `model`; raises JsonRpcInvalidParams naming the offending keys."""
    data = to_plain(params)
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise JsonRpcInvalidParams(f"invalid params: {describe(exc)}") from None


_UNION_TAG = re.compile(
    r"^(?:literal\[.*\]|list\[.*\]|dict\[.*\]|str|int|float|bool|none|function-.*|[A-Z]\w*)$"
)


def describe(exc: ValidationError) -> str:
    """`key 'a.b': message` per offending key, aliases as sent, union member tags left out."""
    problems: dict[str, list[str]] = {}
    for err in exc.errors():
        parts = [str(x) for x in err["loc"] if isinstance(x, int) or not _UNION_TAG.match(str(x))]
        messages = problems.setdefault(".".join(parts) or "(params)", [])
        if err["msg"] not in messages:
            messages.append(err["msg"])
    return "; ".join(f"key '{key}': {' or '.join(msgs)}" for key, msgs in problems.items())


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class Position(Model):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(Model):
    start: Position
    end: Position


class LspDiagnostic(Model):
    range: Range
    message: str
    severity: int | None = Field(None, ge=1, le=4)
    source: str | None = None
    code: int | str | None = None


class ChatContext(Model):
    uri: str | None = None
    range: Range | None = None
    diagnostics: list[LspDiagnostic] = Field(default_factory=list)


class ChatParams(Model):
    prompt: str = Field(min_length=1)
    session_id: str | None = Field(None, alias="sessionId")
    context: ChatContext | None = None
    work_done_token: str | int | None = Field(None, alias="workDoneToken")


class IdParams(Model):
    id: str


class ResolveParams(Model):
    id: str
    accept: Literal["all", "none"] | list[str]


class SessionParams(Model):
    session_id: str = Field(alias="sessionId")


class SetModelParams(Model):
    model: str = Field(min_length=1)
    session_id: str | None = Field(None, alias="sessionId")


class StatusParams(Model):
    check_model: bool = Field(False, alias="checkModel")  # try the model for real (agent/doctor.py)


class DebugStatsParams(Model):
    reset: bool = False


class AskArgs(Model):
    """Arguments of the `skiff.ask` command."""

    uri: str
    range: Range
    prompt: str | None = None
    preset: str | None = None
    diagnostics: list[LspDiagnostic] = Field(default_factory=list)


class ResolveArgs(ResolveParams):
    """Arguments of the `skiff.resolveProposal` command."""


class CancelArgs(SessionParams):
    """Arguments of the `skiff.cancel` command."""
