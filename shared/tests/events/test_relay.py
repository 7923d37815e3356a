"""The relay claims outbox rows by state, publishes each event once, keeps per-entity order, and
a crash between publishing and marking has no duplicate effect downstream; a relay killed while
it holds the lease is replaced at once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import select, update

from tread_shared.db.platform_tables import outbox_events, outbox_relay_lease
from tread_shared.events.relay import LEASE_SECONDS

from .conftest import (
    Depot,
    Pipeline,
    as_stream_entries,
    assert_once_in_entity_order,
    eventually,
)

SKUS = [f"WINTER-{size}" for size in (195, 205, 215, 225)]

# A replica's relay in a process of its own, so that the test can kill it as the kernel would.
RELAY_PROCESS = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from depot import DepotSettings
from tread_shared.db.engine import Database
from tread_shared.events.broker import Broker
from tread_shared.events.relay import OutboxRelay

async def main():
    settings = DepotSettings.model_validate_json(sys.argv[2])
    broker = Broker(settings)
    broker.start()
    database = Database(settings.resolved_database_url)
    await OutboxRelay(database, broker, service=settings.service_name, holder=sys.argv[3]).run()

asyncio.run(main())
"""


async def all_published(depot: Depot) -> None:
    async def none_pending() -> bool:
        return await depot.pending() == 0

    await eventually(none_pending, what="every outbox row marked published")


async def test_a_row_committed_after_a_later_one_is_still_published(
    pipeline: Pipeline, database_backend: str
) -> None:
    depot = pipeline.depot
    relay = await pipeline.relay()
    js = await relay.broker.wait_ready()

    if database_backend == "postgresql":
        # Two transactions: the first takes the lower seq, the second commits first.
        async with depot.db.unit_of_work() as slow:
            lower = await depot.record_count(slow, "SUMMER-195", 8)
            async with depot.db.unit_of_work() as quick:
                higher = await depot.record_count(quick, "SUMMER-205", 12)
            assert await relay.publish_batch(js) == 1
        seqs = {row.event_id: row.seq for row in await depot.outbox_rows()}
        assert seqs[lower.event_uuid] < seqs[higher.event_uuid]
    else:
        # SQLite runs one writer at a time (BEGIN IMMEDIATE), so rows cannot commit out of seq
        # order there; give the late row a lower seq by hand to the same effect.
        higher = await depot.count("SUMMER-205", 12)
        assert await relay.publish_batch(js) == 1
        lower = await depot.count("SUMMER-195", 8)
        async with depot.db.unit_of_work() as session:
            await session.execute(
                update(outbox_events)
                .where(outbox_events.c.event_id == lower.event_uuid)
                .values(seq=0)
            )

    assert await relay.publish_batch(js) == 1

    assert [m.headers["Nats-Msg-Id"] for m in await pipeline.stored()] == [higher.id, lower.id]
    assert await depot.pending() == 0


async def test_two_relays_at_once_publish_each_event_once_in_entity_order(
    replica: Depot, pipeline: Pipeline
) -> None:
    # A lease shorter than a batch: the two relays keep taking it from each other mid-batch, so
    # both publish the same rows at the same time, the worst case a slow replica can cause.
    # Each runs in a replica of its own, with its own connections to the database and NATS.
    relays = [
        await pipeline.start_relay(producer, lease_seconds=0.01, batch_size=7)
        for producer in (pipeline.depot, replica)
    ]
    await pipeline.start_consumer()

    # Which relay wins the lease is up to the scheduler: keep counting until both have taken a
    # turn, so the test always covers two publishers, however the turns fall.
    counted = await pipeline.depot.count_round_robin(SKUS, rounds=25)
    deadline = asyncio.get_running_loop().time() + 15
    while not all(relay.published > 0 for relay in relays):
        assert asyncio.get_running_loop().time() < deadline, "one relay never published"
        counted += await pipeline.depot.count_round_robin(SKUS, rounds=1)
        await asyncio.sleep(0.02)

    applied = await pipeline.ledger.wait_for_entries(len(counted))
    assert_once_in_entity_order(applied, counted)
    stored = await pipeline.stored()
    assert len(stored) == len(counted)
    assert_once_in_entity_order(as_stream_entries(stored), counted)
    await all_published(pipeline.depot)


