"""The market-intel service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_market_intel.arguments.router import router as arguments_router
from tread_market_intel.competitors.router import router as competitors_router
from tread_market_intel.digests.router import router as digests_router
from tread_market_intel.directory.events import accounts_consumer
from tread_market_intel.imports.router import router as imports_router
from tread_market_intel.observations.router import router as observations_router
from tread_market_intel.positioning.router import router as positioning_router
from tread_market_intel.products.router import router as products_router
from tread_market_intel.schedule import scheduled_jobs
from tread_market_intel.settings import Settings
from tread_market_intel.subscriptions.router import router as subscriptions_router
from tread_shared.app import create_service_app
from tread_shared.scheduling import with_scheduled_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Tread Market intelligence",
        routers=[
            imports_router,
            products_router,
            competitors_router,
            arguments_router,
            observations_router,
            positioning_router,
            subscriptions_router,
            digests_router,
        ],
        consumers=[accounts_consumer],
    )
    return with_scheduled_jobs(app, scheduled_jobs(settings))
