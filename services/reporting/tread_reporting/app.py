"""The reporting service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_reporting.action_plans.router import router as action_plans_router
from tread_reporting.cases.router import router as cases_router
from tread_reporting.central.production import produce_closed_reports
from tread_reporting.central.router import router as central_router
from tread_reporting.consumer import reporting_consumer
from tread_reporting.event_counts.router import router as event_counts_router
from tread_reporting.freshness.router import router as freshness_router
from tread_reporting.market.router import router as market_router
from tread_reporting.partnerships.router import router as partnerships_router
from tread_reporting.portfolio.router import router as portfolio_router
from tread_reporting.rebuild.router import router as rebuild_router
from tread_reporting.settings import Settings
from tread_shared.app import create_service_app
from tread_shared.scheduling import ScheduledJob, with_scheduled_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Tread reporting",
        routers=[
            partnerships_router,
            portfolio_router,
            action_plans_router,
            market_router,
            cases_router,
            central_router,
            event_counts_router,
            freshness_router,
            rebuild_router,
        ],
        consumers=[reporting_consumer],
    )
    if not settings.central_reports_enabled:
        return app
    job = ScheduledJob(
        "central-reports", settings.central_reports_interval_seconds, produce_closed_reports
    )
    return with_scheduled_jobs(app, [job])
