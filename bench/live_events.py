"""A consumer applying account events live: CPU per event of one service's consumer, in process.

The accounts service publishes each keyed write's event as it commits, so a consumer that keeps
up applies them one or two at a time, a transaction each. This bench plays that on PostgreSQL
and the NATS at 127.0.0.1:4222: a publisher process sends ``--events`` account events
(creations, and reassignments of accounts created earlier) at ``--rate`` a second, ``--burst``
at a time, into a stream of its own; this process runs the service's real consumer
(``EventConsumer`` with the service's ``ConsumerSpec``) on a freshly migrated database and
counts its own CPU (``time.process_time``) from the ``--warmup``-th event applied (statements
compiled, mappers configured, caches filled) to the last one. The publisher's CPU is not
counted.

    .venv/bin/python bench/live_events.py [--service market-intel] [--events 3000]
        [--rate 300] [--burst 1] [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Run it with another checkout's ``PYTHONPATH`` to compare two versions (alternate them)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from resource import RUSAGE_SELF
from types import SimpleNamespace
from typing import Any

import asyncpg
import nats
import uvloop
from sqlalchemy.engine import make_url

import tread_shared
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.migrations import upgrade
from tread_shared.events.broker import Broker, dead_letter_stream
from tread_shared.events.consumer import ConsumerSpec, EventConsumer
from tread_shared.events.envelope import nats_subject_for
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import (
    AccountCreated,
    AccountDirectoryEntry,
    AccountReassigned,
)
from tread_shared.garbage_collection import collect_less_often
from tread_shared.settings import ServiceSettings
from tread_shared.testing.event_feed import account_event

# The consumer of account events of each service: (package, module, spec builder).
CONSUMERS = {
    "market-intel": (
        "tread_market_intel",
        "tread_market_intel.directory.events",
        "accounts_consumer",
    ),
    "contracts": ("tread_contracts", "tread_contracts.directory.events", "accounts_consumer"),
    "inbox": ("tread_inbox", "tread_inbox.directory.events", "events_consumer"),
    "actionplans": ("tread_actionplans", "tread_actionplans.consumer", "inputs_consumer"),
    "reporting": ("tread_reporting", "tread_reporting.consumer", "reporting_consumer"),
}


class BenchSettings(ServiceSettings):
    """The platform's settings alone: what the consumer under test reads (NATS, database)."""


def account_events(count: int) -> list[bytes]:
    """``count`` account events: every other one a new account, the others reassigning an
    account created before (its next version)."""
    entries: list[AccountDirectoryEntry] = []
    bodies: list[bytes] = []
    for number in range(count):
        if number % 2 == 0 or not entries:
            entry = AccountDirectoryEntry(
                account_id=uuid.uuid4(),
                version=1,
                name=f"Dealer {number}",
                kind="dealer",
                status="active",
                territory="north",
                owner_id="am-1",
                key_account_manager_id="kam-1",
                segment="truck_dealer",
                erp_customer_id=f"ERP-{number}",
                updated_at=utcnow(),
            )
            entries.append(entry)
            payload: Any = AccountCreated(account=entry)
        else:
            index = (number * 7919) % len(entries)
            held = entries[index]
            moved = held.model_copy(
                update={"owner_id": f"am-{number % 13}", "version": held.version + 1}
            )
            entries[index] = moved
            payload = AccountReassigned(
                account=moved,
                previous_owner_id=held.owner_id,
                reason="portfolio",
                reassigned_by="dm",
            )
        bodies.append(account_event(payload).model_dump_json().encode())
    return bodies


