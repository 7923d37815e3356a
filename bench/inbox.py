"""Inbox push: one event fanned out to many open streams.

An inbox process (uvicorn, its consumer on, a fresh database, a NATS server and stream of its
own) and ``--streams`` open ``GET /v1/inbox/stream`` connections, one per central user, read by
this process over plain sockets. Then ``--events`` times: an ``argument.submitted`` event is
published (an item every central user gets) and the time from the publish to its ``item``
event on each stream is taken; per event the first, the median and the last stream, and over the
events the p99 of "to the last stream" (the target: < 1 s for 1,000 streams). The process's CPU
over the run is printed beside the machine's load average, which this shared box makes matter.
With ``--gateway`` the streams go through Caddy configured as ``tread up`` has it.

    .venv/bin/python bench/inbox.py [--streams 1000] [--events 10] [--gap 2]
        [--history 10000] [--gateway]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nats
from sqlalchemy import insert, update

from tread_cli.gateway import ROUTES, local_config, render_caddyfile
from tread_cli.processes import wheel_binary
from tread_inbox import MIGRATIONS_DIR
from tread_inbox.items.models import InboxItem
from tread_inbox.stream.models import ChangeCounter
from tread_inbox.stream.repository import ITEMS
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.migrations import upgrade
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.market_intel import ArgumentState, ArgumentSubmitted
from tread_shared.ids import new_id
from tread_shared.testing.nats_server import NatsServer, free_port
from tread_shared.testing.processes import ServiceProcess

sys.path.insert(0, str(Path(__file__).parent))
from actionplans import create_postgres_database, drop_postgres_database


async def seed_history(database_url: str, changes: int) -> None:
    """``changes`` earlier item changes, for nobody of the bench: a process that has run a
    while holds that many in its buffer of recent changes."""
    db = Database(database_url)
    now = utcnow()
    try:
        async with db.unit_of_work() as session:
            rows = [
                {
                    "id": new_id(),
                    "key": f"history:{n}",
                    "kind": "digest_issued",
                    "category": "alert",
                    "title": "An earlier digest",
                    "reason": "You subscribed to it",
                    "resource_type": "digest",
                    "resource_id": str(n),
                    "resource_url": f"/v1/digests/{n}",
                    "recipient_id": "someone-else",
                    "for_account_manager": False,
                    "for_key_account_manager": False,
                    "for_district_manager": False,
                    "for_central": False,
                    "since": now,
                    "position": n + 1,
                    "updated_at": now,
                }
                for n in range(changes)
            ]
            for start in range(0, len(rows), 5000):
                await session.execute(insert(InboxItem), rows[start : start + 5000])
            await session.execute(
                update(ChangeCounter).where(ChangeCounter.name == ITEMS).values(position=changes)
            )
    finally:
        await db.dispose()


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Stream:
    """One open SSE connection: when each item id arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.opened = asyncio.Event()
        self.changed = asyncio.Event()

    async def run(self, port: int, token: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                "GET /v1/inbox/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        resource = ""
        try:
            while line := await reader.readline():
                if line.startswith(b": open"):
                    self.opened.set()
                elif line.startswith(b"data: "):
                    # The argument's id is in the item's resource URL.
                    text = line.decode()
                    start = text.find("/v1/arguments/")
                    if start >= 0:
                        resource = text[start + 14 : start + 50]
                        self.arrivals[resource] = time.perf_counter()
                        self.changed.set()
        finally:
            writer.close()


async def publish(js: object, root: str) -> tuple[str, float]:
    argument = ArgumentState(
        argument_id=uuid.uuid4(),
        argument_version=1,
        product_code="TR-315/80R22.5-XMD",
        usage_type="long_haul",
        segment="fleet",
        title="Lower cost per kilometre",
        claim="Two retreads per casing keep the cost per km 18 % below a budget tyre.",
        proof_points=[],
        sources=[],
    )
    payload = ArgumentSubmitted(argument=argument, submitted_by="dm-1", submitted_at=utcnow())
    event = CloudEvent(
        source="market-intel",
        type=payload.event_type(),
        subject=str(argument.argument_id),
        data=payload.model_dump(mode="json"),
    )
    sent = time.perf_counter()
    await js.publish(  # type: ignore[attr-defined]
        nats_subject_for(event.type, root),
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.id},
    )
    return str(argument.argument_id), sent


