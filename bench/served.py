"""Accounts service: the CPU a request costs the served process, old code against new.

``GET /v1/accounts/{id}`` (random accounts, each read with its owner's token) and a keyed
``POST /v1/accounts`` (``bench/wrk_writes.lua``: a new dealer and ``Idempotency-Key`` each;
``--only …,unkeyed`` adds the POST without a key),
driven by ``wrk`` against one accounts service per variant, started as ``tread up`` starts it
(``python -m tread_accounts serve``, its JSON log on stderr into a file, events on), beside the
raw endpoints of ``bench/accounts.py`` (GET) and ``bench/writes.py`` (POST) in the same run.

Variants: ``new`` is the working tree; ``--old COMMIT`` adds the same service run from an
export of that commit's ``shared/`` and ``services/accounts/`` on ``PYTHONPATH``. Each variant
has a database of its own (migrated by its own code, ``--accounts`` accounts by COPY) and its
own JetStream stream on the NATS at ``--nats``. The targets run in turn ``--rounds`` times
(raw, old, new for each kind), so the machine's drift falls on all alike; the median round is
kept. Server CPU: the answering process's user+system time per request, for a POST until its
relay has published every outbox row.

    .venv/bin/python bench/served.py [--old COMMIT] [--accounts 20000] [--seconds 10]
        [--rounds 3] [--only get,post] [--profile DIR]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432] [--nats nats://127.0.0.1:4222]

``--profile DIR`` records a py-spy speedscope profile of each service target (it slows the
service: figures of such a run are not results).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import accounts as read_bench  # bench/accounts.py: data, raw GET endpoint, process figures
import asyncpg
import nats
import writes as write_bench  # bench/writes.py: the raw POST endpoint, outbox drain
from accounts import (
    OWNERS,
    admin_dsn,
    cpu_seconds,
    database_dsn,
    raw_server,
    resident_mb,
    wait_until,
    write_requests,
)
from nats.js.errors import NotFoundError

from tread_cli.tokens import dev_token, public_key_file
from tread_shared.testing.nats_server import free_port

ROOT = Path(__file__).resolve().parent.parent
TERRITORY = "territory-01"


@dataclass
class Variant:
    name: str
    pythonpath: str | None  # None: the working tree as installed
    database: str
    stream: str
    port: int = 0
    pid: int = 0


@dataclass
class Target:
    kind: str  # "get", "post" (with an Idempotency-Key) or "unkeyed" (a POST without one)
    name: str
    base: str
    pid: int
    requests_file: Path | None = None  # GET
    path: str = ""  # POST
    watcher: asyncpg.Connection | None = None  # POST: the outbox to see drained


def export(commit: str, into: Path) -> str:
    archive = subprocess.run(
        ["git", "archive", commit, "shared/tread_shared", "services/accounts"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return f"{into / 'shared'}:{into / 'services' / 'accounts'}"


def service_env(variant: Variant, args: argparse.Namespace, key_file: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "ACCOUNTS_DATABASE_URL": args.postgres.rstrip("/") + "/" + variant.database,
        "ACCOUNTS_NATS_URL": args.nats,
        "ACCOUNTS_NATS_STREAM": variant.stream,
        "ACCOUNTS_NATS_SUBJECT_ROOT": variant.stream.lower(),
        "ACCOUNTS_JWT_PUBLIC_KEY_FILE": str(key_file),
        "ACCOUNTS_HTTP_HOST": "127.0.0.1",
        "ACCOUNTS_HTTP_PORT": str(variant.port),
        "ACCOUNTS_CREDIT_WEBHOOK_SECRET": "dev-credit-secret",
        "ACCOUNTS_BILLING_WEBHOOK_SECRET": "dev-billing-secret",
    }
    if variant.pythonpath:
        env["PYTHONPATH"] = variant.pythonpath
    return env


def migrate(env: dict[str, str]) -> None:
    argv = [sys.executable, "-m", "tread_accounts", "migrate"]
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def serving(variants: list[Variant], args: argparse.Namespace, var_dir: Path) -> Iterator[None]:
    key_file = public_key_file(var_dir)
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for variant in variants:
            env = service_env(variant, args, key_file)
            migrate(env)
            log = (var_dir / f"accounts-{variant.name}.log").open("ab")
            logs.append(log)
            process = subprocess.Popen(
                [sys.executable, "-m", "tread_accounts", "serve", "--port", str(variant.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            variant.pid = process.pid
        for variant in variants:
            wait_until(f"http://127.0.0.1:{variant.port}/readyz")
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def system_seconds(pid: int) -> float:
    """The kernel's share of :func:`cpu_seconds` (one process, no children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


