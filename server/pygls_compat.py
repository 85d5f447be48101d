"""Every pygls patch in one place: Skiff's protocol class, the stdio/TCP transports, and the version guard.

Checked against pygls 2.1.1 (pyproject pins pygls <3). `check_pygls()` warns at start under any other
version; re-check every patch below on an upgrade, and delete each one once the pygls release Skiff pins
fixes what it fixes (write the test first: each patch's behaviour is covered by tests/reliability/ and
tests/lsp/).

What each patch fixes in pygls 2.1.1:
- `SkiffProtocol.receive`: the entry point for decoded messages (pygls' own reader loop is not used):
  invalid envelopes get -32600 (pygls drops or crashes on them), requests after `shutdown` get -32600
  (pygls leaves them unanswered). Stays as long as Skiff reads its own frames (server/wire.py).
- `SkiffProtocol.structure_message`: omitted `params` are accepted where the method allows it (pygls
  answers -32602), malformed params of standard methods get a -32602 answer (pygls sends none), and a
  client's bad message logs one line (pygls logs a traceback).
- `SkiffProtocol._check_handler_result`: a notification whose handler rejects its params logs one line
  (pygls shows the user "Error in server").
- `SkiffProtocol.lsp_text_document__did_change`: a didChange for a document that is not open logs one
  line (pygls raises KeyError and shows the user "Error in server").
- `SkiffProtocol._handle_response`: a late reply to a server request whose awaiting task was cancelled
  is dropped (pygls 2.1.1 reports InvalidStateError as "Error in server: CANCELLED"; pygls issue 621,
  fixed upstream after 2.1.1: delete this part when Skiff pins a release with the fix), and a reply that
  does not fit its request fails that request instead of leaving it waiting forever.
- `run_stdio` / `run_tcp`: replace `JsonRPCServer._start_io_async` and `JsonRPCServer.start_tcp`, which
  run `pygls.io_.run_async`, an unbounded reader (a `Content-Length` of 99999999999999 is a MemoryError,
  a body that is not JSON is never answered, a wrong length loses the stream for good). They mirror
  those two methods otherwise and read through server/wire.py's `FrameReader`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from types import SimpleNamespace
from typing import Any, BinaryIO
from urllib.parse import unquote

import attrs
import cattrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    LanguageServerProtocol,
)
from pygls.protocol.language_server import lsp_method
from pygls.server import JsonRPCServer

from skiff.server import wire

log = logging.getLogger(__name__)

PYGLS_CHECKED = "2.1.1"


def check_pygls() -> None:
    """The version guard: one warning when the installed pygls is not the version these patches were
    checked against."""
    from importlib.metadata import version

    found = version("pygls")
    if found != PYGLS_CHECKED:
        log.warning(
            "pygls %s is installed; Skiff's pygls patches (server/pygls_compat.py) were checked against %s",
            found,
            PYGLS_CHECKED,
        )


_IGNORED = SimpleNamespace(jsonrpc="skiff-ignored")  # handle_message drops it (not JSON-RPC 2.0)


class SkiffProtocol(LanguageServerProtocol):
    """pygls' protocol behind Skiff's wire (server/wire.py reads and decodes the frames); the
    patches are listed in this module's docstring."""

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def receive(self, data: Any) -> None:
        problem = wire.envelope_problem(data)
        if problem is not None:
            answer, msg_id = wire.answer_id(data)
            log.warning("invalid message (%s)%s", problem, "" if answer else "; dropped")
            if answer:
                self.send_error(msg_id, wire.INVALID_REQUEST, f"Invalid request: {problem}")
            return
        method = data.get("method")
        if self._shutdown and method is not None and method != lsp.EXIT:
            if "id" in data:
                log.info("answering -32600 to %s after shutdown", method)
                self.send_error(data["id"], wire.INVALID_REQUEST, "Invalid request: the server is shut down")
            return
        message = self.structure_message(data)
        if message is _IGNORED:
            return
        try:
            self.handle_message(message)
        except JsonRpcException as exc:
            log.warning("%s failed: %s", method or "a response", exc.message)
            if method is not None and "id" in data:
                self.send_error(data["id"], exc.code, exc.message)
        except Exception as exc:
            log.error("%s failed: %s: %s", method or "a response", type(exc).__name__, exc)
            if method is not None and "id" in data:
                self.send_error(data["id"], JsonRpcInternalError.CODE, f"internal error: {exc}")

    def structure_message(self, data: dict[str, Any]) -> Any:
        if not isinstance(data, dict) or "jsonrpc" not in data:
            return data
        method = data.get("method")
        if method is not None and "params" not in data:
            data = {**data, "params": self._omitted_params(method)}
        try:
            if method is None and "error" in data:
                return self._converter.structure(data, lsp.ResponseErrorMessage)
            if method is None:
                kind = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
            else:
                generic = JsonRPCRequestMessage if "id" in data else JsonRPCNotification
                kind = self.get_message_type(method) or generic
            return self._converter.structure(data, kind)
        except Exception as exc:
            problem = _structure_problem(exc)
            if method is None:
                self._fail_request(data.get("id"), f"the client's reply does not fit the request: {problem}")
            elif "id" in data:
                log.info("answering -32602 to %s: %s", method, problem)
                error = JsonRpcInvalidParams(f"invalid params for {method}: {problem}")
                self._send_response(data["id"], error=error.to_response_error())
            else:
                log.warning("dropping notification %s with invalid params: %s", method, problem)
            return _IGNORED

    def _omitted_params(self, method: str) -> Any:
        """What omitted `params` stand for: null where the method's params are optional (or unknown to
        lsprotocol), else {} (accepted when every field of the params is optional, -32602 otherwise)."""
        kind = self.get_message_type(method)
        field = attrs.fields_dict(kind).get("params") if kind is not None else None
        return {} if field is not None and field.default is attrs.NOTHING else None

    def _fail_request(self, msg_id: Any, reason: str) -> None:
        future = self._request_futures.pop(msg_id, None)
        log.warning("%s (request %s)", reason, msg_id)
        if future is not None and not future.done():
            future.set_exception(JsonRpcInternalError(reason))

    def _check_handler_result(self, future: Any) -> None:
        """A notification handler that rejected its params logs one line (pygls shows the user a popup)."""
        error = None if future.cancelled() else future.exception()
        if isinstance(error, JsonRpcException):
            log.warning("a notification was rejected: %s", error.message)
            return
        super()._check_handler_result(future)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Any:
        """pygls' document sync, except that a change to a document that is not open logs one line."""
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            log.warning("didChange for a document that is not open: %s", params.text_document.uri)
            return None
        return (yield from super().lsp_text_document__did_change(params))

    def _handle_response(self, msg_id: Any, result: Any | None = None, error: Any | None = None) -> None:
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            self._request_futures.pop(msg_id, None)
            log.debug("dropping a late reply to %s (its request was cancelled)", msg_id)
            return
        super()._handle_response(msg_id, result, error)