async def publish(nats_url: str, root: str, count: int, rate: float, burst: int) -> None:
    """Publish ``burst`` events, wait for the consumer to say it applied them (a line on
    stdin), then the next ``burst`` at the next tick of ``rate``: a consumer that keeps up."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    bodies = account_events(count)
    subjects = [nats_subject_for(json.loads(body)["type"], root) for body in bodies]
    start = time.monotonic()
    for sent in range(0, count, burst):
        wait = start + sent / rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        acks = [
            await js.publish_async(subject, body)
            for subject, body in zip(
                subjects[sent : sent + burst], bodies[sent : sent + burst], strict=True
            )
        ]
        await asyncio.gather(*acks)
        await asyncio.to_thread(sys.stdin.readline)
    await nc.close()


async def fresh_database(admin_url: str, name: str, migrations: Any, service: str) -> str:
    admin = make_url(admin_url)
    connection = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, database=admin.database
    )
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = admin.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, migrations, url, service)
    return url


async def drop_database(admin_url: str, name: str) -> None:
    admin = make_url(admin_url)
    connection = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, database=admin.database
    )
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def consume(args: argparse.Namespace) -> dict[str, Any]:
    package, module, builder = CONSUMERS[args.service]
    migrations = importlib.import_module(package).MIGRATIONS_DIR
    tag = uuid.uuid4().hex[:8]
    name = f"bench_live_{args.service.replace('-', '_')}_{tag}"
    url = await fresh_database(args.pg, name, migrations, args.service)
    settings = BenchSettings(
        service_name=args.service,
        database_url=url,
        nats_url=args.nats,
        nats_stream=f"LIVE_{tag}",
        nats_subject_root=f"live{tag}",
    )
    settings_class = importlib.import_module(f"{package}.settings").Settings
    runtime = SimpleNamespace(
        settings=settings_class(**settings.model_dump()),
        outbox=Outbox(settings.service_name, settings.nats_subject_root),
    )
    spec: ConsumerSpec = getattr(importlib.import_module(module), builder)(runtime)
    collect_less_often(settings.gc_gen0_threshold)
    db = Database(url)
    broker = Broker(settings)
    broker.start()
    js = await broker.wait_ready()
    consumer = EventConsumer(spec, db, broker, settings)
    batches = 0
    sizes: dict[int, int] = {}
    started: dict[str, Any] = {}
    handle_batch = consumer.handle_batch

    async def counted(messages: Any) -> None:
        nonlocal batches
        batches += 1
        sizes[min(len(messages), 4)] = sizes.get(min(len(messages), 4), 0) + 1
        await handle_batch(messages)
        done = consumer.applied + consumer.duplicates
        if not started and done >= args.warmup:  # compiled, cached, mapped: a live event's cost
            started.update(cpu=time.process_time(), usage=resource.getrusage(RUSAGE_SELF))
        if done % args.burst == 0 or done == args.events:
            assert publisher.stdin is not None
            publisher.stdin.write(b"applied\n")
            publisher.stdin.flush()

    consumer.handle_batch = counted  # type: ignore[method-assign]
    running = asyncio.create_task(consumer.run())
    await asyncio.sleep(1.0)
    publisher: Any = None
    publisher = subprocess.Popen(  # noqa: ASYNC220 - once, before measuring
        [
            sys.executable,
            __file__,
            "--role=publisher",
            f"--nats={args.nats}",
            f"--root={settings.nats_subject_root}",
            f"--events={args.events}",
            f"--rate={args.rate}",
            f"--burst={args.burst}",
        ],
        stdin=subprocess.PIPE,
    )
    wall = time.monotonic()
    while consumer.applied + consumer.duplicates < args.events:
        await asyncio.sleep(0.05)
        if time.monotonic() - wall > args.events / args.rate + 60:
            raise SystemExit(f"only {consumer.applied} of {args.events} applied")
    cpu, wall = time.process_time() - started["cpu"], time.monotonic() - wall
    after, usage = resource.getrusage(RUSAGE_SELF), started["usage"]
    measured = args.events - args.warmup
    publisher.wait()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    for stream in (settings.nats_stream, dead_letter_stream(settings)):
        await js.delete_stream(stream)
    await broker.close()
    await db.dispose()
    await drop_database(args.pg, name)
    return {
        "service": args.service,
        "events": args.events,
        "transactions": batches,
        "batch_sizes": dict(sorted(sizes.items())),  # 4: four or more
        "measured": measured,
        "cpu_us_per_event": round(cpu / measured * 1e6, 1),
        "user_us": round((after.ru_utime - usage.ru_utime) / measured * 1e6, 1),
        "sys_us": round((after.ru_stime - usage.ru_stime) / measured * 1e6, 1),
        "seconds": round(wall, 2),
        "pid": os.getpid(),
        "code": str(Path(tread_shared.__file__).parents[2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", default="consumer", choices=["consumer", "publisher"])
    parser.add_argument("--service", default="market-intel", choices=sorted(CONSUMERS))
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--burst", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=200, help="events applied before counting")
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--root", default="")
    args = parser.parse_args()
    if args.role == "publisher":
        uvloop.run(publish(args.nats, args.root, args.events, args.rate, args.burst))
        return
    print(json.dumps(uvloop.run(consume(args))), flush=True)


if __name__ == "__main__":
    main()
