"""``as_of`` for every answer, and the lag of reporting's consumers as JetStream sees it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.freshness.schemas import AsOf, ConsumerLag, LagOut, RebuildProgress
from tread_reporting.generations import repository as generations
from tread_shared.db.reading import InSession, Reads, Rows
from tread_shared.events.broker import Broker

BROKER_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class ReadView:
    """What a read uses: the active generation, and how fresh it is."""

    generation: int
    as_of: AsOf


async def read_view(rows: Rows) -> ReadView:
    generation, applied_time, applied_seq = await generations.active_view(rows)
    return ReadView(generation=generation, as_of=AsOf(time=applied_time, sequence=applied_seq))


async def current_view(reads: Reads) -> ReadView:
    return await read_view(reads)


CurrentView = Annotated[ReadView, Depends(current_view)]


async def lag(
    session: AsyncSession, broker: Broker | None, stream: str, durables: list[str]
) -> LagOut:
    """How far reporting is behind; with the broker away, what is known locally."""
    view = await read_view(InSession(session))
    building = [g for g in await generations.in_states(session, "building")]
    rebuild = (
        RebuildProgress(
            generation=building[-1].generation,
            replayed_sequence=building[-1].applied_seq,
            target_sequence=building[-1].replay_target_seq,
        )
        if building
        else None
    )
    unknown = [ConsumerLag(name=name, pending=None, ack_pending=None) for name in durables]
    answer = LagOut(
        as_of=view.as_of,
        broker_reachable=False,
        stream=stream,
        consumers=unknown,
        rebuild=rebuild,
    )
    if broker is None or broker.js is None or not broker.connected:
        answer.error = "The event broker is not reachable: lag unknown, as_of is what was applied."
        return answer
    try:
        last_sequence, answer.consumers = await asyncio.wait_for(
            _ask_jetstream(broker.js, stream, durables), BROKER_TIMEOUT_SECONDS
        )
    except Exception as exc:  # noqa: BLE001 - any broker trouble is reported, not raised
        answer.error = f"The event broker did not answer: {type(exc).__name__}: {exc}"[:300]
        return answer
    answer.broker_reachable = True
    answer.stream_last_sequence = last_sequence
    # JetStream's count, not the stream's last sequence less as_of: after a crash, events
    # delivered to the dead process come again later, behind newer ones already applied.
    answer.behind = sum((c.pending or 0) + (c.ack_pending or 0) for c in answer.consumers)
    return answer


async def _ask_jetstream(
    js: JetStreamContext, stream: str, durables: list[str]
) -> tuple[int, list[ConsumerLag]]:
    info = await js.stream_info(stream)
    consumers = []
    for name in durables:
        consumer = await js.consumer_info(stream, name)
        consumers.append(
            ConsumerLag(
                name=name,
                pending=consumer.num_pending or 0,
                ack_pending=consumer.num_ack_pending or 0,
                redelivered=consumer.num_redelivered or 0,
                delivered_sequence=consumer.delivered.stream_seq if consumer.delivered else None,
                acknowledged_sequence=consumer.ack_floor.stream_seq if consumer.ack_floor else None,
            )
        )
    return info.state.last_seq, consumers


def broker_of(request: Request) -> Broker | None:
    broker: Broker | None = request.app.state.broker
    return broker