async def test_a_relay_that_dies_is_replaced_by_another_without_loss(
    replica: Depot, pipeline: Pipeline
) -> None:
    depot = pipeline.depot
    first = await pipeline.start_relay(lease_seconds=0.3)
    await pipeline.start_consumer()
    counted = await depot.count_round_robin(SKUS, rounds=3)
    await all_published(depot)

    await pipeline.stop(pipeline.tasks[0])  # dies holding the lease: no release
    second = await pipeline.start_relay(replica, lease_seconds=0.3)
    counted += await depot.count_round_robin(SKUS, rounds=3)

    applied = await pipeline.ledger.wait_for_entries(len(counted))
    assert_once_in_entity_order(applied, counted)
    assert (first.published, second.published) == (len(counted) // 2, len(counted) // 2)


async def test_a_relay_crash_between_publish_and_mark_has_no_duplicate_effect(
    pipeline: Pipeline,
) -> None:
    depot = pipeline.depot
    counted = await depot.count_round_robin(SKUS, rounds=5)
    crashing = await pipeline.relay()
    js = await crashing.broker.wait_ready()
    outcome = await crashing.publish(js, await crashing.claim())  # ... then dies before marking
    assert len(outcome.acked) == len(counted)
    assert await depot.pending() == len(counted)

    restarted = await pipeline.relay()
    assert await restarted.publish_batch(js) == len(counted)

    assert len(await pipeline.stored()) == len(counted), "the broker stored an event twice"
    assert await depot.pending() == 0
    await pipeline.start_consumer()
    applied = await pipeline.ledger.wait_for_entries(len(counted))
    assert_once_in_entity_order(applied, counted)


async def test_the_relay_wakes_on_a_commit_rather_than_polling(pipeline: Pipeline) -> None:
    await pipeline.start_relay(poll_seconds=30)
    await asyncio.sleep(0.1)  # the relay is idle, waiting

    event = await pipeline.depot.count("ALLSEASON-205", 3)

    async def published() -> bool:
        return len(await pipeline.stored()) == 1

    await eventually(published, within=2, what="the event published without a poll")
    [message] = await pipeline.stored()
    assert message.headers["Nats-Msg-Id"] == event.id


async def test_a_killed_lease_holder_is_replaced_without_waiting_for_its_lease(
    pipeline: Pipeline, replica: Depot, database_backend: str
) -> None:
    depot = pipeline.depot
    settings = pipeline.on_broker(depot.settings)
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RELAY_PROCESS,
        str(Path(__file__).parent),
        settings.model_dump_json(),
        "doomed-relay",
    )
    try:
        counted = await depot.count_round_robin(SKUS, rounds=2)

        async def doomed_holds_and_published() -> bool:
            async with depot.db.reading() as session:
                holder = await session.scalar(select(outbox_relay_lease.c.holder))
            return holder == "doomed-relay" and await depot.pending() == 0

        await eventually(doomed_holds_and_published, within=30, what="the doomed relay working")
        standby = await pipeline.start_relay(replica)
        await asyncio.sleep(0.5)  # the standby polls, finds the lease held
        assert standby.published == 0

        killed_at = time.monotonic()
        os.kill(doomed.pid, signal.SIGKILL)
        counted += await depot.count_round_robin(SKUS, rounds=1)

        async def all_stored() -> bool:
            return len(await pipeline.stored()) >= len(counted)

        await eventually(all_stored, within=LEASE_SECONDS + 10, what="the events after the kill")
        takeover = time.monotonic() - killed_at
    finally:
        if doomed.returncode is None:
            doomed.kill()
        await doomed.wait()

    print(f"relay takeover after kill -9 of the lease holder: {takeover:.2f} s")
    # The holder's lock died with it (PostgreSQL: its connection's advisory lock; SQLite: its
    # flock on the file beside the database): a poll, not the 5 s lease.
    assert takeover < 1.5, f"{database_backend}: taken over {takeover:.1f}s after the kill"
    assert standby.published == len(SKUS)
    stored = await pipeline.stored()
    assert len(stored) == len(counted), "an event was stored twice, or lost"
    assert_once_in_entity_order(as_stream_entries(stored), counted)
    await all_published(depot)
