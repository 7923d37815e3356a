"""Structured JSON logs, each record carrying the request id and trace context."""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import sys
import time
from typing import TextIO

import orjson
from pythonjsonlogger.json import JsonFormatter

from tread_shared.context import current_trace


class _TraceContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for key, value in current_trace().items():
            if value is not None and not hasattr(record, key):
                setattr(record, key, value)
        return True


_ACCESS = logging.getLogger("tread.access")
_ROOT = logging.getLogger()


class _JsonLines:
    """The handler and filter :func:`configure_logging` installed in JSON mode."""

    handler: logging.StreamHandler[TextIO] | None = None
    trace_filter: _TraceContextFilter | None = None
    second: int = -1
    second_text: str = ""
    # Access lines of the event loop's current turn, written together when it ends.
    pending: list[str] = []


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Send every log record to stderr, as one JSON object per line when ``json``."""
    handler = logging.StreamHandler(sys.stderr)
    trace_filter = _TraceContextFilter(service)
    _JsonLines.handler = handler if json else None
    _JsonLines.trace_filter = trace_filter
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(trace_filter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_access(method: str, path: str, status: int, duration_ms: float) -> None:
    """The access log line of a request: ``"GET /v1/accounts 200"`` with ``status`` and
    ``duration_ms``, on the ``tread.access`` logger.

    When the JSON handler of :func:`configure_logging` alone takes it, the line is written
    straight to that handler's stream, the same JSON object logging would write (keys, order,
    time format): logging's record, filter and formatter cost a tenth of a GET's CPU
    (bench/RESULTS.md). On the event loop, the lines of requests that end in one turn of it
    are written together at its end: one system call for all of them (stderr is line-buffered,
    a call per line), the line's text made by orjson (a tenth of ``json.dumps``'s time).
    Nothing waits longer than the loop's turn. Any other set-up (another handler, a filter, a
    level) goes through logging as before."""
    handler, trace_filter = _JsonLines.handler, _JsonLines.trace_filter
    if (
        handler is None
        or trace_filter is None
        or _ROOT.handlers != [handler]
        or handler.filters != [trace_filter]
        or _ACCESS.handlers
        or _ACCESS.filters
        or handler.level > logging.INFO
        or not _ACCESS.isEnabledFor(logging.INFO)
    ):
        _ACCESS.info(
            "%s %s %d",
            method,
            path,
            status,
            extra={"status": status, "duration_ms": duration_ms},
        )
        return
    fields: dict[str, object] = {
        "time": _log_time(handler.formatter, time.time()),
        "level": "INFO",
        "logger": "tread.access",
        "message": f"{method} {path} {status}",
        "status": status,
        "duration_ms": duration_ms,
        "service": trace_filter.service,
    }
    for key, value in current_trace().items():
        if value is not None:
            fields[key] = value
    encoded = orjson.dumps(fields)
    # Escaped as logging escapes it (ASCII only): orjson writes UTF-8 as it is.
    line = (encoded.decode() if encoded.isascii() else json.dumps(fields)) + handler.terminator
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not on the event loop: at once
        _write(handler, line)
        return
    pending = _JsonLines.pending
    pending.append(line)
    if len(pending) == 1:
        loop.call_soon(_write_pending)


def _write(handler: logging.StreamHandler[TextIO], text: str) -> None:
    with handler.lock:  # type: ignore[union-attr]  # a StreamHandler always has its lock
        try:
            handler.stream.write(text)
            handler.flush()
        except (OSError, ValueError):
            pass  # as logging does: a log line never fails the request


@atexit.register
def _write_pending() -> None:
    lines, _JsonLines.pending = _JsonLines.pending, []
    handler = _JsonLines.handler
    if lines and handler is not None:
        _write(handler, "".join(lines))


def _log_time(formatter: logging.Formatter | None, created: float) -> str:
    # logging.Formatter.formatTime without a record: "2026-12-07 04:01:55,564", the
    # seconds' text made once a second.
    formatter = formatter or logging.Formatter()
    second = int(created)
    if second != _JsonLines.second:
        _JsonLines.second_text = time.strftime(
            formatter.default_time_format, formatter.converter(created)
        )
        _JsonLines.second = second
    if formatter.default_msec_format is None:
        return _JsonLines.second_text
    return formatter.default_msec_format % (_JsonLines.second_text, (created - second) * 1000)
