"""The event pipeline under test: the depot (``depot.py``) writes stock counts with a
``StockCounted`` event in its outbox; a "ledger" consumer, in a database of its own, applies
those events into ``stock_ledger``. Both run on the test's real database backend and a real
NATS (the shared one, or a private ``nats_server`` the test stops)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Row, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import inbox_events, outbox_events
from tread_shared.events.broker import Broker, dead_letter_stream
from tread_shared.events.consumer import ConsumerSpec, EventConsumer, Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.events.relay import OutboxRelay
from tread_shared.testing.nats_server import NatsServer

from .depot import (
    MIGRATIONS_DIR,
    DepotSettings,
    StockCounted,
    depot_stock,
    record_count,
    record_in_ledger,
    stock_ledger,
)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 15.0, what: str = "condition"
) -> None:
    """Wait until ``check()`` holds, polling; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {within}s")
        await asyncio.sleep(0.02)


class Depot:
    """The producing service (one replica): its database, its outbox, its relays."""

    def __init__(self, settings: DepotSettings) -> None:
        self.settings = settings
        self.db = Database(settings.resolved_database_url)
        self.outbox = Outbox(settings.service_name, settings.nats_subject_root)

    async def record_count(self, session: AsyncSession, sku: str, quantity: int) -> CloudEvent:
        """Count ``sku`` inside the caller's unit of work; the event rides in it."""
        return await record_count(session, self.outbox, sku, quantity)

    async def count(self, sku: str, quantity: int) -> CloudEvent:
        async with self.db.unit_of_work() as session:
            return await self.record_count(session, sku, quantity)

    async def count_round_robin(self, skus: Iterable[str], rounds: int) -> list[CloudEvent]:
        """``rounds`` counts of every SKU, interleaved, one unit of work each."""
        skus = list(skus)
        return [await self.count(sku, r) for r in range(rounds) for sku in skus]

    async def stock(self) -> dict[str, int]:
        async with self.db.reading() as session:
            rows = (await session.execute(select(depot_stock.c.sku, depot_stock.c.quantity))).all()
        return {row.sku: row.quantity for row in rows}

    async def outbox_rows(self) -> list[Row[Any]]:
        async with self.db.reading() as session:
            query = select(outbox_events).order_by(outbox_events.c.seq)
            return list((await session.execute(query)).all())

    async def pending(self) -> int:
        async with self.db.reading() as session:
            query = select(func.count()).where(outbox_events.c.state == "pending")
            return int(await session.scalar(query) or 0)

    def relay(self, broker: Broker, **options: Any) -> OutboxRelay:
        return OutboxRelay(self.db, broker, service=self.settings.service_name, **options)


class Ledger:
    """The consuming service: applies ``StockCounted`` into ``stock_ledger``, in a database of
    its own. SKUs in ``failing`` make the handler raise, as a bug would."""

    def __init__(self, settings: DepotSettings) -> None:
        self.settings = settings
        self.db = Database(settings.resolved_database_url)
        self.failing: set[str] = set()
        # SKUs whose handler takes this long (a slow batch), or never returns (a dying consumer).
        self.slow: dict[str, float] = {}
        self.stuck: set[str] = set()
        self.unreachable_for = 0  # handler calls that find the database unreachable
        self.attempts: list[tuple[str, float]] = []  # (event id, monotonic time) per handler call
        # Applied by a batch handler instead (the sizes of the batches it was given).
        self.batched = False
        self.batch_sizes: list[int] = []

    async def apply(self, session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        self.attempts.append((event.id, time.monotonic()))
        if self.unreachable_for > 0:
            self.unreachable_for -= 1
            raise OperationalError("INSERT INTO stock_ledger", {}, ConnectionRefusedError())
        sku = event.data.get("sku")
        if sku in self.stuck and len(self.attempts_at(event)) == 1:
            await asyncio.Event().wait()  # until the consumer is cancelled: it dies holding it
        if sku in self.slow:
            await asyncio.sleep(self.slow[sku])
        if sku in self.failing:
            raise RuntimeError(f"no bin for SKU {event.data['sku']}")
        await record_in_ledger(session, event, stream_seq)

    def attempts_at(self, event: CloudEvent) -> list[float]:
        return [at for event_id, at in self.attempts if event_id == event.id]

    async def apply_batch(
        self, session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]
    ) -> None:
        self.batch_sizes.append(len(events))
        for event, stream_seq in events:
            await self.apply(session, event, stream_seq)

    def spec(self) -> ConsumerSpec:
        handler: dict[str, Handler] = {StockCounted.event_type(): self.apply}
        return ConsumerSpec(
            durable="ledger",
            subjects=["depot.>"],
            handlers={} if self.batched else handler,
            batch_handlers={StockCounted.event_type(): self.apply_batch} if self.batched else {},
        )

    async def entries(self) -> list[Row[Any]]:
        async with self.db.reading() as session:
            query = select(stock_ledger).order_by(stock_ledger.c.id)
            return list((await session.execute(query)).all())

    async def inbox_size(self) -> int:
        async with self.db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(inbox_events)) or 0)

    async def wait_for_entries(self, count: int, within: float = 15.0) -> list[Row[Any]]:
        async def enough() -> bool:
            return len(await self.entries()) >= count

        await eventually(enough, within=within, what=f"{count} ledger entries")
        await asyncio.sleep(0.2)  # give a wrong extra application the chance to show
        return await self.entries()


