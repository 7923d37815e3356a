"""Departures do not pile up: one is written per item and account move, to tell the users the
item left to drop it. They serve a client whose last sync is within the sync horizon
(``INBOX_SYNC_HORIZON_DAYS``); older ones are forgotten, and a client asking for changes since
before the horizon is told to list its inbox again (410), having missed what was forgotten.
The push stream has positions, not times: the highest position forgotten is recorded before the
departures go, and a ``Last-Event-ID`` below it is answered with the same 410 (a stream from
before any forgotten departure misses nothing: items themselves are never forgotten).

Decision progress (``items/decisions.py``) does not pile up either: a resource's latest step is
what an event of it arriving late is compared with, so it is kept while an older event of the
resource can still arrive — JetStream redelivers only within its ack wait times its deliveries,
and the consumer remembers applied events for ``inbox_retention_hours`` (a wide margin of the
same bound) — and while an item of the resource waits for a decision (the step that closes it
must find what it closes). Past both, the row is forgotten: a later event of the resource is a
newer step, as on a database from before the rule, and a late request of an older revision finds
its item by key and makes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, delete, exists, func, select, tuple_

from tread_inbox.items.models import DecisionProgress, InboxItem, ItemDeparture
from tread_inbox.settings import Settings
from tread_inbox.stream.repository import departures_forgotten, forget_departures_upto
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.errors import Problem
from tread_shared.events.retention import CHUNK, delete_in_chunks

DEPARTURES = cast(Table, ItemDeparture.__table__).c


def sync_horizon(settings: Settings, now: datetime | None = None) -> datetime:
    """The earliest time an ``updated_since`` may name."""
    return (now or utcnow()) - timedelta(days=settings.sync_horizon_days)


def horizon_passed(settings: Settings, then: str) -> Problem:
    """410 ``sync-horizon-passed``: list the inbox again, ``then`` carry on from there."""
    return Problem(
        f"Changes are kept for {settings.sync_horizon_days:g} days: list the inbox again"
        f" without updated_since, then {then}.",
        status=410,
        slug="sync-horizon-passed",
        title="Too old to sync",
        horizon=sync_horizon(settings).isoformat(),
    )


def check_within_horizon(updated_since: datetime | None, settings: Settings) -> None:
    if updated_since is not None and updated_since < sync_horizon(settings):
        raise horizon_passed(settings, "sync from the greatest updated_at it returns")


async def check_resumable(db: Database, after: int | None, settings: Settings) -> None:
    """A push stream resuming after position ``after`` would miss a forgotten departure."""
    if after is None:
        return
    async with db.unit_of_work() as session:
        forgotten = await departures_forgotten(session)
    if after < forgotten:
        raise horizon_passed(settings, "open the stream again without Last-Event-ID")


async def forget_departures(db: Database, settings: Settings, now: datetime) -> int:
    """Delete the departures older than the sync horizon; how many went. Their highest
    position is recorded first (its own transaction), for streams resuming from before it."""
    too_old = DEPARTURES.departed_at < sync_horizon(settings, now)
    async with db.unit_of_work() as session:
        highest = await session.scalar(select(func.max(DEPARTURES.position)).where(too_old))
        if highest is not None:
            await forget_departures_upto(session, int(highest))
    return await delete_in_chunks(db, [DEPARTURES.id], too_old)


async def forget_decision_progress(db: Database, settings: Settings, now: datetime) -> int:
    """Delete the progress of resources settled past the consumer's memory; how many went.
    The condition is on the deleted rows themselves too: a step applied to one while the chunk
    is chosen (its row locked) makes it recent again, and PostgreSQL checks that again."""
    progress = DecisionProgress
    waiting = exists().where(
        InboxItem.resource_type == progress.resource_type,
        InboxItem.resource_id == progress.resource_id,
        InboxItem.category == "decision",
        InboxItem.done_at.is_(None),
        InboxItem.deleted_at.is_(None),
    )
    cutoff = now - timedelta(hours=settings.inbox_retention_hours)
    settled = and_(progress.applied_at < cutoff, ~waiting)
    key = tuple_(progress.resource_type, progress.resource_id)
    chosen = select(progress.resource_type, progress.resource_id).where(settled).limit(CHUNK)
    statement = delete(progress).where(settled, key.in_(chosen))
    deleted = 0
    while True:
        async with db.unit_of_work() as session:
            count = int(getattr(await session.execute(statement), "rowcount", 0) or 0)
        deleted += count
        if count < CHUNK:
            return deleted
