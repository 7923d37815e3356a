"""Request id and W3C trace context for every request; access log and HTTP metrics."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tread_shared.context import correlation_id_var, request_id_var, traceparent_var
from tread_shared.errors import send_problem, unexpected_error
from tread_shared.ids import random_hex
from tread_shared.observability.logs import log_access
from tread_shared.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

errors_log = logging.getLogger("tread.errors")

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def child_traceparent(incoming: str | None) -> str:
    """Continue the caller's trace with a new span id, or start a new trace."""
    match = _TRACEPARENT.match(incoming or "")
    if match and (set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}):
        match = None  # all-zero ids are invalid (W3C Trace Context)
    trace_id = match.group(1) if match else random_hex(16)
    flags = match.group(3) if match else "01"
    return f"00-{trace_id}-{random_hex(8)}-{flags}"


REQUEST_END = "tread.request_end"
# Where FastAPI's request handler finds the exit stack that closes uploaded files.
_FILES_STACK = "fastapi_middleware_astack"
_WANTED_HEADERS = {b"x-request-id", b"x-correlation-id", b"traceparent"}


def at_request_end(scope: Scope, close: Callable[[], Awaitable[None]]) -> None:
    """Have ``close`` awaited once the request's answer is sent (or failed), in its context:
    what a dependency with ``yield`` does, without the exit stack and cancel scope FastAPI
    builds for one on every request. Needs :class:`RequestContextMiddleware`."""
    closes: list[Callable[[], Awaitable[None]]] | None = scope.get(REQUEST_END)
    if closes is None:
        raise RuntimeError("at_request_end needs RequestContextMiddleware in the app")
    closes.append(close)


class RequestContextMiddleware:
    """Sets the request id and trace context for everything the request does (logs, outbox,
    outgoing calls), echoes them in the answer, logs and counts the request, and turns a bug
    into a 500 problem document that still carries the request id."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        # The metric series of each (method, route, status), looked up once: prometheus_client
        # checks and hashes the label values on every ``labels`` call.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _observe(self, method: str, route_path: str, status: int, elapsed: float) -> None:
        key = (method, route_path, status)
        series = self._series.get(key)
        if series is None:
            series = (
                HTTP_REQUESTS.labels(self.service, method, route_path, str(status)),
                HTTP_LATENCY.labels(self.service, method, route_path),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.lower().decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name.lower() in _WANTED_HEADERS
        }
        incoming_id = headers.get("x-request-id", "")
        request_id = incoming_id if _REQUEST_ID.match(incoming_id) else random_hex(12)
        traceparent = child_traceparent(headers.get("traceparent"))
        tokens = (
            request_id_var.set(request_id),
            correlation_id_var.set(headers.get("x-correlation-id") or request_id),
            traceparent_var.set(traceparent),
        )
        status = {"code": 500, "started": False}
        started = time.perf_counter()
        closes: list[Callable[[], Awaitable[None]]] = []
        scope[REQUEST_END] = closes

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"traceparent", traceparent.encode()),
                ]
            await send(message)

        try:
            async with AsyncExitStack() as files:
                scope[_FILES_STACK] = files
                await self.app(scope, receive, send_with_ids)
        except Exception as exc:
            if status["started"]:
                raise
            problem = unexpected_error(exc)
            # Logged here, inside the request's context, so the trace carries the request id;
            # not re-raised, so the server adds no second, context-free traceback.
            if problem.status == 503:
                errors_log.warning(
                    "database unavailable on %s %s: %s", scope["method"], scope["path"], exc
                )
            else:
                errors_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await send_problem(send_with_ids, problem, scope["path"])
        finally:
            for close in reversed(closes):
                try:
                    await close()
                except Exception:  # noqa: BLE001 - the answer is sent; the rest must run
                    errors_log.exception("closing after %s %s", scope["method"], scope["path"])
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self._observe(method, route_path, status["code"], elapsed)
            log_access(method, scope["path"], status["code"], round(elapsed * 1000, 2))
            request_id_var.reset(tokens[0])
            correlation_id_var.reset(tokens[1])
            traceparent_var.reset(tokens[2])