async def fan_out(
    port: int, nats_url: str, root: str, tokens: list[str], events: int, gap: float
) -> list[list[float]]:
    streams = [Stream() for _ in tokens]
    readers = []
    for stream, token in zip(streams, tokens, strict=True):
        readers.append(asyncio.create_task(stream.run(port, token)))
        if len(readers) % 100 == 0:
            await asyncio.sleep(0.05)  # not 1,000 handshakes in one burst
    await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in streams)), 120)
    print(f"{len(streams):,} streams open", flush=True)
    connection = await nats.connect(nats_url)
    js = connection.jetstream()
    delays: list[list[float]] = []
    try:
        for _ in range(events):
            await asyncio.sleep(gap)
            argument_id, sent = await publish(js, root)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if all(argument_id in s.arrivals for s in streams):
                    break
                await asyncio.sleep(0.01)
            got = sorted(
                s.arrivals[argument_id] - sent for s in streams if argument_id in s.arrivals
            )
            missing = len(streams) - len(got)
            delays.append(got)
            print(
                f"  event: first {got[0] * 1000:.0f} ms, median"
                f" {statistics.median(got) * 1000:.0f} ms, last {got[-1] * 1000:.0f} ms"
                + (f", {missing} streams never got it" if missing else ""),
                flush=True,
            )
    finally:
        await connection.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between events")
    parser.add_argument(
        "--history", type=int, default=10_000, help="earlier item changes (the buffer is full)"
    )
    parser.add_argument("--postgres", help="an admin URL; a scratch database is created")
    parser.add_argument(
        "--gateway", action="store_true", help="the streams through Caddy, as tread up has it"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tread-bench-inbox-"))
    private, public = generate_key_pair()
    server = NatsServer(workdir / "nats")
    server.start()
    suffix = uuid.uuid4().hex[:8]
    stream_name, root = f"BENCHINBOX{suffix.upper()}", f"benchinbox{suffix}"
    database_url = (
        create_postgres_database(args.postgres)
        if args.postgres
        else f"sqlite+aiosqlite:///{workdir / 'inbox.db'}"
    )
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" database: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.streams:,} streams"
        f"{' through the gateway' if args.gateway else ''},"
        f" {args.history:,} earlier changes",
        flush=True,
    )
    try:
        upgrade(MIGRATIONS_DIR, database_url, "inbox")
        asyncio.run(seed_history(database_url, args.history))
        process = ServiceProcess(
            "tread_inbox",
            {
                "INBOX_DATABASE_URL": database_url,
                "INBOX_NATS_URL": server.url,
                "INBOX_NATS_STREAM": stream_name,
                "INBOX_NATS_SUBJECT_ROOT": root,
                "INBOX_SCHEDULE_ENABLED": "false",
                "INBOX_JWT_PUBLIC_KEY": public,
                "INBOX_LOG_LEVEL": "WARNING",
            },
            workdir / "inbox.log",
        )
        process.start(timeout=180)
        port = process.port
        gateway = None
        if args.gateway:
            port = free_port()
            caddyfile = workdir / "Caddyfile"
            upstreams = {name: process.port for name in ROUTES}
            caddyfile.write_text(render_caddyfile(local_config(port, upstreams)))
            gateway = subprocess.Popen(
                [
                    wheel_binary("caddy"),
                    "run",
                    "--config",
                    str(caddyfile),
                    "--adapter",
                    "caddyfile",
                ],
                env={**os.environ, "XDG_DATA_HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir)},
                stdout=(workdir / "gateway.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
            time.sleep(2)
        tokens = [
            mint_token(private, sub=f"central-{n:04d}", roles=["central"])
            for n in range(args.streams)
        ]
        assert process.process is not None
        pid = process.process.pid
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        try:
            delays = asyncio.run(fan_out(port, server.url, root, tokens, args.events, args.gap))
        finally:
            cpu = cpu_seconds(pid) - cpu_before
            gateway_cpu = cpu_seconds(gateway.pid) if gateway is not None else 0.0
            if gateway is not None:
                gateway.terminate()
                gateway.wait(timeout=15)
            process.stop()
        wall = time.perf_counter() - started
        lasts = sorted(d[-1] for d in delays if d)
        p99 = lasts[min(len(lasts) - 1, round(0.99 * (len(lasts) - 1)))]
        everything = sorted(x for d in delays for x in d)
        print(
            f"one event to {args.streams:,} streams, {len(lasts)} events: to the last stream"
            f" median {statistics.median(lasts) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms;"
            f" every delivery median {statistics.median(everything) * 1000:.0f} ms",
            flush=True,
        )
        print(
            f"inbox process CPU {cpu:.1f} s"
            + (f", gateway {gateway_cpu:.1f} s" if args.gateway else "")
            + f" over {wall:.0f} s; load average"
            f" {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    finally:
        server.stop()
        if args.postgres:
            drop_postgres_database(database_url)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")


if __name__ == "__main__":
    main()
