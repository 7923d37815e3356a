"""Reporting's consumer of the whole stream (``tread.>``): every event through the read model's
projectors, into the active generation.

Events come in batches (the consumer's batch handler): the rows of all the events of a batch
are merged in one ``Writes``, as a replay does, and written with one statement per table, so
that a consumer behind pays per batch, not per event, for the pointer's lock, the statements and
``as_of``. That gives the rows applying the events one by one would: projectors read nothing
but their event (no database), and ``Writes`` merges rows as the database would take them in
turn (newest version wins, first fact stays, sums add up; ``afterwards`` recomputes from the
rows once they are all written)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.action_plans.events import projection as action_plans
from tread_reporting.business.events import projection as business
from tread_reporting.cases.events import projection as cases
from tread_reporting.directory.events import projection as directory
from tread_reporting.event_counts.events import projection as event_counts
from tread_reporting.generations import repository as generations
from tread_reporting.market.events import projection as market
from tread_reporting.partnerships.events import projection as partnerships
from tread_reporting.partnerships.rebates import projection as rebates
from tread_reporting.portfolio.events import projection as portfolio
from tread_reporting.projection.registry import Projection
from tread_reporting.projection.writes import Writes
from tread_shared.app import ServiceRuntime
from tread_shared.events.catalogue import catalogue_entries
from tread_shared.events.consumer import BatchHandler, ConsumerSpec
from tread_shared.events.envelope import CloudEvent

DURABLE = "reporting"

READ_MODEL = Projection.merge(
    directory, portfolio, cases, partnerships, rebates, business, action_plans, market, event_counts
)


async def apply_events(session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]) -> None:
    """Apply delivered events (with their stream sequences) to the active generation, leaving
    out those it already has from the replay that built it."""
    generation, replayed_to = await generations.live_target(session)
    writes = Writes(generation)
    latest: tuple[CloudEvent, int] | None = None
    for event, stream_seq in events:
        if stream_seq <= replayed_to:
            continue
        READ_MODEL.project(event, stream_seq, writes)
        if latest is None or stream_seq > latest[1]:
            latest = (event, stream_seq)
    if latest is None:
        return
    await writes.run(session)
    event, stream_seq = latest
    await generations.advance(session, generation, stream_seq, event.time)


async def apply_event(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
    """Apply one event of a type outside the catalogue (it only counts)."""
    await apply_events(session, [(event, stream_seq)])


def catalogued_types() -> list[str]:
    """The types the read model projects and every other type of the catalogue (those only
    count): one batch handler for all, so that a run of mixed types is one call."""
    return sorted({*READ_MODEL.event_types(), *(e.event_type for e in catalogue_entries())})


def reporting_consumer(_runtime: ServiceRuntime) -> ConsumerSpec:
    batch_handlers: dict[str, BatchHandler] = dict.fromkeys(catalogued_types(), apply_events)
    return ConsumerSpec(
        durable=DURABLE,
        subjects=[">"],
        handlers={},
        fallback=apply_event,
        batch_handlers=batch_handlers,
    )
