"""One read of each other service against a raw endpoint running the same queries, with wrk.

Issue 12: each within 2x of a raw endpoint doing the same queries, measured in the same run.
The reads:

- contracts: ``GET /v1/contracts/{id}``, a contract with its signatures (account manager);
- reporting: ``GET /v1/reports/partnerships?territory=…&tier=…&limit=50``, a partnership page
  (central);
- actionplans: ``GET /v1/plans/{id}/status``, a plan status (central);
- market-intel: ``GET /v1/price-positioning?product=…&territory=…&from=…``, a price-positioning
  answer over 24 months (central).

For each service: a fresh migrated PostgreSQL database, seeded as the service's own bench does
(contracts through its API; reporting by replaying ``bench/reporting.py``'s history from a
stream of its own on the NATS at ``--nats``; plans and observations bulk-inserted by
``bench/actionplans.py`` and ``bench/market_intel.py``), then ``VACUUM ANALYZE``.

*The same queries*: the service app is called in process once for each of ``--sample``
requests while every SQL statement it sends is recorded with its parameters (SQLAlchemy's
``before_cursor_execute``: the very text and values asyncpg receives). The raw endpoint (this
file with ``--serve-raw``: uvicorn with uvloop and httptools, Starlette, an asyncpg pool of 10,
no token, no middleware) answers ``/raw/{n}`` by running request n's statements in order on one
pooled connection, outside a transaction, and rendering their rows with ``json.dumps``; a
second raw endpoint does the same on a bare FastAPI app (``n`` a typed path parameter): issue
12's own yardstick ("raw FastAPI + asyncpg"), beside the stronger Starlette one. The
service runs as it is deployed (``python -m tread_<service> serve``, events and schedules off,
one process), its JSON access log to a file.

wrk (``-t2 -c50``, ``--seconds`` a target after a 3 s warm-up, closed loop, random requests of
the sample through ``bench/wrk_requests.lua``) drives both raw endpoints and the service in turn,
``--rounds`` times (median kept); server CPU is the answering process's per request. Prints the
ratio table and each service's resident memory after its runs.

    .venv/bin/python bench/service_reads.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--only contracts,reporting,actionplans,market-intel] [--seconds 10] [--rounds 2]
        [--sample 200] [--nats nats://127.0.0.1:4222]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import platform
import random
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import accounts as accounts_bench
import actionplans as actionplans_bench
import asyncpg
import market_intel as market_bench
import reporting as reporting_bench
import uvicorn
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.clock import utcnow
from tread_shared.testing.databases import PostgresDatabases
from tread_shared.testing.nats_server import free_port
from tread_shared.testing.plugin import serve_in_process
from tread_shared.testing.processes import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent

Statements = list[tuple[str, tuple[Any, ...]]]


@dataclass
class Seeded:
    """A service's database, ready: the sample of request paths and the token they take."""

    paths: list[str]
    token: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class ServiceRead:
    service: str  # as in tread_<package> and the env prefix
    package: str
    env_prefix: str
    label: str
    seed: Callable[[str, str, argparse.Namespace], Awaitable[Seeded]]


# --- seeding --------------------------------------------------------------------------------


