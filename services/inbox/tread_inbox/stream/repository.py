from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.stream.models import ChangeCounter

ITEMS = "items"
# The highest position of the departures forgotten past the sync horizon: a stream resuming
# from before it may have missed one (``items/retention.py``).
DEPARTURES_FORGOTTEN = "departures_forgotten"


async def next_position(session: AsyncSession) -> int:
    """The next position of the change sequence, the counter row locked until commit."""
    position = await session.scalar(
        update(ChangeCounter)
        .where(ChangeCounter.name == ITEMS)
        .values(position=ChangeCounter.position + 1)
        .returning(ChangeCounter.position)
    )
    if position is None:
        # The migration makes the row; a database emptied since (tests) starts again at 1.
        session.add(ChangeCounter(name=ITEMS, position=1))
        await session.flush()
        return 1
    return int(position)


async def lock_changes(session: AsyncSession) -> None:
    """Take the counter's lock (PostgreSQL; SQLite has one writer) without a position: item
    changes then wait for this transaction, as for one that took a position."""
    await session.execute(
        select(ChangeCounter.position).where(ChangeCounter.name == ITEMS).with_for_update()
    )


async def last_position(session: AsyncSession) -> int:
    position = await session.scalar(
        select(ChangeCounter.position).where(ChangeCounter.name == ITEMS)
    )
    return int(position or 0)


async def departures_forgotten(session: AsyncSession) -> int:
    """The highest position of a departure forgotten so far (0: none)."""
    position = await session.scalar(
        select(ChangeCounter.position).where(ChangeCounter.name == DEPARTURES_FORGOTTEN)
    )
    return int(position or 0)


async def forget_departures_upto(session: AsyncSession, position: int) -> None:
    """Departures up to ``position`` are about to be forgotten: recorded first, so that a
    stream resuming from before them is told so rather than silently missing one."""
    moved = await session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.name == DEPARTURES_FORGOTTEN, ChangeCounter.position < position)
        .values(position=position)
    )
    if not getattr(moved, "rowcount", 0) and not await departures_forgotten(session):
        # The migration makes the row; a database emptied since (tests) has none.
        session.add(ChangeCounter(name=DEPARTURES_FORGOTTEN, position=position))
