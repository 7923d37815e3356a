"""Per-request context carried from HTTP through the outbox into consumers and logs."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)


def current_trace() -> dict[str, str | None]:
    """The request id, correlation id and W3C traceparent of the running task."""
    return {
        "request_id": request_id_var.get(),
        "correlation_id": correlation_id_var.get(),
        "traceparent": traceparent_var.get(),
    }
