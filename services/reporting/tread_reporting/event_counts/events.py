"""Every event, known or not, counts once in its type."""

from __future__ import annotations

from tread_reporting.event_counts.models import EventTypeCount
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Accumulation, Writes

projection = Projection()

COUNTING = Accumulation(
    add=("count",), least=("first_seen_at",), greatest=("last_event_at", "last_stream_seq")
)


@projection.on_every_event
def count_event(at: Landing, writes: Writes) -> None:
    event = at.event
    writes.accumulate(
        EventTypeCount,
        {
            "type": event.type,
            "source": event.source,
            "count": 1,
            "first_seen_at": event.time,
            "last_event_at": event.time,
            "last_stream_seq": at.stream_seq,
        },
        COUNTING,
    )
