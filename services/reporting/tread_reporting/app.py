"""The reporting service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_reporting.event_counts.events import reporting_consumer
from tread_reporting.event_counts.router import router as event_counts_router
from tread_reporting.settings import Settings
from tread_shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Tread reporting",
        routers=[event_counts_router],
        consumers=[reporting_consumer],
    )
