"""Departures do not pile up: one is written per item and account move, to tell the users the
item left to drop it. They serve a client whose last sync is within the sync horizon
(``INBOX_SYNC_HORIZON_DAYS``); older ones are forgotten, and a client asking for changes since
before the horizon is told to list its inbox again (410), having missed what was forgotten."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table

from tread_inbox.items.models import ItemDeparture
from tread_inbox.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.errors import Problem
from tread_shared.events.retention import delete_in_chunks

DEPARTURES = cast(Table, ItemDeparture.__table__).c


def sync_horizon(settings: Settings, now: datetime | None = None) -> datetime:
    """The earliest time an ``updated_since`` may name."""
    return (now or utcnow()) - timedelta(days=settings.sync_horizon_days)


def check_within_horizon(updated_since: datetime | None, settings: Settings) -> None:
    horizon = sync_horizon(settings)
    if updated_since is not None and updated_since < horizon:
        raise Problem(
            f"Changes are kept for {settings.sync_horizon_days:g} days: list the inbox again"
            " without updated_since, then sync from the greatest updated_at it returns.",
            status=410,
            slug="sync-horizon-passed",
            title="Too old to sync",
            horizon=horizon.isoformat(),
        )


async def forget_departures(db: Database, settings: Settings, now: datetime) -> int:
    """Delete the departures older than the sync horizon; how many went."""
    return await delete_in_chunks(
        db, [DEPARTURES.id], DEPARTURES.departed_at < sync_horizon(settings, now)
    )
