"""Accounts' read path in process: CPU per request of ``GET /v1/accounts/{id}`` and of the list
page, the app called straight through ASGI (no server, no client, no network), for A/B of
changes to the request path on a machine others share.

Builds the accounts app on a fresh migrated PostgreSQL database (events off, JSON access log
to /dev/null as a service writes it to stderr), creates ``--accounts`` accounts in one territory
through the API, then runs ``--rounds`` rounds of ``--requests`` GETs by id (each with its
owner's token) and ``--requests / 10`` list pages (50 a page, the territory's district manager),
``--concurrency`` at a time, and prints the process CPU time per request of each round and the
median. ``--profile FILE`` writes a cProfile of the GETs instead.

    .venv/bin/python bench/read_path.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--accounts 200] [--requests 2000] [--rounds 5] [--concurrency 10] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from tread_accounts import MIGRATIONS_DIR
from tread_accounts.app import create_app
from tread_accounts.settings import Settings
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db import reading
from tread_shared.testing.databases import PostgresDatabases

TERRITORY = "territory-00"


class Answer:
    def __init__(self) -> None:
        self.status = 0
        self.body = b""


@contextlib.contextmanager
def core_reads_only(on: bool) -> Iterator[None]:
    """While ``on``, ``Reader`` runs every statement through SQLAlchemy Core, as before the
    driver path (``tread_shared.db.prepared``): for A/B rounds in one process."""
    if not on:
        yield
        return
    kept = reading.driver_read

    async def through_core(*_args: Any) -> None:
        return None

    reading.driver_read = through_core  # type: ignore[assignment]
    try:
        yield
    finally:
        reading.driver_read = kept


def asgi_get(app: Any, path: str, query: str, token: str) -> Callable[[], Awaitable[Answer]]:
    headers = [
        (b"host", b"bench"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"accept", b"application/json"),
    ]

    async def call() -> Answer:
        answer = Answer()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": headers,
            "client": ("127.0.0.1", 1234),
            "server": ("bench", 80),
            "state": {},
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")

        await app(scope, receive, send)
        return answer

    return call


async def run_batch(calls: list[Callable[[], Awaitable[Answer]]], concurrency: int) -> float:
    queue = list(calls)
    cpu = time.process_time()

    async def worker() -> None:
        while queue:
            answer = await queue.pop()()
            if answer.status != 200:
                raise RuntimeError(f"{answer.status}: {answer.body[:300]!r}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - cpu) / len(calls) * 1000


async def main(args: argparse.Namespace) -> None:
    private_pem, public_pem = generate_key_pair()
    databases = PostgresDatabases(args.postgres)
    url = databases.create("accounts", MIGRATIONS_DIR)
    try:
        settings = Settings(
            database_url=url,
            jwt_public_key=public_pem,
            events_enabled=False,
            schedule_enabled=False,
            log_json=True,
        )
        app = create_app(settings)
        # What a service writes to stderr, without filling the terminal.
        root = logging.getLogger()
        sink = open(os.devnull, "w")  # noqa: SIM115, ASYNC230 - once, for the process's life
        for handler in root.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sink)

        def token(role: str, sub: str) -> str:
            return mint_token(private_pem, sub=sub, roles=[role], territories=[TERRITORY], name=sub)

        admin = token("admin", "admin-1")
        async with app.router.lifespan_context(app):
            import httpx

            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                accounts = []
                for n in range(args.accounts):
                    owner = f"am-{n % 20:02d}"
                    created = await client.post(
                        "/v1/accounts",
                        json={
                            "kind": "dealer",
                            "name": f"Dealer {n}",
                            "territory": TERRITORY,
                            "owner_id": owner,
                            "status": "active",
                            "segment": "truck",
                            "channels": ["retail"],
                            "addresses": [
                                {"line1": f"{n} Ring Road", "city": "Jinan", "country": "CN"}
                            ],
                        },
                        headers={"Authorization": f"Bearer {admin}"},
                    )
                    assert created.status_code == 201, created.text
                    accounts.append((created.json()["id"], owner))
            owner_tokens = {owner: token("account_manager", owner) for _, owner in accounts}
            manager = token("district_manager", "ddm-1")
            rng = random.Random(7)
            gets = [
                asgi_get(app, f"/v1/accounts/{account_id}", "", owner_tokens[owner])
                for account_id, owner in (rng.choice(accounts) for _ in range(args.requests))
            ]
            pages = [
                asgi_get(
                    app, "/v1/accounts", f"territory={TERRITORY}&status=active&limit=50", manager
                )
                for _ in range(max(1, args.requests // 10))
            ]
            sample = await gets[0]()
            page = await pages[0]()
            assert len(json.loads(page.body)["items"]) == min(50, args.accounts), page.body[:200]
            print("GET body bytes:", len(sample.body), "page bytes:", len(page.body))
            await run_batch(gets[:200], args.concurrency)  # warm-up
            await run_batch(pages[:20], args.concurrency)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                await run_batch(gets if args.profile_what == "get" else pages, args.concurrency)
                profiler.disable()
                profiler.dump_stats(args.profile)
                print("profile written to", args.profile)
                return
            get_ms, page_ms = [], []
            core_get_ms, core_page_ms = [], []
            for n in range(args.rounds):
                for path in ("core", "driver") if args.compare_core else ("as is",):
                    with core_reads_only(path == "core"):
                        get = await run_batch(gets, args.concurrency) if args.gets else 0.0
                        page = await run_batch(pages, args.concurrency) if args.pages else 0.0
                    (core_get_ms if path == "core" else get_ms).append(get)
                    (core_page_ms if path == "core" else page_ms).append(page)
                    print(f"round {n + 1} ({path}): GET {get:.3f} ms CPU, page {page:.3f} ms CPU")
            if args.compare_core:
                print(
                    f"Core path: GET by id {statistics.median(core_get_ms):.3f} ms CPU/req "
                    f"(least {min(core_get_ms):.3f}), list page (50) "
                    f"{statistics.median(core_page_ms):.3f} (least {min(core_page_ms):.3f})"
                )
            # The least of the rounds is the one others' load disturbed least.
            print(
                f"GET by id {statistics.median(get_ms):.3f} ms CPU/req (least {min(get_ms):.3f}),"
                f" list page (50) {statistics.median(page_ms):.3f} (least {min(page_ms):.3f})"
            )
    finally:
        databases.drop(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--profile", help="write a cProfile of the GETs (or pages) to this file")
    parser.add_argument("--profile-what", choices=("get", "page"), default="get")
    parser.add_argument(
        "--only",
        choices=("get", "page"),
        help="run only GETs by id or only list pages (for a sampling profiler such as py-spy)",
    )
    parser.add_argument(
        "--compare-core",
        action="store_true",
        help="alternate rounds through SQLAlchemy Core (the path before the driver's) and as is",
    )
    arguments = parser.parse_args()
    arguments.gets = arguments.only in (None, "get")
    arguments.pages = arguments.only in (None, "page")
    asyncio.run(main(arguments))
