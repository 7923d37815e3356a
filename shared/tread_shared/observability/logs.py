"""Structured JSON logs, each record carrying the request id and trace context."""

from __future__ import annotations

import logging
import sys

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


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Send every log record to stderr, as one JSON object per line when ``json``."""
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(_TraceContextFilter(service))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
