"""Action plans: the plan status page under load, and indicators fed by sell-in beside the raw
JetStream consume rate.

1. Seeds ``--plans`` active account plans, each with ``--indicators`` indicators (the first fed
   by sell-in) of 24 monthly periods, every period measured: plans, indicators and their
   period rows are bulk-inserted into a freshly migrated database (10,000 x 10 x 24 is 2.4
   million period rows), with the account directory.
2. Status page: ``GET /v1/plans/{id}/status`` of random plans, open loop at ``--rate`` requests
   a second for ``--seconds``, against an actionplans process (uvicorn, consumer off): p50, p99.
3. Sell-in: ``--events`` ``sell_in.recorded`` events for the seeded accounts, published into a
   stream of its own. Raw JetStream consume rate: the stream read with an ordered consumer
   doing nothing. Then the service (in process, its durable consumer on) applies them — each
   a measurement, its period recomputed, a deviation followed, a ``measurement.recorded`` in
   the outbox — and the rate is the events over the time until the consumer has applied the
   last one.
4. The floor, in the same run: the same events applied by the same platform (consumer, inbox,
   unit of work, outbox, relay, in one process started the same way) under a handler that does
   the least any handler of these events must — read the payload, write one event — and
   nothing of the indicators. What the service cannot go below with this platform.

Rates are given twice: over the whole run, the process's start included, and steady, from
the first batch applied to the last (what the consumer sustains once it runs).

    .venv/bin/python bench/actionplans.py [--plans 10000] [--indicators 10] [--events 10000]
        [--rate 20] [--seconds 30] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--keep NAME]

``--keep NAME`` (with ``--postgres``) uses the database NAME, seeding it only if it holds no
plans yet, and leaves it in place for the next run: seeding 10,000 plans takes minutes. What
an earlier run's sell-in left (measurements, deviations, outbox and inbox rows) is deleted
before the sell-in phase: the events of every run are the same (same accounts, months and
units, stream sequences from 1), so against a previous run's measurements they would all be
recognised as already applied and change nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from fastapi import FastAPI
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import make_url

from tread_actionplans import MIGRATIONS_DIR
from tread_actionplans.app import create_app
from tread_actionplans.deviations.models import CorrectiveAction, Deviation
from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.plans.models import Plan
from tread_actionplans.settings import Settings
from tread_reporting.rebuild.stream import StreamReader
from tread_shared.app import ServiceRuntime, create_service_app
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db.engine import Database
from tread_shared.db.migrations import upgrade
from tread_shared.db.platform_tables import inbox_events, outbox_events
from tread_shared.events.broker import ensure_streams
from tread_shared.events.consumer import ConsumerSpec
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import SellInLine, SellInRecorded
from tread_shared.events.payloads.actionplans import MeasurementRecorded, PeriodReading
from tread_shared.ids import new_id
from tread_shared.testing.nats_server import NatsServer
from tread_shared.testing.plugin import serve_in_process
from tread_shared.testing.processes import ServiceProcess

CHUNK = 5_000
TERRITORIES = [f"territory-{n:02d}" for n in range(20)]


def months(first: date, count: int) -> list[str]:
    index = first.year * 12 + first.month - 1
    return [f"{(index + n) // 12}-{(index + n) % 12 + 1:02d}" for n in range(count)]


async def seed(database_url: str, plans: int, indicators: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The plans (id, account id), bulk-inserted with their indicators and periods."""
    today = date.today()
    start = date(today.year - 1, 1, 1)
    periods = months(start, 24)
    now = datetime.now(UTC)
    db = Database(database_url)
    seeded: list[tuple[uuid.UUID, uuid.UUID]] = []
    rows: dict[Any, list[dict[str, Any]]] = {
        AccountDirectory.__table__: [],
        Plan.__table__: [],
        Indicator.__table__: [],
        IndicatorPeriod.__table__: [],
    }
    random_source = random.Random(7)

    async def flush(force: bool = False) -> None:
        # Every table in order (plans before their indicators before their periods).
        if not force and all(len(pending) < CHUNK for pending in rows.values()):
            return
        async with db.unit_of_work() as session:
            for table, pending in rows.items():
                if pending:
                    await session.execute(insert(table), pending)
                    pending.clear()

    try:
        for number in range(plans):
            account_id, plan_id = uuid.uuid4(), new_id()
            territory = TERRITORIES[number % len(TERRITORIES)]
            owner = f"am-{number % 200:03d}"
            rows[AccountDirectory.__table__].append(
                {
                    "account_id": account_id,
                    "version": 1,
                    "name": f"Dealer {number}",
                    "kind": "dealer",
                    "status": "active",
                    "territory": territory,
                    "owner_id": owner,
                    "key_account_manager_id": None,
                    "parent_id": None,
                    "segment": "truck_dealer",
                    "erp_customer_id": f"ERP-{number}",
                    "quadrant": None,
                    "deleted": False,
                    "updated_at": now,
                }
            )
            rows[Plan.__table__].append(
                {
                    "id": plan_id,
                    "created_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                    "version": 4,
                    "title": f"Development plan {number}",
                    "kind": "development",
                    "scope": "account",
                    "account_id": account_id,
                    "territory": territory,
                    "owner_id": owner,
                    "stakeholders": [],
                    "budget_lines": [
                        {
                            "category": "training",
                            "planned": {"amount": "5000.00", "currency": "CNY"},
                        }
                    ],
                    "start_date": start,
                    "end_date": date(start.year + 1, 12, 31),
                    "reaudit_on": None,
                    "contract_id": None,
                    "audit_id": None,
                    "origin": "user",
                    "status": "active",
                    "rejection_reason": None,
                    "created_by": owner,
                    "submitted_by": owner,
                    "submitted_at": now,
                    "approved_by": "dm",
                    "approved_at": now,
                    "activated_at": now,
                    "closed_at": None,
                }
            )
            for position in range(indicators):
                indicator_id = new_id()
                sell_in = position == 0
                rows[Indicator.__table__].append(
                    {
                        "id": indicator_id,
                        "created_at": now,
                        "updated_at": now,
                        "deleted_at": None,
                        "version": 1,
                        "plan_id": plan_id,
                        "account_id": account_id,
                        "code": f"IND{position}",
                        "name": f"Indicator {position}",
                        "unit": "units" if sell_in else "points",
                        "direction": "higher_is_better",
                        "granularity": "month",
                        "baseline": None,
                        "source": "sell_in" if sell_in else "manual",
                        "source_filter": "truck" if sell_in else None,
                        "aggregation": "sum",
                        "threshold_mode": "percent",
                        "warning": Decimal(10),
                        "critical": Decimal(25),
                        "targets": dict.fromkeys(periods, "100"),
                        "forecast": None,
                    }
                )
                for period in periods:
                    actual = Decimal(random_source.randint(60, 120))
                    status = "green" if actual >= 90 else "amber" if actual > 75 else "red"
                    rows[IndicatorPeriod.__table__].append(
                        {
                            "indicator_id": indicator_id,
                            "period": period,
                            "actual": actual,
                            "measurements": 1,
                            "status": status,
                            "updated_at": now,
                        }
                    )
            seeded.append((plan_id, account_id))
            await flush()
            if (number + 1) % 1000 == 0:
                print(f"  seeded {number + 1:,} plans", flush=True)
        await flush(force=True)
    finally:
        await db.dispose()
    return seeded