def _structure_problem(exc: Exception) -> str:
    """A one-line account of why cattrs could not structure a message."""
    if isinstance(exc, cattrs.BaseValidationError):
        text = "; ".join(cattrs.transform_error(exc))
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:300] + "..."


def _receiver(server: JsonRPCServer) -> wire.Receiver:
    protocol = server.protocol
    if not (hasattr(protocol, "receive") and hasattr(protocol, "send_error")):
        raise TypeError(f"{type(protocol).__name__} has no receive/send_error (use SkiffProtocol)")
    return protocol


def run_stdio(server: JsonRPCServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """Serve JSON-RPC on stdin/stdout until end of input or `exit`."""
    from pygls.io_ import StdoutWriter

    server._stop_event = stop = threading.Event()
    frames = wire.FrameReader(wire.StdinSource(stdin or sys.stdin.buffer, server.thread_pool))
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        asyncio.run(wire.serve_frames(frames, _receiver(server), stop.is_set))
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


def run_tcp(server: JsonRPCServer, host: str, port: int) -> None:
    """Serve JSON-RPC to TCP clients on HOST:PORT (one at a time, as pygls does)."""
    server._stop_event = stop = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.protocol.set_writer(writer)
        await wire.serve_frames(wire.FrameReader(wire.StreamSource(reader)), _receiver(server), stop.is_set)
        server.shutdown()

    async def main() -> None:
        server._server = await asyncio.start_server(connection, host, port)
        async with server._server:
            await server._server.serve_forever()

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(main())