def assert_once(applied: list[Any], expected: list[CloudEvent]) -> None:
    """Every expected event exactly once."""
    ids = [str(entry.event_id) for entry in applied]
    assert len(ids) == len(set(ids)), "an event was applied more than once"
    assert set(ids) == {event.id for event in expected}


def assert_once_in_entity_order(applied: list[Any], expected: list[CloudEvent]) -> None:
    """Every expected event exactly once, and each SKU's counts in the order they were made."""
    assert_once(applied, expected)
    positions: dict[str, list[int]] = {}
    for entry in applied:
        positions.setdefault(entry.sku, []).append(entry.position)
    for sku, seen in positions.items():
        assert seen == list(range(1, len(seen) + 1)), f"{sku} counts out of order: {seen}"


@dataclass
class StoredMessage:
    seq: int
    subject: str
    headers: dict[str, str]
    data: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.data)
        return event


@dataclass
class StreamEntry:
    """A stored event, shaped like a ledger entry for :func:`assert_once_in_entity_order`."""

    event_id: str
    sku: str
    position: int


def as_stream_entries(messages: list[StoredMessage]) -> list[StreamEntry]:
    return [
        StreamEntry(m.event["id"], m.event["data"]["sku"], m.event["data"]["position"])
        for m in messages
    ]


async def stream_messages(js: JetStreamContext, stream: str) -> list[StoredMessage]:
    """Every message stored in ``stream``, in stream order."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    messages = []
    for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
        raw = await js.get_msg(stream, seq)
        messages.append(
            StoredMessage(seq, raw.subject or "", dict(raw.headers or {}), raw.data or b"")
        )
    return messages


@dataclass
class Pipeline:
    """The depot and the ledger on this test's stream, with their brokers and background tasks
    (relays, consumers), all stopped at the end of the test."""

    depot: Depot
    ledger: Ledger
    server: NatsServer | None = None  # a private broker the test may stop; else the shared one
    brokers: list[Broker] = field(default_factory=list)
    relays: list[OutboxRelay] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def on_broker(self, settings: DepotSettings, **changes: Any) -> DepotSettings:
        if self.server is not None:
            changes = {"nats_url": self.server.url, **changes}
        return settings.model_copy(update=changes)

    async def connect(self, settings: DepotSettings | None = None, ready: bool = True) -> Broker:
        """A started broker connection (the depot's settings by default)."""
        broker = Broker(self.on_broker(settings or self.depot.settings))
        self.brokers.append(broker)
        broker.start()
        if ready:
            await asyncio.wait_for(broker.wait_ready(), timeout=10)
        return broker

    async def js(self) -> JetStreamContext:
        broker = self.brokers[0] if self.brokers else await self.connect()
        return await broker.wait_ready()

    def run(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self.tasks.append(task)
        return task

    async def stop(self, task: asyncio.Task[Any]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def relay(
        self, replica: Depot | None = None, *, ready: bool = True, **options: Any
    ) -> OutboxRelay:
        """A relay of the depot (or of another ``replica``), on a broker connection of its own."""
        relay = (replica or self.depot).relay(await self.connect(ready=ready), **options)
        self.relays.append(relay)
        return relay

    async def start_relay(
        self, replica: Depot | None = None, *, ready: bool = True, **options: Any
    ) -> OutboxRelay:
        """A relay (see :meth:`relay`) running."""
        relay = await self.relay(replica, ready=ready, **options)
        self.run(relay.run())
        return relay

    async def start_consumer(self, **settings_changes: Any) -> EventConsumer:
        """A ledger consumer running, on a connection of its own."""
        settings = self.on_broker(self.ledger.settings, **settings_changes)
        broker = await self.connect(settings)
        consumer = EventConsumer(self.ledger.spec(), self.ledger.db, broker, settings)
        self.run(consumer.run())
        return consumer

    async def stored(self) -> list[StoredMessage]:
        return await stream_messages(await self.js(), self.depot.settings.nats_stream)

    async def dead_letters(self) -> list[StoredMessage]:
        return await stream_messages(await self.js(), dead_letter_stream(self.ledger.settings))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        for relay in self.relays:
            await relay.close()
        for broker in self.brokers:
            await broker.close()
        for result in results:
            # A relay or consumer that died of its own exception fails the test.
            if isinstance(result, Exception):
                raise result


@pytest.fixture
def depot_settings(make_settings: Callable[..., Any]) -> DepotSettings:
    settings: DepotSettings = make_settings(DepotSettings, MIGRATIONS_DIR)
    return settings


@pytest.fixture
def ledger_settings(make_settings: Callable[..., Any]) -> DepotSettings:
    """The consumer's settings: a database of its own, the same stream."""
    settings: DepotSettings = make_settings(DepotSettings, MIGRATIONS_DIR)
    return settings


@pytest.fixture
async def depot(depot_settings: DepotSettings) -> AsyncIterator[Depot]:
    depot = Depot(depot_settings)
    yield depot
    await depot.db.dispose()


@pytest.fixture
async def replica(depot_settings: DepotSettings) -> AsyncIterator[Depot]:
    """A second replica of the producing service, on the same database."""
    depot = Depot(depot_settings)
    yield depot
    await depot.db.dispose()


@pytest.fixture
async def ledger(ledger_settings: DepotSettings) -> AsyncIterator[Ledger]:
    ledger = Ledger(ledger_settings)
    yield ledger
    await ledger.db.dispose()


@pytest.fixture
async def pipeline(depot: Depot, ledger: Ledger) -> AsyncIterator[Pipeline]:
    pipeline = Pipeline(depot, ledger)
    yield pipeline
    await pipeline.close()