async def forget_sell_in(database_url: str) -> None:
    """Delete what an earlier run's events made (see the module's docstring), and the outbox
    rows left pending by the status-page process (its start, on a subject no stream here
    takes: the relay would retry it throughout the run)."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            for table in (
                CorrectiveAction.__table__,
                Deviation.__table__,
                Measurement.__table__,
                outbox_events,
                inbox_events,
            ):
                await session.execute(delete(table))
    finally:
        await db.dispose()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def status_page_latency(
    base_url: str, token: str, plan_ids: list[uuid.UUID], rate: float, seconds: float
) -> tuple[float, float, int]:
    """Open loop: a request every 1/rate s, whatever the answers' pace."""
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    failures = 0
    chooser = random.Random(11)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for plan_id in plan_ids[:20]:  # warm-up
            await client.get(f"/v1/plans/{plan_id}/status", headers=headers)

        async def one(plan_id: uuid.UUID) -> None:
            nonlocal failures
            started = time.perf_counter()
            response = await client.get(f"/v1/plans/{plan_id}/status", headers=headers)
            samples.append(time.perf_counter() - started)
            failures += response.status_code != 200

        tasks = []
        began = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(chooser.choice(plan_ids))))
        await asyncio.gather(*tasks)
    p50, p99 = percentiles(samples)
    return p50, p99, failures


