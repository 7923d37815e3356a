"""The sample service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_notes import probes
from tread_notes.notes.router import router as notes_router
from tread_notes.settings import Settings
from tread_shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Tread notes (sample)",
        routers=[notes_router, probes.router],
    )
