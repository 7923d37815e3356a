"""The actionplans service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_actionplans.settings import Settings
from tread_shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(settings or Settings(), title="Tread Action plans", routers=[])
