"""The actionplans service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_actionplans.consumer import inputs_consumer
from tread_actionplans.plans.router import router as plans_router
from tread_actionplans.settings import Settings
from tread_shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="Tread Action plans",
        routers=[plans_router],
        consumers=[inputs_consumer],
    )
