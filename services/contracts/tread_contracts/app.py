"""The contracts service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_contracts.attestations.router import router as attestations_router
from tread_contracts.audits.router import router as audits_router
from tread_contracts.catalogue.events import catalogue_consumer
from tread_contracts.compliance.router import router as compliance_router
from tread_contracts.contracts.router import router as contracts_router
from tread_contracts.directory.events import accounts_consumer
from tread_contracts.facilitations.router import guidelines_router
from tread_contracts.facilitations.router import router as facilitations_router
from tread_contracts.offers.router import router as offers_router
from tread_contracts.programs.router import router as programs_router
from tread_contracts.schedule import scheduled_jobs
from tread_contracts.settings import Settings
from tread_shared.app import create_service_app
from tread_shared.scheduling import with_scheduled_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Tread Contracts",
        routers=[
            programs_router,
            offers_router,
            contracts_router,
            compliance_router,
            audits_router,
            attestations_router,
            guidelines_router,
            facilitations_router,
        ],
        consumers=[accounts_consumer, catalogue_consumer],
    )
    return with_scheduled_jobs(app, scheduled_jobs(settings))
