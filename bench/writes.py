"""Accounts service: the write path against a raw endpoint, measured with wrk.

``POST /v1/accounts`` (a dealer in the caller's territory, each request with a body and an
``Idempotency-Key`` of its own: the unit of work, the account row, its ``account.created``
outbox row, the key's row with the answer, and the relay publishing the event to JetStream in
the same process) beside a raw endpoint doing the same three INSERTs in one transaction, in the
same run, targets interleaved ``--rounds`` times (median kept):

1. Starts the whole stack with ``tread up --postgres … --no-demo`` as ``bench/accounts.py``
   does (its helpers), databases ``bench_writes_<pid>_<service>``.
2. Starts the raw endpoint in its own process (this file with ``--serve-raw``): uvicorn
   (uvloop + httptools), Starlette, an asyncpg pool; per POST it parses the JSON body, hashes
   it, and in one transaction INSERTs the account, an outbox row with the CloudEvent and the
   idempotency row holding the answer, then answers 201 with the account as JSON. No token, no
   validation model, no relay, nothing of the platform.
3. Drives each target with ``wrk -t2 -c50`` through ``bench/wrk_writes.lua`` (unique bodies and
   keys): the raw endpoint, the service with a key, the service without one (what the key
   costs); then the raw endpoint and the service with a key again while the other five
   services are stopped (SIGSTOP: their consumers' work waits in JetStream), which compares the
   write paths alone on a machine not also applying their events. Each target's ratio is to the
   raw endpoint run the same way (the raw endpoint's events are relayed by the accounts
   service and applied by the other five like the service's). Between targets it waits until
   the service's outbox has nothing pending and the other services are quiet again, so a target
   never pays for the relay's or the consumers' catching up with the one before. Server CPU:
   the answering process's user+system time per request (the relay included for the service);
   other services' CPU: what the five others spent applying the target's events (each event of
   the raw endpoint carries the same directory entry as the service's, so they apply those
   too).
4. Prints the ratio table and the accounts service's resident memory.

    .venv/bin/python bench/writes.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432]
        [--seconds 10] [--rounds 2] [--connections 50] [--profile DIR]

``--profile DIR`` records a py-spy flame graph of the service for each service target (it slows
the service: figures of such a run are not results).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import accounts as stack_helpers  # bench/accounts.py: the stack and the process figures
import asyncpg
import uvicorn
from accounts import (
    SERVICES,
    cpu_seconds,
    database_dsn,
    drop_databases,
    process_ids,
    raw_server,
    resident_mb,
    tread_up,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tread_cli.tokens import dev_token
from tread_shared.events.payloads.accounts import AccountDirectoryEntry
from tread_shared.ids import new_id

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = ROOT / "bench" / "wrk_writes.lua"
TERRITORY = "territory-01"
OWNER = "am-bench"
# Databases of its own, named after the process (it drops them with FORCE at start and end):
# two runs at once, or bench/accounts.py beside it, never drop each other's.
PREFIX = stack_helpers.PREFIX = f"bench_writes_{os.getpid()}_"

# --- the raw endpoint -----------------------------------------------------------------------

RAW_ACCOUNT = (
    "INSERT INTO accounts (id, kind, name, legal_id, erp_customer_id, territory, owner_id,"
    " key_account_manager_id, own_key_account_manager_id, status, parent_id, segment, channels,"
    " addresses, quadrant, created_at, updated_at, deleted_at, version)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, NULL, $9, $10, $11, NULL, $12, $12,"
    " NULL, 1)"
)
RAW_OUTBOX = (
    "INSERT INTO outbox_events (event_id, type, nats_subject, entity_id, envelope, headers, state,"
    " times_sent, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7)"
)
RAW_KEY = (
    "INSERT INTO idempotency_keys (principal, key, method, path, request_hash, state,"
    " status_code, response_headers, response_body, created_at, locked_until)"
    " VALUES ($1, $2, 'POST', $3, $4, 'completed', 201, $5, $6, $7, $7)"
    " ON CONFLICT DO NOTHING"
)
EVENT_TYPE = "tread.accounts.account.created.v1"


# What an account event tells the other services of the account (its id aside).
DIRECTORY_ENTRY_FIELDS = tuple(
    name for name in AccountDirectoryEntry.model_fields if name != "account_id"
)


def serve_raw(port: int, dsn: str) -> None:
    """The anchor: the same three INSERTs in one transaction with asyncpg, nothing else."""
    pool: asyncpg.Pool | None = None

    async def setup(connection: asyncpg.Connection) -> None:
        for name in ("json", "jsonb"):
            await connection.set_type_codec(
                name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )

    async def create(request: Request) -> Response:
        assert pool is not None
        body = await request.body()
        sent = json.loads(body)
        key = request.headers.get("idempotency-key", "")
        digest = hashlib.sha256(b"POST\n/raw/accounts\n\n" + body).hexdigest()
        now = datetime.now(UTC)
        account_id, event_id = new_id(), new_id()
        account = {
            "id": str(account_id),
            "kind": sent["kind"],
            "name": sent["name"],
            "legal_id": sent.get("legal_id"),
            "erp_customer_id": sent.get("erp_customer_id"),
            "territory": sent["territory"],
            "owner_id": OWNER,
            "key_account_manager_id": None,
            "own_key_account_manager_id": None,
            "status": sent.get("status", "prospect"),
            "parent_id": None,
            "segment": sent.get("segment"),
            "channels": sent.get("channels", []),
            "addresses": sent.get("addresses", []),
            "quadrant": None,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "version": 1,
        }
        envelope = {
            "specversion": "1.0",
            "id": str(event_id),
            "source": "accounts",
            "type": EVENT_TYPE,
            "subject": str(account_id),
            "time": now.isoformat(),
            "datacontenttype": "application/json",
            # The directory entry the service's event carries, so that the other services
            # apply the raw endpoint's events as they apply the service's.
            "data": {
                "account": {
                    "account_id": account["id"],
                    **{name: account[name] for name in DIRECTORY_ENTRY_FIELDS},
                }
            },
        }
        answer = json.dumps(account).encode()
        location = f"/raw/accounts/{account_id}"
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute(
                RAW_ACCOUNT,
                account_id,
                account["kind"],
                account["name"],
                account["legal_id"],
                account["erp_customer_id"],
                account["territory"],
                OWNER,
                account["status"],
                account["segment"],
                account["channels"],
                account["addresses"],
                now,
            )
            await connection.execute(
                RAW_OUTBOX,
                event_id,
                EVENT_TYPE,
                "tread.accounts.account.created",
                str(account_id),
                envelope,
                {"Nats-Msg-Id": str(event_id), "Tread-Event-Type": EVENT_TYPE},
                now,
            )
            if key:
                await connection.execute(
                    RAW_KEY,
                    OWNER,
                    key,
                    "/raw/accounts",
                    digest,
                    [["content-type", "application/json"], ["location", location]],
                    answer,
                    now,
                )
        return Response(
            answer, status_code=201, media_type="application/json", headers={"location": location}
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10, init=setup)
        yield
        await pool.close()

    app = Starlette(
        routes=[
            Route("/raw/accounts", create, methods=["POST"]),
            Route("/healthz", lambda request: Response(b"ok")),
        ],
        lifespan=lifespan,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def raw_endpoint(postgres: str) -> contextlib.AbstractContextManager[tuple[str, int]]:
    return raw_server(__file__, database_dsn(postgres, PREFIX + "accounts"))


# --- the load -------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    base: str
    path: str
    server_pid: int
    keyed: bool
    anchor: bool = False
    # The other services' processes, stopped while wrk runs (their consumers of the accounts'
    # events then wait in JetStream): the write path's own rate, without the machine's other
    # cores busy applying the events in five services.
    paused: tuple[int, ...] = ()
    # The other services' processes, whose CPU until they are quiet again is the cost of
    # applying the target's events (their consumers).
    others: tuple[int, ...] = ()


@dataclass
class Figures:
    target: Target
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int
    server_cpu_ms: float
    others_cpu_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk(target: Target, token: str, seconds: float, connections: int) -> dict[str, float]:
    env = {
        **os.environ,
        "BENCH_TOKEN": token,
        "BENCH_RUN": uuid.uuid4().hex[:12],
        "BENCH_KEYED": "1" if target.keyed else "0",
    }
    argv = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        target.base,
        "--",
        target.path,
        TERRITORY,
    ]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK "))
    figures: dict[str, float] = json.loads(line.removeprefix("WRK "))
    return figures


async def outbox_drained(connection: asyncpg.Connection, within: float = 120.0) -> None:
    """Until the service's relay has published every pending outbox row."""
    deadline = time.monotonic() + within
    pending = 0
    while time.monotonic() < deadline:
        pending = await connection.fetchval(
            "SELECT count(*) FROM outbox_events WHERE state = 'pending'"
        )
        if not pending:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"outbox still has {pending} pending rows after {within}s")