async def seed_contracts(url: str, private_pem: str, args: argparse.Namespace) -> Seeded:
    """Active contracts (drafted, submitted, signed by both parties) through the API."""
    from tread_contracts.app import create_app
    from tread_contracts.directory.models import AccountDirectory
    from tread_contracts.settings import Settings
    from tread_shared.directory.handlers import entry_row, upsert_entries
    from tread_shared.events.payloads.accounts import AccountDirectoryEntry

    _, public_pem = args.keys
    settings = Settings(
        database_url=url,
        events_enabled=False,
        schedule_enabled=False,
        jwt_public_key=public_pem,
        log_level="WARNING",
    )

    def bearer(sub: str, role: str) -> dict[str, str]:
        token = mint_token(private_pem, sub=sub, roles=[role], territories=["north"])
        return {"Authorization": f"Bearer {token}"}

    am, dm = bearer("am-1", "account_manager"), bearer("dm-1", "district_manager")
    central = bearer("central-1", "central")
    signature = {
        "signer_name": "S",
        "signer_role": "R",
        "method": "e-signature",
        "document_sha256": "a" * 64,
    }
    app = create_app(settings)
    paths = []
    async with serve_in_process(app) as client:
        account_ids = [uuid.uuid4() for _ in range(args.contracts)]
        async with app.state.db.unit_of_work() as session:
            for account_id in account_ids:
                entry = AccountDirectoryEntry(
                    account_id=account_id,
                    version=1,
                    name="Dealer",
                    kind="dealer",
                    status="active",
                    territory="north",
                    owner_id="am-1",
                    updated_at=utcnow(),
                )
                await upsert_entries(session, AccountDirectory, [entry_row(entry)])
        tier = {
            "code": "gold",
            "min_annual_volume": 5000,
            "min_scores": {"LP1": 70},
            "rebate_pct": "2.5",
            "facilitation_budget": {"amount": "10000", "currency": "CNY"},
        }
        program = await client.post(
            "/v1/programs", json={"name": "Bench", "tiers": [tier]}, headers=central
        )
        assert program.status_code == 201, program.text
        year = utcnow().year
        for account_id in account_ids:
            draft = await client.post(
                "/v1/contracts",
                json={
                    "account_id": str(account_id),
                    "program_id": program.json()["id"],
                    "tier": "gold",
                    "start_date": f"{year}-01-01",
                    "end_date": f"{year}-12-31",
                    "commitments": [{"kind": "volume", "period": str(year), "quantity": 6000}],
                },
                headers=am,
            )
            assert draft.status_code == 201, draft.text
            path = f"/v1/contracts/{draft.json()['id']}"
            for step, body, who in (
                ("submit", None, am),
                ("sign", {"party": "customer", **signature}, am),
                ("sign", {"party": "manufacturer", **signature}, dm),
            ):
                answer = await client.post(f"{path}/{step}", json=body, headers=who)
                assert answer.status_code < 300, answer.text
            paths.append(path)
    token = am["Authorization"].removeprefix("Bearer ")
    return Seeded(paths, token)


async def seed_reporting(url: str, private_pem: str, args: argparse.Namespace) -> Seeded:
    """``bench/reporting.py``'s history published to a stream of this run, replayed."""
    import nats

    from tread_reporting.settings import Settings
    from tread_shared.events.broker import ensure_streams

    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=url,
        nats_url=args.nats,
        nats_stream=f"READS{suffix.upper()}",
        nats_subject_root=f"reads{suffix}",
    )
    connection = await nats.connect(args.nats)
    js = connection.jetstream()
    try:
        await ensure_streams(js, settings)
        await reporting_bench.publish_history(js, settings, args.partnerships, 12)
        await reporting_bench.replay_rate(js, settings)
    finally:
        for stream in (settings.nats_stream, f"{settings.nats_stream}_DEADLETTER"):
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
        await connection.close()
    chooser = random.Random(5)
    paths = [
        f"/v1/reports/partnerships?territory={chooser.choice(reporting_bench.TERRITORIES)}&tier={chooser.choice(reporting_bench.TIERS)}&limit=50"
        for _ in range(args.sample)
    ]
    return Seeded(paths, mint_token(private_pem, sub="central-1", roles=["central"]))


async def seed_actionplans(url: str, private_pem: str, args: argparse.Namespace) -> Seeded:
    """``bench/actionplans.py``'s plans, 10 indicators x 24 periods each."""
    seeded = await actionplans_bench.seed(url, args.plans, 10)
    chooser = random.Random(5)
    paths = [f"/v1/plans/{chooser.choice(seeded)[0]}/status" for _ in range(args.sample)]
    return Seeded(paths, mint_token(private_pem, sub="central-1", roles=["central"]))


async def seed_market_intel(url: str, private_pem: str, args: argparse.Namespace) -> Seeded:
    """``bench/market_intel.py``'s products and competitor prices over 24 months."""
    codes, places, start = await market_bench.seed(url, 50, 10, args.observations)
    chooser = random.Random(5)
    paths = [
        f"/v1/price-positioning?product={chooser.choice(codes)}"
        f"&territory={chooser.choice(places)}&from={start.isoformat()}"
        for _ in range(args.sample)
    ]
    return Seeded(paths, mint_token(private_pem, sub="central-1", roles=["central"]))


