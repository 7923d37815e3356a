"""Forgetting what the platform tables no longer need, so they do not grow without end:

- outbox rows published more than ``outbox_retention_hours`` ago (the stream keeps the events;
  the row only served to publish them);
- inbox rows applied more than ``inbox_retention_hours`` ago: the inbox stops a redelivery from
  applying an event twice, and JetStream redelivers only unacknowledged messages, within
  ``consumer_ack_wait_seconds`` times ``consumer_max_deliver``; days are a wide margin;
- idempotency keys past ``idempotency_ttl_hours`` (a retry after that runs again, as documented).

Every replica runs the purge; deleting the same rows twice is harmless. Rows go in chunks of
``CHUNK`` per transaction, so that writers never wait long behind a purge."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, delete, select, tuple_

from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import idempotency_keys, inbox_events, outbox_events
from tread_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

CHUNK = 5_000


@dataclass(frozen=True)
class Purged:
    outbox: int
    inbox: int
    idempotency_keys: int


async def delete_in_chunks(db: Database, key: list[Column[Any]], condition: Any) -> int:
    """Delete the rows matching ``condition``, ``CHUNK`` at a time (one transaction each),
    chosen by primary ``key``; how many went. A service forgets its own old rows with it too."""
    table = key[0].table
    target = key[0] if len(key) == 1 else tuple_(*key)
    statement = delete(table).where(target.in_(select(*key).where(condition).limit(CHUNK)))
    deleted = 0
    while True:
        async with db.unit_of_work() as session:
            result = await session.execute(statement)
        count = int(getattr(result, "rowcount", 0) or 0)
        deleted += count
        if count < CHUNK:
            return deleted


async def purge_platform_rows(
    db: Database, settings: ServiceSettings, now: datetime | None = None
) -> Purged:
    """Delete what is no longer needed (see the module's docstring); how many rows went."""
    now = now or utcnow()
    outbox = await delete_in_chunks(
        db,
        [outbox_events.c.seq],
        (outbox_events.c.state == "published")
        & (outbox_events.c.published_at < now - timedelta(hours=settings.outbox_retention_hours)),
    )
    inbox = await delete_in_chunks(
        db,
        [inbox_events.c.consumer, inbox_events.c.event_id],
        inbox_events.c.applied_at < now - timedelta(hours=settings.inbox_retention_hours),
    )
    keys = await delete_in_chunks(
        db,
        [idempotency_keys.c.principal, idempotency_keys.c.key],
        idempotency_keys.c.created_at < now - timedelta(hours=settings.idempotency_ttl_hours),
    )
    return Purged(outbox=outbox, inbox=inbox, idempotency_keys=keys)


async def purge_periodically(db: Database, settings: ServiceSettings) -> None:
    """Purge every ``retention_interval_seconds`` until cancelled; a failed run is logged."""
    while True:
        await asyncio.sleep(settings.retention_interval_seconds)
        try:
            purged = await purge_platform_rows(db, settings)
        except Exception:
            log.exception("purging delivered outbox, inbox and idempotency rows failed")
            continue
        if purged.outbox or purged.inbox or purged.idempotency_keys:
            log.info(
                "purged %d published outbox rows, %d inbox rows, %d idempotency keys",
                purged.outbox,
                purged.inbox,
                purged.idempotency_keys,
            )