async def quiet(pids: tuple[int, ...], within: float = 300.0) -> None:
    """Until the other services have applied the target's events (together under 10 % of a core
    over a second; idle, they spend about 4 %), so that the next target does not share the
    machine with their catching up."""
    deadline = time.monotonic() + within
    while pids and time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids)
        await asyncio.sleep(1.0)
        if sum(cpu_seconds(pid) for pid in pids) - before < 0.10:
            return


def py_spy(target: Target, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    """A py-spy flame graph of the service for this target, with ``--profile``."""
    if args.profile is None or target.anchor:
        return None
    slug = "".join(c if c.isalnum() else "-" for c in target.name).strip("-")
    binary = ROOT / ".venv" / "bin" / "py-spy"
    return subprocess.Popen(
        [
            str(binary) if binary.exists() else "py-spy",
            "record",
            "--pid",
            str(target.server_pid),
            "--duration",
            f"{args.seconds:.0f}",
            "--rate",
            "200",
            "--output",
            str(args.profile / f"{slug}.svg"),
        ],
        stdout=subprocess.DEVNULL,
    )


async def drive(
    target: Target,
    token: str,
    args: argparse.Namespace,
    watcher: asyncpg.Connection,
) -> Figures:
    wrk(target, token, 2.0, args.connections)  # warm-up, not counted
    await outbox_drained(watcher)
    profiler = py_spy(target, args)
    before = cpu_seconds(target.server_pid)
    others_before = sum(cpu_seconds(pid) for pid in target.others)
    for pid in target.paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        result = await asyncio.to_thread(wrk, target, token, args.seconds, args.connections)
    finally:
        for pid in target.paused:
            os.kill(pid, signal.SIGCONT)
    # The relay's work for these requests belongs to them: counted until the outbox is drained.
    await outbox_drained(watcher)
    cpu = cpu_seconds(target.server_pid) - before
    if profiler is not None:
        profiler.wait()
    await quiet(target.others)
    others_cpu = sum(cpu_seconds(pid) for pid in target.others) - others_before
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
        int(result["requests"]),
        result["duration_us"] / 1e6,
        result["p50_us"] / 1000,
        result["p99_us"] / 1000,
        bad,
        cpu * 1000 / requests,
        others_cpu * 1000 / requests,
    )


