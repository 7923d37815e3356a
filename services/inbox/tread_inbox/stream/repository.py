from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.stream.models import ChangeCounter

ITEMS = "items"


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


async def last_position(session: AsyncSession) -> int:
    position = await session.scalar(
        select(ChangeCounter.position).where(ChangeCounter.name == ITEMS)
    )
    return int(position or 0)