async def publish_sell_in(settings: Settings, accounts: list[uuid.UUID], count: int) -> int:
    """``count`` sell-in events, one account after the other; the last stream sequence."""
    connection = await nats.connect(settings.nats_url)
    js = connection.jetstream()
    await ensure_streams(js, settings)
    periods = months(date(date.today().year - 1, 1, 1), 24)
    chooser = random.Random(13)
    last = 0
    pending = []
    for n in range(count):
        account_id = accounts[n % len(accounts)]
        payload = SellInRecorded(
            account_id=account_id,
            erp_customer_id=f"ERP-{n}",
            month=chooser.choice(periods),
            lines=[SellInLine(product_line="truck", units=chooser.randint(50, 150))],
            source_event_id=uuid.uuid4().hex,
        )
        event = CloudEvent(
            source="accounts",
            type=payload.event_type(),
            subject=str(account_id),
            data=payload.model_dump(mode="json"),
        )
        pending.append(
            js.publish(
                nats_subject_for(event.type, settings.nats_subject_root),
                event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": event.id},
            )
        )
        if len(pending) >= 500:
            last = max(ack.seq for ack in await asyncio.gather(*pending))
            pending.clear()
    if pending:
        last = max(ack.seq for ack in await asyncio.gather(*pending))
    await connection.close()
    return last


