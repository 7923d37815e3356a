"""Market intel: price positioning over a million observations, and a 50,000-product import.

1. Seeds ``--products`` products with a default list price and ``--observations`` competitor
   prices (``--territories`` territories, 5 competitors, 24 months, 2 % outliers) by bulk
   insert into a freshly migrated database.
2. Positioning: ``GET /v1/price-positioning`` for one product and territory over 24 months,
   random pairs, open loop at ``--rate`` requests a second for ``--seconds``, against a
   market-intel process (uvicorn, events off): p50, p99. Target: p99 < 100 ms at 20/s.
3. Import: a CSV of ``--import-rows`` new products, each with its price, sent to
   ``POST /v1/products/imports`` as central office, timed. Target: 50,000 in < 30 s.

    .venv/bin/python bench/market_intel.py [--observations 1000000] [--products 50]
        [--territories 10] [--rate 20] [--seconds 30] [--import-rows 50000]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--keep NAME]

``--keep NAME`` (with ``--postgres``) uses the database NAME, seeding it only if it holds no
bench products yet, and leaves it in place for the next run (each run imports new codes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import asyncpg
import httpx
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import make_url

from tread_market_intel import MIGRATIONS_DIR
from tread_market_intel.observations.models import Observation
from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db.engine import Database
from tread_shared.db.migrations import upgrade
from tread_shared.ids import new_id
from tread_shared.testing.processes import ServiceProcess

COMPETITORS = ("Rival", "Cheapo", "Roadmax", "Duratread", "Northstar")
CHUNK = 20_000
SPEC = {"width": 315, "aspect_ratio": 80, "rim": "22.5"}


def code_of(number: int) -> str:
    return f"TR-BENCH-{number:05d}"


async def seed(
    database_url: str, products: int, territories: int, observations: int
) -> tuple[list[str], list[str], date]:
    db = Database(database_url)
    now = datetime.now(UTC)
    start = (now - timedelta(days=730)).date().replace(day=1)
    codes = [code_of(n) for n in range(products)]
    places = [f"territory-{n:02d}" for n in range(territories)]
    chooser = random.Random(7)
    try:
        async with db.unit_of_work() as session:
            rows = []
            prices = []
            for code in codes:
                product_id = new_id()
                rows.append(
                    {
                        "id": product_id,
                        "code": code,
                        "kind": "tyre",
                        "brand": "Tread",
                        "range": "Bench",
                        "name": code,
                        "spec": SPEC,
                        "usage_types": ["long_haul"],
                        "status": "active",
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                )
                prices.append(
                    {
                        "id": new_id(),
                        "product_id": product_id,
                        "territory": DEFAULT_TERRITORY,
                        "currency": "CNY",
                        "amount": Decimal("2000.00"),
                        "valid_from": start,
                        "valid_to": None,
                        "changed_by": "bench",
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                )
            await session.execute(insert(cast(Table, Product.__table__)), rows)
            await session.execute(insert(cast(Table, PriceEntry.__table__)), prices)
        span = (now - datetime.combine(start, datetime.min.time(), UTC)).total_seconds()
        done = 0
        while done < observations:
            batch = []
            for _ in range(min(CHUNK, observations - done)):
                outlier = chooser.random() < 0.02
                amount = Decimal(chooser.randint(1700, 2300)) * (5 if outlier else 1)
                batch.append(
                    {
                        "id": new_id(),
                        "kind": "competitor_price",
                        "territory": chooser.choice(places),
                        "product_code": chooser.choice(codes),
                        "competitor": chooser.choice(COMPETITORS),
                        "price_amount": amount,
                        "currency": "CNY",
                        "unit": "piece",
                        "conditions": {},
                        "confidence": "high",
                        "observed_at": now - timedelta(seconds=chooser.random() * span),
                        "outlier": outlier,
                        "recorded_by": "bench",
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                )
            async with db.unit_of_work() as session:
                await session.execute(insert(cast(Table, Observation.__table__)), batch)
            done += len(batch)
            if done % 200_000 == 0:
                print(f"  seeded {done:,} observations", flush=True)
    finally:
        await db.dispose()
    return codes, places, start


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def positioning_latency(
    base_url: str,
    token: str,
    pairs: list[tuple[str, str]],
    start: date,
    rate: float,
    seconds: float,
) -> tuple[float, float, int, int]:
    """Open loop: a request every 1/rate s, whatever the answers' pace."""
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    failures = 0
    counted = 0
    chooser = random.Random(11)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def one(product: str, territory: str) -> None:
            nonlocal failures, counted
            began = time.perf_counter()
            response = await client.get(
                "/v1/price-positioning",
                params={"product": product, "territory": territory, "from": start.isoformat()},
                headers=headers,
            )
            samples.append(time.perf_counter() - began)
            failures += response.status_code != 200
            if response.status_code == 200:
                counted = max(counted, sum(m["observations"] for m in response.json()["months"]))

        for product, territory in pairs[:10]:  # warm-up
            await one(product, territory)
        samples.clear()
        tasks = []
        began = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(*chooser.choice(pairs))))
        await asyncio.gather(*tasks)
    p50, p99 = percentiles(samples)
    return p50, p99, failures, counted


