"""Scheduled work done one item per transaction, safe when several replicas run it at once: the
replica that loses (row version, unique row) rolls that item back and moves on."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tread_shared.db.engine import Database
from tread_shared.errors import Conflict

log = logging.getLogger(__name__)


async def each_in_own_transaction(
    db: Database,
    ids: Iterable[uuid.UUID],
    work: Callable[[AsyncSession, uuid.UUID], Awaitable[bool]],
) -> int:
    """Run ``work`` for each id in a unit of work of its own; how many did something."""
    done = 0
    for item_id in ids:
        try:
            async with db.unit_of_work() as session:
                done += bool(await work(session, item_id))
        except (StaleDataError, IntegrityError, Conflict):
            log.info("item %s was handled by another replica", item_id)
    return done
