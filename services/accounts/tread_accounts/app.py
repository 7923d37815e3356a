"""The accounts service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_accounts.accounts.router import router as accounts_router
from tread_accounts.activities.router import router as activities_router
from tread_accounts.cases.jobs import escalation_job
from tread_accounts.cases.router import router as cases_router
from tread_accounts.contacts.router import router as contacts_router
from tread_accounts.integrations.router import router as integrations_router
from tread_accounts.integrations.systems import with_external_systems
from tread_accounts.potential.router import router as potential_router
from tread_accounts.qualification.router import router as qualification_router
from tread_accounts.settings import Settings
from tread_shared.app import create_service_app
from tread_shared.scheduling import with_scheduled_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Tread Accounts",
        routers=[
            accounts_router,
            contacts_router,
            qualification_router,
            potential_router,
            activities_router,
            cases_router,
            integrations_router,
        ],
    )
    with_external_systems(app, settings)
    return with_scheduled_jobs(app, [escalation_job(settings)])
