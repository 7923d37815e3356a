from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.event_counts.models import EventTypeCount


async def list_all(
    session: AsyncSession, generation: int, source: str | None = None
) -> Sequence[EventTypeCount]:
    query = (
        select(EventTypeCount)
        .where(EventTypeCount.generation == generation)
        .order_by(EventTypeCount.type)
    )
    if source is not None:
        query = query.where(EventTypeCount.source == source)
    return (await session.scalars(query)).all()
