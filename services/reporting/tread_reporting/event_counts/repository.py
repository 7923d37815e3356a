from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.event_counts.models import EventTypeCount


async def get(session: AsyncSession, event_type: str) -> EventTypeCount | None:
    return await session.get(EventTypeCount, event_type)


async def list_all(session: AsyncSession, source: str | None = None) -> Sequence[EventTypeCount]:
    query = select(EventTypeCount).order_by(EventTypeCount.type)
    if source is not None:
        query = query.where(EventTypeCount.source == source)
    return (await session.scalars(query)).all()
