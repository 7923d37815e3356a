"""The actionplans service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_actionplans.consumer import inputs_consumer
from tread_actionplans.deviations.router import actions_router as corrective_actions_router
from tread_actionplans.deviations.router import router as deviations_router
from tread_actionplans.indicators.router import router as indicators_router
from tread_actionplans.meetings.router import router as meetings_router
from tread_actionplans.objectives.router import router as objectives_router
from tread_actionplans.plans.router import router as plans_router
from tread_actionplans.resources.router import router as resources_router
from tread_actionplans.schedule import scheduled_jobs
from tread_actionplans.settings import Settings
from tread_shared.app import create_service_app
from tread_shared.scheduling import with_scheduled_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Tread Action plans",
        routers=[
            plans_router,
            objectives_router,
            indicators_router,
            deviations_router,
            corrective_actions_router,
            resources_router,
            meetings_router,
        ],
        consumers=[inputs_consumer],
    )
    return with_scheduled_jobs(app, scheduled_jobs(settings))
