"""Reporting's consumer of the whole stream (``tread.>``): every event through the read model's
projectors, into the active generation."""

from __future__ import annotations

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
from tread_shared.events.consumer import ConsumerSpec, Handler
from tread_shared.events.envelope import CloudEvent

DURABLE = "reporting"

READ_MODEL = Projection.merge(
    directory, portfolio, cases, partnerships, rebates, business, action_plans, market, event_counts
)


async def apply_event(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
    """Apply one delivered event to the active generation, unless that generation already has
    it from the replay that built it."""
    generation, replayed_to = await generations.live_target(session)
    if stream_seq <= replayed_to:
        return
    writes = Writes(generation)
    READ_MODEL.project(event, stream_seq, writes)
    await writes.run(session)
    await generations.advance(session, generation, stream_seq, event.time)


def reporting_consumer(_runtime: ServiceRuntime) -> ConsumerSpec:
    # Known types and unknown ones (which only count) take the same path: the projection
    # dispatches by payload type.
    handlers: dict[str, Handler] = dict.fromkeys(READ_MODEL.event_types(), apply_event)
    return ConsumerSpec(durable=DURABLE, subjects=[">"], handlers=handlers, fallback=apply_event)
