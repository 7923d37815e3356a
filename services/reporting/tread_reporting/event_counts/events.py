"""Reporting's consumer of the whole stream."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.event_counts.service import count_event
from tread_shared.app import ServiceRuntime
from tread_shared.events.consumer import ConsumerSpec
from tread_shared.events.envelope import CloudEvent


async def on_any_event(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
    await count_event(session, event, stream_seq)


def reporting_consumer(_runtime: ServiceRuntime) -> ConsumerSpec:
    return ConsumerSpec(durable="reporting", subjects=[">"], handlers={}, fallback=on_any_event)