def wrk(target: Target, token: str, seconds: float, connections: int) -> dict[str, float]:
    env = dict(os.environ)
    if target.kind == "get":
        assert target.requests_file is not None
        script, extra = read_bench.WRK_SCRIPT, [str(target.requests_file)]
    else:
        keyed = "1" if target.kind == "post" else "0"
        env |= {"BENCH_TOKEN": token, "BENCH_RUN": uuid.uuid4().hex[:12], "BENCH_KEYED": keyed}
        script, extra = write_bench.WRK_SCRIPT, [target.path, TERRITORY]
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    argv += ["-s", str(script), target.base, "--", *extra]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK "))
    figures: dict[str, float] = json.loads(line.removeprefix("WRK "))
    return figures


def py_spy(target: Target, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    if args.profile is None or target.name == "raw":
        return None
    out = args.profile / f"{target.kind}-{target.name}-{int(time.time())}.json"
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--pid", str(target.pid),
         "--duration", f"{args.seconds:.0f}", "--rate", "250", "--format", "speedscope",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def drive(target: Target, token: str, args: argparse.Namespace) -> dict[str, float]:
    wrk(target, token, 2.0, args.connections)  # warm-up, not counted
    if target.watcher is not None:
        await write_bench.outbox_drained(target.watcher)
    profiler = py_spy(target, args)
    before, system_before = cpu_seconds(target.pid), system_seconds(target.pid)
    result = await asyncio.to_thread(wrk, target, token, args.seconds, args.connections)
    if target.watcher is not None:
        await write_bench.outbox_drained(target.watcher)
    cpu = cpu_seconds(target.pid) - before
    system = system_seconds(target.pid) - system_before
    if profiler is not None:
        profiler.wait()
    requests = max(1, int(result["requests"]))
    bad = result["non_2xx"] + result["connect_errors"] + result["read_errors"]
    bad += result["write_errors"] + result["timeouts"]
    return {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50": result["p50_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "cpu": cpu * 1000 / requests,
        "system": system * 1000 / requests,
        "bad": bad,
        "load": os.getloadavg()[0],
    }


async def run(args: argparse.Namespace) -> None:
    run_id = f"{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="tread-bench-served-"))
    variants: list[Variant] = []
    if args.old:
        variants.append(
            Variant(
                "old",
                export(args.old, Path(tempfile.mkdtemp(prefix="tread-old-"))),
                f"bench_served_{run_id}_old_accounts",
                f"SERVEDOLD{run_id}",
            )
        )
    variants.append(
        Variant("new", None, f"bench_served_{run_id}_new_accounts", f"SERVEDNEW{run_id}")
    )
    for variant in variants:
        variant.port = free_port()
    # The raw endpoints' database, migrated by the working tree's code, served by no service
    # (their outbox rows stay pending: no relay of a variant's sees them).
    raw_database = f"bench_served_{run_id}_raw_accounts"
    admin = await asyncpg.connect(admin_dsn(args.postgres))
    for database in (raw_database, *(v.database for v in variants)):
        await admin.execute(f'CREATE DATABASE "{database}"')
    watchers: list[asyncpg.Connection] = []
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    try:
        with serving(variants, args, var_dir):
            samples: dict[str, list[read_bench.LoadedAccount]] = {}
            raw_env = service_env(Variant("raw", None, raw_database, "unused"), args, var_dir)
            migrate(raw_env)
            for name, database in (
                ("raw", raw_database),
                *((v.name, v.database) for v in variants),
            ):
                loaded = await load_accounts(args, database)
                samples[name] = random.Random(11).sample(loaded, min(len(loaded), 20000))
            tokens = {o: dev_token(var_dir, sub=o, roles=["account_manager"]) for o in OWNERS}
            writer = dev_token(var_dir, sub="am-bench", roles=["account_manager"],
                               territories=[TERRITORY])  # fmt: skip
            raw_dsn = database_dsn(args.postgres, raw_database)
            targets: list[Target] = []
            with (
                raw_server(ROOT / "bench" / "accounts.py", raw_dsn) as (raw_get, raw_get_pid),
                raw_server(ROOT / "bench" / "writes.py", raw_dsn) as (raw_post, raw_post_pid),
            ):
                kinds = args.only.split(",")
                if "get" in kinds:
                    raw_file = write_requests(
                        var_dir / "raw.requests",
                        [(f"/raw/accounts/{a.id}", None, False) for a in samples["raw"]],
                    )
                    targets.append(Target("get", "raw", raw_get, raw_get_pid, raw_file))
                    for variant in variants:
                        requests = write_requests(
                            var_dir / f"{variant.name}.requests",
                            [
                                (f"/v1/accounts/{a.id}", tokens[a.owner_id], False)
                                for a in samples[variant.name]
                            ],
                        )
                        base = f"http://127.0.0.1:{variant.port}"
                        targets.append(Target("get", variant.name, base, variant.pid, requests))
                for kind in ("post", "unkeyed"):
                    if kind not in kinds:
                        continue
                    targets.append(
                        Target(kind, "raw", raw_post, raw_post_pid, path="/raw/accounts")
                    )
                    for variant in variants:
                        watcher = await asyncpg.connect(
                            database_dsn(args.postgres, variant.database)
                        )
                        watchers.append(watcher)
                        base = f"http://127.0.0.1:{variant.port}"
                        targets.append(
                            Target(kind, variant.name, base, variant.pid, path="/v1/accounts",
                                   watcher=watcher)
                        )  # fmt: skip
                for round_number in range(args.rounds):
                    for target in targets:
                        figures = await drive(target, writer, args)
                        results.setdefault((target.kind, target.name), []).append(figures)
                        print(
                            f"round {round_number + 1} {target.kind:4s} {target.name:4s} "
                            f"{figures['rps']:7.0f} req/s  p50 {figures['p50']:6.1f}  p99 "
                            f"{figures['p99']:6.1f} ms  CPU {figures['cpu']:.3f} ms/req (system "
                            f"{figures['system']:.3f})  "
                            f"bad {figures['bad']:.0f}  load {figures['load']:.1f}",
                            flush=True,
                        )
            memory = {v.name: resident_mb(v.pid) for v in variants}
    finally:
        for watcher in watchers:
            await watcher.close()
        for database in (raw_database, *(v.database for v in variants)):
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
        await drop_streams(args.nats, [v.stream for v in variants])
    report(args, results, memory, load_before, started)


async def load_accounts(args: argparse.Namespace, database: str) -> list[read_bench.LoadedAccount]:
    # bench/accounts.py's load() fills PREFIX + "accounts": the variant's database name.
    read_bench.PREFIX = database.removesuffix("accounts")
    if not database.endswith("accounts"):
        raise ValueError(database)
    loaded, _ = await read_bench.load(args.postgres, args.accounts, 0)
    return loaded


async def drop_streams(nats_url: str, streams: list[str]) -> None:
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        for stream in streams:
            for name in (stream, f"{stream}_DEADLETTER"):
                with contextlib.suppress(NotFoundError):
                    await js.delete_stream(name)
    finally:
        await connection.close()


def report(
    args: argparse.Namespace,
    results: dict[tuple[str, str], list[dict[str, float]]],
    memory: dict[str, float],
    load_before: tuple[float, float, float],
    started: datetime,
) -> None:
    load = os.getloadavg()
    print()
    print(
        f"{started:%Y-%m-%d %H:%M}-{datetime.now(UTC):%H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average before "
        f"{load_before[0]:.1f}, after {load[0]:.1f}; wrk -t2 -c{args.connections}, "
        f"{args.seconds:g} s a target, {args.rounds} rounds interleaved, median"
    )
    print()
    print("| target | req/s | of raw | p50 ms | p99 ms | server CPU ms/req (rounds) |")
    print("|---|---:|---:|---:|---:|---|")
    for kind in ("get", "post", "unkeyed"):
        raw = results.get((kind, "raw"))
        if raw is None:
            continue
        raw_rps = statistics.median(f["rps"] for f in raw)
        for (k, name), rounds in results.items():
            if k != kind:
                continue
            rps = statistics.median(f["rps"] for f in rounds)
            cpus = ", ".join(f"{f['cpu']:.2f}" for f in rounds)
            print(
                f"| {kind.upper()} {name} | {rps:,.0f} | {100 * rps / raw_rps:.0f} % | "
                f"{statistics.median(f['p50'] for f in rounds):.1f} | "
                f"{statistics.median(f['p99'] for f in rounds):.1f} | "
                f"**{statistics.median(f['cpu'] for f in rounds):.2f}** ({cpus}) |"
            )
    print()
    print("resident memory after: " + ", ".join(f"{n} {m:.0f} MB" for n, m in memory.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    read_bench.add_postgres_argument(parser)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--old", help="commit whose shared/ and accounts run as 'old'")
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", default="get,post")
    parser.add_argument("--profile", type=Path, help="directory for py-spy speedscope profiles")
    args = parser.parse_args()
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