READS = [
    ServiceRead("contracts", "tread_contracts", "CONTRACTS", "a contract with its signatures",
                seed_contracts),
    ServiceRead("reporting", "tread_reporting", "REPORTING",
                "a partnership page (territory + tier, 50)", seed_reporting),
    ServiceRead("actionplans", "tread_actionplans", "ACTIONPLANS", "a plan status",
                seed_actionplans),
    ServiceRead("market-intel", "tread_market_intel", "MARKET_INTEL",
                "a price-positioning answer (24 months)", seed_market_intel),
]  # fmt: skip


# --- the same queries -----------------------------------------------------------------------


async def capture(read: ServiceRead, url: str, seeded: Seeded, public_pem: str) -> list[Statements]:
    """Each sample request's SQL statements and parameters, as the service sends them."""
    package = __import__(f"{read.package}.app", fromlist=["create_app"])
    settings_module = __import__(f"{read.package}.settings", fromlist=["Settings"])
    settings = settings_module.Settings(
        database_url=url,
        events_enabled=False,
        schedule_enabled=False,
        jwt_public_key=public_pem,
        log_level="WARNING",
    )
    app = package.create_app(settings)
    recorded: Statements = []
    captured: list[Statements] = []

    def record(*arguments: Any) -> None:
        statement, parameters = arguments[2], arguments[3]
        # The reads alone: what the app's own background work writes meanwhile (reporting
        # makes its central report at start) is not the request's.
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            recorded.append((statement, tuple(parameters or ())))

    async with serve_in_process(app) as client:
        event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", record)
        headers = {"Authorization": f"Bearer {seeded.token}"}
        for path in seeded.paths:
            recorded.clear()
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
            captured.append(list(recorded))
    return captured


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def serve_raw(port: int, dsn: str, capture_file: str, framework: str) -> None:
    """The anchor: request n's statements run in order on one pooled connection, rows as JSON,
    on a bare Starlette app (the strongest yardstick) or a bare FastAPI app (issue 12's own:
    "raw FastAPI + asyncpg"), whose route takes ``n`` as a typed path parameter."""
    captured: list[Statements] = pickle.loads(Path(capture_file).read_bytes())
    pool: asyncpg.Pool | None = None

    async def run_statements(n: int) -> Response:
        assert pool is not None
        statements = captured[n % len(captured)]
        results = []
        async with pool.acquire() as connection:
            for sql, parameters in statements:
                results.append([dict(row) for row in await connection.fetch(sql, *parameters)])
        return Response(json.dumps(results, default=_plain), media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        yield
        await pool.close()

    app: Starlette
    if framework == "fastapi":
        app = FastAPI(lifespan=lifespan)

        @app.get("/raw/{n}")
        async def answer_fastapi(n: int) -> Response:
            return await run_statements(n)

        app.add_api_route("/healthz", lambda: Response(b"ok"))
    else:

        async def answer(request: Request) -> Response:
            return await run_statements(int(request.path_params["n"]))

        app = Starlette(
            routes=[
                Route("/raw/{n:int}", answer),
                Route("/healthz", lambda request: Response(b"ok")),
            ],
            lifespan=lifespan,
        )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def raw_endpoint(url: str, capture_file: Path, framework: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-raw", str(port), dsn, str(capture_file), framework]
    )
    try:
        base = f"http://127.0.0.1:{port}"
        accounts_bench.wait_until(f"{base}/healthz")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the runs -------------------------------------------------------------------------------


@dataclass
class Outcome:
    read: ServiceRead
    raw: accounts_bench.Figures
    raw_fastapi: accounts_bench.Figures
    service: accounts_bench.Figures
    statements: float
    memory_mb: float


async def measure(read: ServiceRead, args: argparse.Namespace, folder: Path) -> Outcome:
    private_pem, public_pem = args.keys
    databases = PostgresDatabases(args.postgres)
    migrations = __import__(read.package, fromlist=["MIGRATIONS_DIR"]).MIGRATIONS_DIR
    url = databases.create(read.service, migrations)
    try:
        print(f"{read.service}: seeding…", flush=True)
        seeded = await read.seed(url, private_pem, args)
        await asyncio.to_thread(market_bench.vacuum_analyze, url)
        captured = await capture(read, url, seeded, public_pem)
        statements = sum(len(s) for s in captured) / len(captured)
        print(f"{read.service}: {statements:.1f} statements a request", flush=True)
        capture_file = folder / f"{read.service}.pickle"
        capture_file.write_bytes(pickle.dumps(captured))
        raw_file = accounts_bench.write_requests(
            folder / f"{read.service}-raw.requests",
            [(f"/raw/{n}", None, False) for n in range(len(captured))],
        )
        service_file = accounts_bench.write_requests(
            folder / f"{read.service}.requests", [(p, seeded.token, False) for p in seeded.paths]
        )
        process = ServiceProcess(
            read.package,
            {
                f"{read.env_prefix}_DATABASE_URL": url,
                f"{read.env_prefix}_EVENTS_ENABLED": "false",
                f"{read.env_prefix}_SCHEDULE_ENABLED": "false",
                f"{read.env_prefix}_JWT_PUBLIC_KEY": public_pem,
            },
            folder / f"{read.service}.log",
        )
        process.start(timeout=120)
        try:
            assert process.process is not None
            with (
                raw_endpoint(url, capture_file, "starlette") as (raw_base, raw_pid),
                raw_endpoint(url, capture_file, "fastapi") as (fastapi_base, fastapi_pid),
            ):
                targets = [
                    accounts_bench.Target(f"{read.service}: raw Starlette, same queries",
                                          read.service, raw_base, raw_file, raw_pid, False,
                                          anchor=True),
                    accounts_bench.Target(f"{read.service}: raw FastAPI, same queries",
                                          read.service, fastapi_base, raw_file, fastapi_pid,
                                          False),
                    accounts_bench.Target(f"{read.service}: {read.label}", read.service,
                                          process.base_url, service_file, process.process.pid,
                                          False),
                ]  # fmt: skip
                rounds: list[list[accounts_bench.Figures]] = [[] for _ in targets]
                for _ in range(args.rounds):
                    for n, target in enumerate(targets):
                        figures = await asyncio.to_thread(
                            accounts_bench.drive, target, args.seconds
                        )
                        rounds[n].append(figures)
                        accounts_bench.print_line(figures)
            memory = accounts_bench.resident_mb(process.process.pid)
        finally:
            process.stop()
        raw, raw_fastapi, service = (
            sorted(r, key=lambda f: f.per_second)[len(r) // 2] for r in rounds
        )
        return Outcome(read, raw, raw_fastapi, service, statements, memory)
    finally:
        databases.drop(url)


def report(args: argparse.Namespace, outcomes: list[Outcome], load_before: float) -> None:
    load = os.getloadavg()
    print()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average before {load_before:.2f}, after "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; wrk -t2 -c50, {args.seconds:.0f} s per "
        f"target, {args.rounds} round(s), median kept; sample of {args.sample} requests"
    )
    print()
    print(
        "| read | statements | raw Starlette req/s | raw FastAPI req/s | service req/s "
        "| of raw Starlette | of raw FastAPI | raw p99 ms | service p99 ms | raw CPU ms/req "
        "| raw FastAPI CPU ms/req | service CPU ms/req | bad | RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for o in outcomes:
        print(
            f"| {o.read.service}: {o.read.label} | {o.statements:.1f} | {o.raw.per_second:,.0f} "
            f"| {o.raw_fastapi.per_second:,.0f} | {o.service.per_second:,.0f} "
            f"| {100 * o.service.per_second / o.raw.per_second:.0f} % "
            f"| {100 * o.service.per_second / o.raw_fastapi.per_second:.0f} % "
            f"| {o.raw.p99_ms:.1f} | {o.service.p99_ms:.1f} | {o.raw.server_cpu_ms:.2f} "
            f"| {o.raw_fastapi.server_cpu_ms:.2f} | {o.service.server_cpu_ms:.2f} "
            f"| {o.service.bad} | {o.memory_mb:.0f} |"
        )


async def run(args: argparse.Namespace) -> None:
    only = set(args.only.split(","))
    args.keys = generate_key_pair()
    load_before = os.getloadavg()[0]
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="tread-bench-reads-") as folder:
        for read in READS:
            if read.service in only:
                outcomes.append(await measure(read, args, Path(folder)))
    report(args, outcomes, load_before)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--serve-raw":
        serve_raw(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--only", default="contracts,reporting,actionplans,market-intel")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sample", type=int, default=200, help="requests recorded per read")
    parser.add_argument("--contracts", type=int, default=300)
    parser.add_argument("--partnerships", type=int, default=2000, help="accounts in reporting")
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--observations", type=int, default=200_000)
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
