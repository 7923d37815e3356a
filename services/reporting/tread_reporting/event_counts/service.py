"""Counting events per type. Called once per event (the consumer's inbox sees to that)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.event_counts import repository
from tread_reporting.event_counts.models import EventTypeCount
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent


async def count_event(session: AsyncSession, event: CloudEvent, stream_seq: int = 0) -> None:
    row = await repository.get(session, event.type)
    if row is None:
        session.add(
            EventTypeCount(
                type=event.type,
                source=event.source,
                count=1,
                first_seen_at=utcnow(),
                last_event_at=event.time,
                last_stream_seq=stream_seq,
            )
        )
        return
    row.count += 1
    row.last_event_at = max(row.last_event_at, event.time)
    row.last_stream_seq = max(row.last_stream_seq, stream_seq)
