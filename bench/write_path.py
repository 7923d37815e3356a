"""Accounts' write path in process: CPU per ``POST /v1/accounts`` with an ``Idempotency-Key``,
the relay's publishing of each event included, the app called straight through ASGI (no
server, no client), for A/B of changes to the write path on a machine others share.

Builds the accounts app on a fresh migrated database (PostgreSQL, or SQLite with
``--sqlite``), events on with a JetStream stream of its own on the NATS at ``--nats``, the JSON
access log to /dev/null as a service writes it to stderr. Each round POSTs ``--requests``
accounts (unique bodies and keys, ``--concurrency`` at a time), waits until the relay has
published every outbox row, and prints the process CPU time per write; then the median.
``py-spy record -- .venv/bin/python bench/write_path.py`` gives where it goes.

    .venv/bin/python bench/write_path.py [--sqlite] [--requests 1000] [--rounds 5]
        [--concurrency 10] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--nats nats://127.0.0.1:4222] [--no-key]

``--no-key`` sends the POSTs without an ``Idempotency-Key`` (what the key costs, or saves).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from tread_accounts import MIGRATIONS_DIR
from tread_accounts.app import create_app
from tread_accounts.settings import Settings
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import outbox_events
from tread_shared.testing.databases import PostgresDatabases, SqliteDatabases

TERRITORY = "territory-00"


def asgi_post(
    app: Any, path: str, body: bytes, token: str, key: str
) -> Callable[[], Awaitable[int]]:
    headers = [
        (b"host", b"bench"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if key:
        headers.append((b"idempotency-key", key.encode()))

    async def call() -> int:
        status = 0
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1234),
            "server": ("bench", 80),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return call


async def drained(db: Database) -> None:
    while True:
        async with db.reading() as connection:
            pending = await connection.scalar(
                select(func.count())
                .select_from(outbox_events)
                .where(outbox_events.c.state == "pending")
            )
        if not pending:
            return
        await asyncio.sleep(0.01)


async def run_round(
    calls: list[Callable[[], Awaitable[int]]], concurrency: int, db: Database
) -> float:
    queue = list(calls)
    cpu = time.process_time()

    async def worker() -> None:
        while queue:
            status = await queue.pop()()
            if status != 201:
                raise RuntimeError(f"POST answered {status}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await drained(db)
    return (time.process_time() - cpu) / len(calls) * 1000


async def main(args: argparse.Namespace) -> None:
    private_pem, public_pem = generate_key_pair()
    folder = Path(tempfile.mkdtemp(prefix="tread-write-path-"))
    databases: SqliteDatabases | PostgresDatabases = (
        SqliteDatabases(folder) if args.sqlite else PostgresDatabases(args.postgres)
    )
    url = databases.create("accounts", MIGRATIONS_DIR)
    suffix = uuid.uuid4().hex[:8]
    stream = f"WRITEPATH{suffix.upper()}"
    try:
        settings = Settings(
            database_url=url,
            jwt_public_key=public_pem,
            nats_url=args.nats,
            nats_stream=stream,
            nats_subject_root=f"writepath{suffix}",
            schedule_enabled=False,
            log_json=True,
        )
        app = create_app(settings)
        root = logging.getLogger()
        sink = open(os.devnull, "w")  # noqa: SIM115, ASYNC230 - once, for the process's life
        for handler in root.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sink)
        token = mint_token(
            private_pem, sub="am-01", roles=["account_manager"], territories=[TERRITORY]
        )
        async with app.router.lifespan_context(app):
            db: Database = app.state.db

            def calls(tag: str, count: int) -> list[Callable[[], Awaitable[int]]]:
                return [
                    asgi_post(
                        app,
                        "/v1/accounts",
                        (
                            f'{{"kind":"dealer","name":"Dealer {tag}-{n}",'
                            f'"territory":"{TERRITORY}",'
                            '"status":"active","segment":"fleet","channels":["retail"]}'
                        ).encode(),
                        token,
                        "" if args.no_key else f"{tag}-{n}",
                    )
                    for n in range(count)
                ]

            await run_round(calls("warm", 200), args.concurrency, db)
            cpu_ms = []
            for n in range(args.rounds):
                cpu_ms.append(await run_round(calls(f"r{n}", args.requests), args.concurrency, db))
                print(f"round {n + 1}: {cpu_ms[-1]:.3f} ms CPU a write", flush=True)
            backend = "SQLite" if args.sqlite else "PostgreSQL"
            print(
                f"POST /v1/accounts {'without' if args.no_key else 'with'} a key, relay included:"
                f" {statistics.median(cpu_ms):.3f} ms"
                f" CPU a write (least {min(cpu_ms):.3f}), {backend}"
            )
    finally:
        databases.drop(url)
        await drop_streams(args.nats, stream)


async def drop_streams(nats_url: str, stream: str) -> None:
    """The bench's streams, off the shared NATS."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        for name in (stream, f"{stream}_DEADLETTER"):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)
    finally:
        await connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--no-key", action="store_true", help="POSTs without an Idempotency-Key")
    asyncio.run(main(parser.parse_args()))
