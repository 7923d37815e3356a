"""The inbox service application."""

from __future__ import annotations

from fastapi import FastAPI

from tread_inbox.directory.events import events_consumer
from tread_inbox.items.router import router as items_router
from tread_inbox.preferences.router import router as preferences_router
from tread_inbox.schedule import scheduled_jobs
from tread_inbox.settings import Settings
from tread_inbox.stream.router import router as stream_router
from tread_inbox.stream.service import with_change_watcher
from tread_shared.app import create_service_app
from tread_shared.scheduling import with_scheduled_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="Tread Inbox",
        # The fixed paths before /v1/inbox/{item_id}.
        routers=[stream_router, preferences_router, items_router],
        consumers=[events_consumer],
    )
    app = with_change_watcher(app, settings)
    return with_scheduled_jobs(app, scheduled_jobs(settings))
