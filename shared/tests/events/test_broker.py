"""A broker outage delays events and never loses them or fails a write; the relay and the
consumer find the broker again by themselves (a private NATS server the tests stop)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time

import pytest

from tread_shared.events.envelope import CloudEvent
from tread_shared.testing.nats_server import NatsServer

from .conftest import Pipeline, as_stream_entries, assert_once_in_entity_order, eventually

SKUS = ["TRUCK-315-70R22", "TRUCK-385-65R22", "VAN-215-65R16"]

pytestmark = pytest.mark.slow


@pytest.fixture
def private(pipeline: Pipeline, nats_server: NatsServer) -> Pipeline:
    """The pipeline on a NATS server of this test's own."""
    pipeline.server = nats_server
    return pipeline


async def test_writes_succeed_while_the_broker_is_down_and_their_events_follow_in_order(
    private: Pipeline, nats_server: NatsServer
) -> None:
    depot = private.depot
    await private.start_relay()
    await private.start_consumer()
    counted = await depot.count_round_robin(SKUS, rounds=2)
    await private.ledger.wait_for_entries(len(counted))

    nats_server.stop()
    started = time.monotonic()
    during_outage = await depot.count_round_robin(SKUS, rounds=3)
    assert time.monotonic() - started < 2, "writes waited for the broker"
    await asyncio.sleep(0.5)  # the relay tries, and fails, meanwhile
    assert await depot.pending() == len(during_outage)
    assert await depot.stock() == dict.fromkeys(SKUS, 2)
    nats_server.start()
    counted += during_outage + await depot.count_round_robin(SKUS, rounds=2)

    applied = await private.ledger.wait_for_entries(len(counted))
    assert_once_in_entity_order(applied, counted)
    assert_once_in_entity_order(as_stream_entries(await private.stored()), counted)


async def test_a_service_started_while_the_broker_is_down_publishes_once_it_is_up(
    private: Pipeline, nats_server: NatsServer
) -> None:
    nats_server.stop()
    await private.start_relay(ready=False)
    counted = await private.depot.count_round_robin(SKUS, rounds=2)
    await asyncio.sleep(0.3)
    assert await private.depot.pending() == len(counted)

    nats_server.start()
    await private.start_consumer()

    assert_once_in_entity_order(await private.ledger.wait_for_entries(len(counted)), counted)


async def test_a_broker_back_without_its_storage_gets_the_streams_again_and_the_events(
    private: Pipeline, nats_server: NatsServer
) -> None:
    depot = private.depot
    await private.start_relay()
    await depot.count_round_robin(SKUS, rounds=1)

    async def published() -> bool:
        return await depot.pending() == 0

    await eventually(published, what="the first events published")
    nats_server.stop()
    shutil.rmtree(nats_server.store_dir)
    nats_server.start()
    later = await depot.count_round_robin(SKUS, rounds=1)

    async def stored_again() -> bool:
        return len(await private.stored()) == len(later)

    # Recreated by the relay when its publish finds no stream (the store held the first ones).
    await eventually(stored_again, what="the stream recreated and the later events in it")
    assert [m.event["id"] for m in await private.stored()] == [e.id for e in later]


def crash(server: NatsServer) -> None:
    """Kill the broker without a goodbye: no "409 Server Shutdown" to pull requests."""
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.process = None


@pytest.mark.parametrize("how", ["shutdown", "crash"])
async def test_a_consumer_pulling_when_the_broker_restarts_resumes_by_itself(
    how: str, private: Pipeline, nats_server: NatsServer
) -> None:
    await private.start_relay()
    # ack_wait short: a delivery lost with the old connection comes back within the test.
    consumer = await private.start_consumer(consumer_ack_wait_seconds=2.0)
    counted: list[CloudEvent] = []

    async def keep_counting(rounds: int) -> None:
        for _ in range(rounds):
            counted.extend(await private.depot.count_round_robin(SKUS, rounds=1))
            await asyncio.sleep(0.01)

    await keep_counting(5)
    await private.ledger.wait_for_entries(len(counted))
    writer = asyncio.create_task(keep_counting(40))
    await asyncio.sleep(0.1)  # events flowing while the broker goes
    if how == "crash":
        crash(nats_server)
    else:
        nats_server.stop()
    nats_server.start()
    await writer

    applied = await private.ledger.wait_for_entries(len(counted), within=30)
    assert_once_in_entity_order(applied, counted)
    assert_once_in_entity_order(as_stream_entries(await private.stored()), counted)
    if how == "crash":
        assert consumer.heartbeats_missed >= 1, "the consumer never noticed the silence"
    else:
        assert consumer.pulls_ended >= 1, "the consumer never noticed the shutdown"


def freeze(server: NatsServer) -> int:
    """Stop the broker's process without closing anything (SIGSTOP): connections stay open and
    silent, as with a broker stalled or a network that drops packets."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    return server.process.pid


async def test_a_consumer_that_heard_nothing_for_a_while_applies_the_events_at_once_after(
    private: Pipeline, nats_server: NatsServer
) -> None:
    await private.start_relay()
    # Heartbeats every 0.2 s: the pull is set up again after 1.4 s of silence. An ack wait of
    # 30 s: an event left in a forgotten inbox would come back only after that.
    consumer = await private.start_consumer(
        consumer_heartbeat_seconds=0.2, consumer_ack_wait_seconds=30.0
    )
    counted = await private.depot.count_round_robin(SKUS, rounds=1)
    await private.ledger.wait_for_entries(len(counted))

    pid = freeze(nats_server)
    try:
        counted += await private.depot.count_round_robin(SKUS, rounds=2)
        await asyncio.sleep(2.5)  # more than the silence the consumer accepts
    finally:
        os.kill(pid, signal.SIGCONT)
    thawed = time.monotonic()

    applied = await private.ledger.wait_for_entries(len(counted), within=20)
    assert time.monotonic() - thawed < 6, "events waited for the ack wait, not the broker"
    assert consumer.heartbeats_missed >= 1, "the consumer never noticed the silence"
    assert_once_in_entity_order(applied, counted)


async def test_a_consumer_setting_its_pull_up_again_stops_at_once_when_asked(
    private: Pipeline, nats_server: NatsServer
) -> None:
    consumer = await private.start_consumer(consumer_heartbeat_seconds=0.2)
    counted = await private.depot.count_round_robin(SKUS, rounds=1)
    await private.start_relay()
    await private.ledger.wait_for_entries(len(counted))
    running = private.tasks[0]

    pid = freeze(nats_server)
    try:
        await asyncio.sleep(2.5)  # the consumer gave up on the pull and waits on the broker
        assert consumer.heartbeats_missed >= 1
        started = time.monotonic()
        await asyncio.wait_for(private.stop(running), timeout=5)
        assert time.monotonic() - started < 1
    finally:
        os.kill(pid, signal.SIGCONT)
    private.tasks.remove(running)