async def raw_consume_rate(settings: Settings, expected: int) -> tuple[float, float]:
    """Events a second, and this process's CPU seconds an event."""
    connection = await nats.connect(settings.nats_url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        received = 0
        async with StreamReader(
            connection.jetstream(), settings.nats_stream, f"{settings.nats_subject_root}.>"
        ) as reader:
            while received < expected:
                received += len(await reader.take(1000, wait_seconds=5.0))
        seconds = time.perf_counter() - started
        return received / seconds, (time.process_time() - cpu) / received
    finally:
        await connection.close()


@dataclass
class Rate:
    """Events a second and the process's CPU an event: over the whole run (the process's start
    included) and steady (from the first batch applied to the last)."""

    whole: float
    whole_cpu: float
    steady: float
    steady_cpu: float

    def describe(self, raw: float) -> str:
        return (
            f"{self.steady:,.0f} events/s steady ({self.steady / raw:.2f} of raw, "
            f"{self.steady_cpu * 1e6:.0f} us CPU an event); whole run {self.whole:,.0f} "
            f"events/s ({self.whole / raw:.2f}, {self.whole_cpu * 1e6:.0f} us)"
        )


async def apply_rate(app: FastAPI, first_seq: int, last_seq: int) -> Rate:
    """How fast ``app``'s consumer applies the stream's events ``first_seq``..``last_seq``,
    its relay publishing what they made meanwhile: on a machine shared with other work the
    rate follows the load, the CPU far less."""
    count = last_seq - first_seq + 1
    started, cpu = time.perf_counter(), time.process_time()
    async with serve_in_process(app):
        consumer = app.state.runtime.consumers[0]
        # The consumer exposes its progress, not an event to wait on: poll it.
        while consumer.last_stream_seq < first_seq:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        first_at, first_cpu = time.perf_counter(), time.process_time()
        first_done = consumer.last_stream_seq - first_seq + 1
        while consumer.last_stream_seq < last_seq:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        ended, used = time.perf_counter(), time.process_time()
    steady = count - first_done
    return Rate(
        whole=count / (ended - started),
        whole_cpu=(used - cpu) / count,
        steady=steady / (ended - first_at),
        steady_cpu=(used - first_cpu) / steady,
    )


def floor_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    """The least a handler of sell-in must do: read each event's payload and write one event
    (here a ``measurement.recorded`` of its first line), in the consumer's transaction."""
    outbox = runtime.outbox

    async def apply(session: Any, events: Any) -> None:
        announced = []
        for event, _ in events:
            payload = SellInRecorded.model_validate(event.data)
            units = Decimal(payload.lines[0].units)
            recorded = MeasurementRecorded(
                measurement_id=new_id(),
                indicator_id=payload.account_id,
                indicator_code="SELLIN",
                plan_id=payload.account_id,
                account_id=payload.account_id,
                territory=None,
                owner_id=None,
                change="created",
                period=payload.month,
                value=units,
                source="sell_in",
                source_event_id=event.id,
                reading=PeriodReading(
                    period=payload.month, actual=units, target=None, gap=None, status=None
                ),
            )
            announced.append((recorded, str(payload.account_id)))
        await outbox.add_many(session, announced)

    return ConsumerSpec(
        durable="bench-floor",
        subjects=["accounts.>"],
        handlers={},
        batch_handlers={SellInRecorded.event_type(): apply},
    )


def create_postgres_database(server: str, keep: str | None = None) -> str:
    name = keep or f"tread_bench_actionplans_{uuid.uuid4().hex[:8]}"
    url = make_url(server)

    async def create() -> None:
        connection = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return url.set(database=name).render_as_string(hide_password=False)


def vacuum_analyze(database_url: str) -> None:
    url = make_url(database_url).set(drivername="postgresql")

    async def run() -> None:
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    asyncio.run(run())


def drop_postgres_database(database_url: str) -> None:
    url = make_url(database_url)

    async def drop() -> None:
        connection = await asyncpg.connect(
            url.set(drivername="postgresql", database="postgres").render_as_string(
                hide_password=False
            )
        )
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


async def seeded_plans(database_url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The plans (id, account id) a kept database holds already."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            rows = await session.execute(select(Plan.id, Plan.account_id).order_by(Plan.id))
            return [(plan, account) for plan, account in rows if account is not None]
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--postgres", help="an admin URL; a scratch database is created")
    parser.add_argument("--nats", help="a NATS server with JetStream (default: one of its own)")
    parser.add_argument("--keep", help="with --postgres: this database, seeded once and kept")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tread-bench-actionplans-"))
    private, public = generate_key_pair()
    server = None
    if args.nats:
        nats_url = args.nats
    else:
        server = NatsServer(workdir / "nats")
        server.start()
        nats_url = server.url
    database_url = (
        create_postgres_database(args.postgres, args.keep)
        if args.postgres
        else f"sqlite+aiosqlite:///{workdir / 'actionplans.db'}"
    )
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.plans:,} plans x "
        f"{args.indicators} indicators x 24 periods",
        flush=True,
    )
    try:
        upgrade(MIGRATIONS_DIR, database_url, "actionplans")
        seeded = asyncio.run(seeded_plans(database_url)) if args.keep else []
        if seeded:
            print(f"reusing {len(seeded):,} seeded plans in {args.keep}", flush=True)
        else:
            started = time.perf_counter()
            seeded = asyncio.run(seed(database_url, args.plans, args.indicators))
            print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
            if args.postgres:
                # What autovacuum does after a bulk load, done now: planner statistics (an
                # unanalysed table made the indicators' lookup scan every plan) and the
                # visibility map (index-only scans).
                vacuum_analyze(database_url)

        process = ServiceProcess(
            "tread_actionplans",
            {
                "ACTIONPLANS_DATABASE_URL": database_url,
                "ACTIONPLANS_EVENTS_ENABLED": "false",
                "ACTIONPLANS_SCHEDULE_ENABLED": "false",
                "ACTIONPLANS_JWT_PUBLIC_KEY": public,
                "ACTIONPLANS_LOG_LEVEL": "WARNING",
            },
            workdir / "actionplans.log",
        )
        process.start(wait_ready=False, timeout=180)
        try:
            token = mint_token(private, sub="central-1", roles=["central"])
            p50, p99, failures = asyncio.run(
                status_page_latency(
                    process.base_url, token, [p for p, _ in seeded], args.rate, args.seconds
                )
            )
        finally:
            process.stop()
        print(
            f"status page at {args.rate:g}/s for {args.seconds:g} s: p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms ({failures} not 200)",
            flush=True,
        )

        suffix = uuid.uuid4().hex[:8]
        settings = Settings(
            database_url=database_url,
            nats_url=nats_url,
            nats_stream=f"BENCHACTIONPLANS{suffix.upper()}",
            nats_subject_root=f"benchactionplans{suffix}",
            schedule_enabled=False,
            jwt_public_key=public,
            log_level="WARNING",
        )
        asyncio.run(forget_sell_in(database_url))
        last_seq = asyncio.run(publish_sell_in(settings, [a for _, a in seeded], args.events))
        first_seq = last_seq - args.events + 1
        raw, raw_cpu = asyncio.run(raw_consume_rate(settings, args.events))
        print(
            f"raw JetStream consume: {raw:,.0f} events/s ({raw_cpu * 1e6:.0f} us CPU an event)",
            flush=True,
        )
        floor_app = create_service_app(settings, title="floor", consumers=[floor_consumer])
        floor = asyncio.run(apply_rate(floor_app, first_seq, last_seq))
        print(f"floor (platform, trivial handler): {floor.describe(raw)}", flush=True)
        asyncio.run(forget_sell_in(database_url))  # the floor's outbox and inbox rows
        applied = asyncio.run(apply_rate(create_app(settings), first_seq, last_seq))
        print(f"sell-in applied to indicators: {applied.describe(raw)}", flush=True)
        print(
            f"sell-in steady against the floor: {applied.steady / floor.steady:.2f} of its "
            f"rate, {applied.steady_cpu / floor.steady_cpu:.2f}x its CPU an event",
            flush=True,
        )
    finally:
        if server is not None:
            server.stop()
        if args.postgres and not args.keep:
            drop_postgres_database(database_url)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")


if __name__ == "__main__":
    main()