def print_line(f: Figures) -> None:
    print(
        f"{f.target.name:55s} {f.per_second:7.0f} req/s  p50 {f.p50_ms:6.1f}  p99 "
        f"{f.p99_ms:6.1f} ms  server CPU {f.server_cpu_ms:.2f} ms/req  others "
        f"{f.others_cpu_ms:.2f}  bad {f.bad}",
        flush=True,
    )


async def run(args: argparse.Namespace) -> None:
    postgres: str = args.postgres
    await drop_databases(postgres)
    var_dir = Path(tempfile.mkdtemp(prefix="tread-bench-writes-"))
    dsn = database_dsn(postgres, PREFIX + "accounts")
    results: list[Figures] = []
    memory = 0.0
    load_before = os.getloadavg()
    try:
        with tread_up(postgres, var_dir) as stack:
            token = dev_token(
                var_dir, sub=OWNER, roles=["account_manager"], territories=[TERRITORY]
            )
            pids = process_ids(stack)
            service_pid = pids["accounts"]
            others = tuple(
                pid for name, pid in pids.items() if name in SERVICES and name != "accounts"
            )
            # One connection kept for watching the outbox: on a shared server, connecting
            # again between targets may find no free slot.
            watcher = await asyncpg.connect(dsn)
            with raw_endpoint(postgres) as (raw, raw_pid):
                targets = [
                    Target("raw Starlette + asyncpg, 3 INSERTs", raw, "/raw/accounts", raw_pid,
                           True, anchor=True, others=others),
                    Target("raw Starlette + asyncpg, 3 INSERTs, consumers paused", raw,
                           "/raw/accounts", raw_pid, True, anchor=True, paused=others,
                           others=others),
                    Target("POST /v1/accounts, Idempotency-Key", stack.service("accounts"),
                           "/v1/accounts", service_pid, True, others=others),
                    Target("POST /v1/accounts, no key", stack.service("accounts"),
                           "/v1/accounts", service_pid, False, others=others),
                    Target("POST /v1/accounts, Idempotency-Key, consumers paused",
                           stack.service("accounts"), "/v1/accounts", service_pid, True,
                           paused=others, others=others),
                ]  # fmt: skip
                rounds: dict[int, list[Figures]] = {}
                for _ in range(args.rounds):
                    for n, target in enumerate(targets):
                        figures = await drive(target, token, args, watcher)
                        rounds.setdefault(n, []).append(figures)
                        print_line(figures)
                for n in range(len(targets)):
                    ranked = sorted(rounds[n], key=lambda f: f.per_second)
                    results.append(ranked[len(ranked) // 2])
            await watcher.close()
            memory = resident_mb(service_pid)
    finally:
        await drop_databases(postgres)
    report(args, results, memory, load_before)


def report(
    args: argparse.Namespace,
    results: list[Figures],
    memory: float,
    load_before: tuple[float, float, float],
) -> None:
    load = os.getloadavg()
    print()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average before {load_before[0]:.2f}, after "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; wrk -t2 -c{args.connections}, "
        f"{args.seconds:.0f} s per target, {args.rounds} round(s), median kept"
    )
    print()
    # Each target against the raw endpoint run as it was: with the other services applying the
    # events, or with them stopped.
    anchors = {bool(f.target.paused): f.per_second for f in results if f.target.anchor}
    print(
        "| target | req/s | of raw | p50 ms | p99 ms | server CPU ms/req "
        "| other services' CPU ms/req | bad |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in results:
        of_raw = 100 * f.per_second / anchors[bool(f.target.paused)]
        print(
            f"| {f.target.name} | {f.per_second:,.0f} | {of_raw:.0f} % | "
            f"{f.p50_ms:.1f} | {f.p99_ms:.1f} | {f.server_cpu_ms:.2f} | "
            f"{f.others_cpu_ms:.2f} | {f.bad} |"
        )
    print()
    print(f"accounts service resident memory after the runs: {memory:.0f} MB")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-raw":
        serve_raw(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    stack_helpers.add_postgres_argument(parser)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--profile", help="directory for py-spy flame graphs (slows the runs)")
    args = parser.parse_args()
    if args.profile:
        args.profile = Path(args.profile).resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
