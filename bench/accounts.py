"""Accounts service: ``GET /v1/accounts/{id}`` and a filtered list page at 50 concurrent
clients, beside a bare FastAPI endpoint doing the same single-row query, with 100,000 accounts
and 1,000,000 activities loaded.

1. Starts the whole stack with ``tread up --postgres … --no-demo`` (migrations, nats-server, the
   five services, the Caddy gateway) in a scratch var dir, on free ports, with databases
   ``bench_<service>`` (dropped first, and afterwards unless ``--keep``).
2. Loads the accounts database straight with COPY: ``--accounts`` accounts over 10 territories
   and 200 account managers, ``--activities`` activities spread over them; then ANALYZE.
3. Starts the bare endpoint (this file with ``--serve-bare``): uvicorn, one FastAPI route,
   ``session.get(Account, id)`` rendered as the service's ``AccountOut`` — no token, no
   middleware, no unit of work.
4. Drives each target for ``--seconds`` (after a warm-up) with ``--clients`` keep-alive
   connections, each sending its next request when the last answer arrived (closed loop, the
   throughput), from one asyncio process: random accounts, each read with its owner's token;
   the list as the district manager of a random territory. Then the gateway routes again at a
   steady ``--rate`` (open loop; a quarter of it for the list): the latency below saturation.
   Server CPU is the answering process's user+system time per request.

    .venv/bin/python bench/accounts.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432]
        [--accounts 100000] [--activities 1000000] [--clients 50] [--seconds 15] [--rate 100]
        [--keep]
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
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tread_accounts.accounts.models import Account
from tread_accounts.accounts.schemas import AccountOut
from tread_cli.tokens import dev_token
from tread_shared.errors import NotFound
from tread_shared.ids import new_id
from tread_shared.testing.nats_server import free_port

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench_"
SERVICES = ("accounts", "actionplans", "contracts", "market-intel", "reporting")
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


def wait_until(url: str, timeout: float = 120.0) -> None:
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
    started = time.perf_counter()
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
    return loaded, time.perf_counter() - started


# --- the bare endpoint ----------------------------------------------------------------------


def serve_bare(port: int, database_url: str) -> None:
    """The yardstick: FastAPI and the same query, nothing of the platform around it."""
    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI()

    @app.get("/bare/accounts/{account_id}")
    async def bare_account(account_id: uuid.UUID) -> AccountOut:
        async with sessions() as session:
            account = await session.get(Account, account_id)
        if account is None:
            raise NotFound()
        return AccountOut.model_validate(account, from_attributes=True)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def bare_endpoint(postgres: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    url = make_url(postgres).set(drivername="postgresql+asyncpg", database=PREFIX + "accounts")
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-bare",
            str(port),
            url.render_as_string(hide_password=False),
        ]
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/docs")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the load -------------------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_ids(stack: Stack) -> dict[str, int]:
    state = json.loads((stack.var_dir / "tread-up.json").read_text())
    return {p["name"]: p["pid"] for p in state["processes"] if p.get("pid")}


@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    server_cpu_ms: float = 0.0  # CPU of the process answering, per request

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def drive(
    name: str,
    base: str,
    next_request: Callable[[], bytes],
    clients: int,
    seconds: float,
    server_pid: int,
    rate: float | None = None,
) -> Figures:
    """Closed loop (each client sends again as soon as answered), or with ``rate`` an open
    loop: each client sends on its own schedule so that all together send ``rate`` a second."""
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    warm_until = time.perf_counter() + min(3.0, seconds / 3)
    stop_at = warm_until + seconds

    interval = clients / rate if rate else 0.0

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        next_at = time.perf_counter() + random.uniform(0, interval)
        try:
            while (now := time.perf_counter()) < stop_at:
                if interval:
                    await asyncio.sleep(max(0.0, next_at - now))
                    next_at += interval
                    now = time.perf_counter()
                writer.write(next_request())
                status = await read_response(reader)
                if now >= warm_until:
                    latencies.append(time.perf_counter() - now)
                    statuses[status] += 1
        finally:
            writer.close()

    async def measure_cpu() -> float:
        await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
        before = cpu_seconds(server_pid)
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        return cpu_seconds(server_pid) - before

    *_, cpu = await asyncio.gather(*(client() for _ in range(clients)), measure_cpu())
    quantiles = statistics.quantiles(latencies, n=100)
    return Figures(
        name,
        len(latencies),
        seconds,
        quantiles[49] * 1000,
        quantiles[98] * 1000,
        dict(statuses),
        cpu * 1000 / max(1, len(latencies)),
    )


def request_bytes(path: str, token: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: bench"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def run(args: argparse.Namespace) -> None:
    postgres: str = args.postgres
    await drop_databases(postgres)
    var_dir = Path(tempfile.mkdtemp(prefix="tread-bench-accounts-"))
    started = time.perf_counter()
    results: list[Figures] = []
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

            def one_account(prefix: str, with_token: bool) -> Callable[[], bytes]:
                def make() -> bytes:
                    account = random.choice(accounts)
                    token = tokens[account.owner_id] if with_token else None
                    return request_bytes(f"{prefix}/{account.id}", token)

                return make

            def list_page() -> bytes:
                territory = random.choice(TERRITORIES)
                path = f"/v1/accounts?territory={territory}&status=active&limit=50"
                return request_bytes(path, district[territory])

            service_pid = process_ids(stack)["accounts"]
            with bare_endpoint(postgres) as (bare, bare_pid):
                scenarios = [
                    ("bare FastAPI, same query (direct)", bare, bare_pid,
                     one_account("/bare/accounts", False)),
                    ("GET /v1/accounts/{id} (service direct)", stack.service("accounts"),
                     service_pid, one_account("/v1/accounts", True)),
                    ("GET /v1/accounts/{id} (gateway)", stack.gateway, service_pid,
                     one_account("/v1/accounts", True)),
                    ("list territory+status, 50 (gateway)", stack.gateway, service_pid,
                     list_page),
                ]  # fmt: skip
                paced = [
                    (f"GET /v1/accounts/{{id}} (service direct) at {args.rate:.0f}/s",
                     stack.service("accounts"), service_pid, one_account("/v1/accounts", True)),
                    (f"GET /v1/accounts/{{id}} (gateway) at {args.rate:.0f}/s", stack.gateway,
                     service_pid, one_account("/v1/accounts", True)),
                    (f"list territory+status, 50 (gateway) at {args.rate / 4:.0f}/s",
                     stack.gateway, service_pid, list_page),
                ]  # fmt: skip
                runs = [(*scenario, None) for scenario in scenarios]
                runs += [(*paced[0], args.rate), (*paced[1], args.rate), (*paced[2], args.rate / 4)]
                for name, base, pid, make, rate in runs:
                    figures = await drive(
                        name, base, make, args.clients, args.seconds, pid, rate=rate
                    )
                    results.append(figures)
                    print(
                        f"{name:42s} {figures.per_second:8.0f} req/s  p50 {figures.p50_ms:6.1f} ms"
                        f"  p99 {figures.p99_ms:6.1f} ms  server CPU {figures.server_cpu_ms:.2f}"
                        f" ms/req  {figures.statuses}",
                        flush=True,
                    )
    finally:
        if not args.keep:
            await drop_databases(postgres)
    report(args, results)


def report(args: argparse.Namespace, results: list[Figures]) -> None:
    load = os.getloadavg()
    print()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f}"
    )
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; clients {args.clients}, "
        f"{args.seconds:.0f} s per target"
    )
    print()
    print("| target | req/s | p50 ms | p99 ms | server CPU ms/req | answers |")
    print("|---|---:|---:|---:|---:|---|")
    for f in results:
        print(
            f"| {f.name} | {f.per_second:.0f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} | "
            f"{f.server_cpu_ms:.2f} | {json.dumps(f.statuses)} |"
        )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TREAD_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="requests/s of the paced (open loop) runs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench_* databases")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