def catalogue_csv(rows: int, run: str = "") -> bytes:
    header = (
        "code,kind,brand,range,name,width,aspect_ratio,rim,load_index,speed_index,usage_types,"
        "status,list_price,currency,territory,valid_from,valid_to\n"
    )
    lines = [
        f"TR-IMPORT{run}-{n:06d},tyre,Tread,Import,Import {n},315,80,22.5,156/150,L,long_haul,"
        f"active,{1500 + n % 900}.00,CNY,,2026-01-01,"
        for n in range(rows)
    ]
    return (header + "\n".join(lines) + "\n").encode()


async def import_time(base_url: str, token: str, rows: int) -> tuple[float, dict[str, int]]:
    content = catalogue_csv(rows, uuid.uuid4().hex[:6].upper())
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    async with httpx.AsyncClient(base_url=base_url, timeout=600) as client:
        began = time.perf_counter()
        response = await client.post("/v1/products/imports", content=content, headers=headers)
        elapsed = time.perf_counter() - began
    assert response.status_code == 201, response.text[:500]
    report = response.json()
    return elapsed, {k: report[k] for k in ("applied_rows", "products_created", "prices_set")}


def create_postgres_database(server: str, keep: str | None = None) -> str:
    name = keep or f"tread_bench_market_{uuid.uuid4().hex[:8]}"
    url = make_url(server)

    async def create() -> None:
        connection = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


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


async def already_seeded(database_url: str) -> bool:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            found = await session.scalar(select(Product.id).where(Product.range == "Bench"))
            return found is not None
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--territories", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--postgres", help="an admin URL; a scratch database is created")
    parser.add_argument("--keep", help="with --postgres: this database, seeded once and kept")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tread-bench-market-"))
    private, public = generate_key_pair()
    database_url = (
        create_postgres_database(args.postgres, args.keep)
        if args.postgres
        else f"sqlite+aiosqlite:///{workdir / 'market_intel.db'}"
    )
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.observations:,} "
        f"observations, {args.products} products x {args.territories} territories, 24 months",
        flush=True,
    )
    try:
        upgrade(MIGRATIONS_DIR, database_url, "market_intel")
        began = time.perf_counter()
        if args.keep and asyncio.run(already_seeded(database_url)):
            codes = [code_of(n) for n in range(args.products)]
            places = [f"territory-{n:02d}" for n in range(args.territories)]
            start = (datetime.now(UTC) - timedelta(days=730)).date().replace(day=1)
            print(f"reusing the seeded database {args.keep}", flush=True)
        else:
            codes, places, start = asyncio.run(
                seed(database_url, args.products, args.territories, args.observations)
            )
            print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)
            if args.postgres:
                # What autovacuum does after a bulk load, done now: planner statistics (an
                # unanalysed table made the indicators' lookup scan every plan) and the
                # visibility map (index-only scans).
                vacuum_analyze(database_url)
        process = ServiceProcess(
            "tread_market_intel",
            {
                "MARKET_INTEL_DATABASE_URL": database_url,
                "MARKET_INTEL_EVENTS_ENABLED": "false",
                "MARKET_INTEL_DIGEST_SCHEDULE_ENABLED": "false",
                "MARKET_INTEL_JWT_PUBLIC_KEY": public,
                "MARKET_INTEL_LOG_LEVEL": "WARNING",
                # A 50,000-row file is about 6 MB: the import's own cap (16 MiB) takes it.
            },
            workdir / "market_intel.log",
        )
        process.start(wait_ready=False, timeout=120)
        try:
            token = mint_token(private, sub="central-1", roles=["central"])
            pairs = [(code, place) for code in codes for place in places]
            p50, p99, failures, counted = asyncio.run(
                positioning_latency(process.base_url, token, pairs, start, args.rate, args.seconds)
            )
            print(
                f"positioning, one product x territory x 24 months (~{counted:,} prices) at "
                f"{args.rate:g}/s for {args.seconds:g} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                f"({failures} not 200)",
                flush=True,
            )
            elapsed, report = asyncio.run(import_time(process.base_url, token, args.import_rows))
            print(
                f"import of {args.import_rows:,} products with their prices: {elapsed:.1f} s "
                f"({report})",
                flush=True,
            )
        finally:
            process.stop()
    finally:
        if args.postgres and not args.keep:
            drop_postgres_database(database_url)


if __name__ == "__main__":
    main()
