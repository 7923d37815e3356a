"""The kill test: Tread scaled out on one machine, a process killed under load, nothing lost.

``tread up`` with three NATS nodes (streams at R3) and two replicas each of accounts and
reporting behind the gateway, on PostgreSQL. A client creates accounts at a steady rate, each
with an Idempotency-Key, retrying a failed request with the same key (at most 20 s). A third of
the way in, one ``kill -9``: the stream's leader node, an accounts replica (the first), a
reporting replica, the accounts replica holding the relay lease, or the leader node and that
replica. Then it checks, for the writes the client saw acknowledged: each is once in the
database, once in the stream, counted once by reporting; and prints client errors, retries and
event delays (from the commit to the stream, and to reporting applying the event).

    python bench/scale_test.py --kill stream-leader [--seconds 30] [--rate 30]
    make scale-test         # every kill, one run each
    make scale-test-short   # one kill (by the commit), 10 s of writes: what CI runs

Needs PostgreSQL (TREAD_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432).
Exit status 1 when anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats

BIN = Path(sys.executable).parent
KILLS = ("none", "stream-leader", "accounts", "reporting", "relay", "leader+relay")
GATEWAY, NATS_PORT, BASE_PORT = 28080, 24223, 28100
CREATED = "tread.accounts.account.created.v1"


@dataclass
class Client:
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key → account id
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    gave_up: int = 0


def tread_up(var_dir: Path, postgres: str, prefix: str) -> subprocess.Popen[str]:
    ports = {
        f"--{name}-port": str(BASE_PORT + n + 1)
        for n, name in enumerate(
            ("accounts", "actionplans", "contracts", "market-intel", "reporting", "inbox")
        )
    }
    argv = [str(BIN / "tread"), "up", "--var-dir", str(var_dir), "--postgres", postgres]
    argv += ["--database-prefix", prefix, "--gateway-port", str(GATEWAY)]
    argv += ["--nats-port", str(NATS_PORT), "--nats-cluster", "3", "--no-demo"]
    argv += ["--replicas", "accounts=2,reporting=2", "--ready-timeout", "300"]
    argv += [part for pair in ports.items() for part in pair]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def wait_until_up(up: subprocess.Popen[str], log: Path) -> None:
    assert up.stdout is not None
    with log.open("w") as out:
        for line in up.stdout:
            out.write(line)
            out.flush()
            if "supervising" in line:
                return
    raise SystemExit(f"tread up ended before it was ready: see {log}")


def dev_token(var_dir: Path, sub: str, role: str, *more: str) -> str:
    argv = [str(BIN / "tread"), "token", "--var-dir", str(var_dir), "--sub", sub, "--role", role]
    done = subprocess.run([*argv, *more], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def processes(var_dir: Path) -> dict[str, dict[str, Any]]:
    state = json.loads((var_dir / "tread-up.json").read_text())
    return {p["name"]: p for p in state["processes"]}


async def stream_leader(nats_url: str) -> str:
    nc = await nats.connect(nats_url.split(","))
    try:
        info = await nc.jetstream().stream_info("TREAD")
        assert info.cluster is not None and info.cluster.leader
        return info.cluster.leader
    finally:
        await nc.close()


async def time_election(killed: str) -> None:
    """Print how long the stream went without a leader after its leader node was killed: the
    part of the event delay that is NATS's election, not the relay's. Only a leader answers
    the stream's info, so the first answer names the new one (the killed node itself, when
    the supervisor restarted it in time and it won)."""
    killed_at = time.monotonic()
    number = int(killed.removeprefix("nats-"))
    survivors = [f"nats://127.0.0.1:{NATS_PORT + n}" for n in range(3) if n + 1 != number]
    nc = await nats.connect(survivors)
    try:
        js = nc.jetstream()
        while time.monotonic() - killed_at < 60:
            try:
                info = await asyncio.wait_for(js.stream_info("TREAD"), 0.5)
            except Exception:  # noqa: BLE001 - no leader to answer yet
                info = None
            leader = info.cluster.leader if info is not None and info.cluster else None
            if leader:
                waited = time.monotonic() - killed_at
                print(f"new stream leader {leader} {waited:.2f} s after the kill", flush=True)
                return
            await asyncio.sleep(0.05)
    finally:
        await nc.close()


async def relay_holder(postgres: str, prefix: str) -> str:
    connection = await asyncpg.connect(postgres.replace("+asyncpg", "") + f"/{prefix}accounts")
    try:
        holder: str = await connection.fetchval("select holder from outbox_relay_lease")
    finally:
        await connection.close()
    return holder


async def victims(kill: str, var_dir: Path, postgres: str, prefix: str) -> list[str]:
    nats_url = ",".join(f"nats://127.0.0.1:{NATS_PORT + n}" for n in range(3))
    if kill == "stream-leader":
        return [await stream_leader(nats_url)]
    if kill in ("accounts", "reporting"):
        return [f"{kill}-1"]
    if kill == "relay":
        return [await relay_replica(var_dir, postgres, prefix)]
    if kill == "leader+relay":
        return [await stream_leader(nats_url), await relay_replica(var_dir, postgres, prefix)]
    return []


async def relay_replica(var_dir: Path, postgres: str, prefix: str) -> str:
    """The accounts replica whose relay holds the outbox lease."""
    holder = await relay_holder(postgres, prefix)
    running = processes(var_dir)
    async with httpx.AsyncClient() as http:
        for name in ("accounts-1", "accounts-2"):
            health = (await http.get(running[name]["url"] + "/healthz")).json()
            if holder == f"accounts-{health['instance']}":
                return name
    raise SystemExit(f"no accounts replica holds the relay lease ({holder})")


async def create(http: httpx.AsyncClient, client: Client, number: int, run: str) -> None:
    key = f"{run}-{number}"
    body = {"kind": "dealer", "name": f"Scale {key}", "territory": "north", "owner_id": "am-lucas"}
    began = time.monotonic()
    while time.monotonic() - began < 20:
        try:
            answer = await http.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
        except httpx.HTTPError as exc:
            client.errors.append(type(exc).__name__)
        else:
            if answer.status_code in (200, 201):
                client.acknowledged[key] = answer.json()["id"]
                client.latencies.append(time.monotonic() - began)
                return
            client.errors.append(str(answer.status_code))
        client.retries += 1
        await asyncio.sleep(0.2)
    client.gave_up += 1


async def drive(args: argparse.Namespace, var_dir: Path, token: str, run: str) -> Client:
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{GATEWAY}", headers=headers, timeout=10
    ) as http:
        tasks = []
        total = int(args.seconds * args.rate)
        began = time.monotonic()
        killed = False
        for number in range(total):
            if not killed and number >= total // 3:
                killed = True
                for name in await victims(args.kill, var_dir, args.postgres, args.prefix):
                    pid = processes(var_dir)[name]["pid"]
                    print(f"kill -9 {name} (pid {pid})", flush=True)
                    os.kill(pid, signal.SIGKILL)
                    if name.startswith("nats-"):
                        tasks.append(asyncio.create_task(time_election(name)))
            tasks.append(asyncio.create_task(create(http, client, number, run)))
            await asyncio.sleep(max(0.0, began + (number + 1) / args.rate - time.monotonic()))
        await asyncio.gather(*tasks)
    return client


async def check(args: argparse.Namespace, var_dir: Path, client: Client, token: str) -> bool:
    ids = set(client.acknowledged.values())
    connection = await asyncpg.connect(
        args.postgres.replace("+asyncpg", "") + f"/{args.prefix}accounts"
    )
    try:
        rows = await connection.fetch(
            "select id::text as id from accounts where name like 'Scale %'"
        )
    finally:
        await connection.close()
    in_database = [row["id"] for row in rows]
    nats_url = ",".join(f"nats://127.0.0.1:{NATS_PORT + n}" for n in range(3))
    nc = await nats.connect(nats_url.split(","))
    stream_ids: list[str] = []
    delays: list[float] = []
    event_times: dict[str, datetime] = {}  # event id → the event's time (its commit)
    try:
        js = nc.jetstream()
        info = await js.stream_info("TREAD")
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg("TREAD", seq)
            event = json.loads(message.data or b"{}")
            if event.get("type") == CREATED and message.time is not None:
                stream_ids.append(event["data"]["account"]["account_id"])
                event_times[event["id"]] = datetime.fromisoformat(event["time"])
                delays.append((message.time - event_times[event["id"]]).total_seconds())
    finally:
        await nc.close()
    counted = 0
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            answer = await http.get(f"http://127.0.0.1:{GATEWAY}/v1/reports/events")
            if answer.status_code == 200:
                items = answer.json()["items"]
                counted = sum(i["count"] for i in items if i["type"] == CREATED)
                if counted >= len(ids):
                    break
            await asyncio.sleep(0.5)
    applied = await reporting_delays(args, event_times)
    redelivered = await reporting_redeliveries(var_dir)
    lost = {
        "database": len(ids - set(in_database)),
        "stream": len(ids - set(stream_ids)),
        "reporting": max(len(ids) - counted, 0),
    }
    doubled = {
        "database": len(in_database) - len(set(in_database)),
        "stream": len(stream_ids) - len(set(stream_ids)),
        "reporting": max(counted - len(ids), 0),
    }
    errors = {e: client.errors.count(e) for e in sorted(set(client.errors))}
    latencies = sorted(client.latencies)
    print(f"kill: {args.kill}; {len(ids)} writes acknowledged, {client.gave_up} given up")
    print(f"lost: {lost}; doubled: {doubled}")
    print(f"client: {client.retries} retries, errors {errors or 'none'}")
    if not latencies:
        print("client: no write was acknowledged at all: the run shows nothing")
        return False
    print(
        f"client latency p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, max {latencies[-1]:.2f} s"
    )
    print(f"event delay (commit to stream) {spread(delays)}")
    print(f"event delay (commit to applied by reporting) {spread(applied)}")
    print(f"reporting's deliveries of events applied already: {redelivered}")
    return not any(lost.values()) and not any(doubled.values()) and client.gave_up == 0


async def reporting_redeliveries(var_dir: Path) -> str:
    """Deliveries reporting's live replicas skipped as applied already (an ack wait that ran
    out: the killed replica's events, or a batch not kept alive in time), summed from their
    metrics; a killed replica's own count died with it."""
    total, answered = 0.0, 0
    async with httpx.AsyncClient(timeout=5) as http:
        for name, process in processes(var_dir).items():
            if not name.startswith("reporting-"):
                continue
            with contextlib.suppress(httpx.HTTPError):
                text = (await http.get(process["url"] + "/metrics")).text
                answered += 1
                for line in text.splitlines():
                    if line.startswith("tread_events_duplicate_total{") and (
                        'consumer="reporting"' in line
                    ):
                        total += float(line.rsplit(" ", 1)[1])
    return f"{total:.0f} (from {answered} replicas)"


async def reporting_delays(
    args: argparse.Namespace, event_times: dict[str, datetime]
) -> list[float]:
    """Each event's delay from its commit to reporting applying it: the time its consumer wrote
    the event's inbox row, in the transaction that applied it (a redelivery finds the row and
    changes nothing, so this is the first application)."""
    connection = await asyncpg.connect(
        args.postgres.replace("+asyncpg", "") + f"/{args.prefix}reporting"
    )
    try:
        rows = await connection.fetch(
            "select event_id, applied_at from inbox_events where consumer = 'reporting'"
            " and type = $1",
            CREATED,
        )
    finally:
        await connection.close()
    return [
        (row["applied_at"] - event_times[row["event_id"]]).total_seconds()
        for row in rows
        if row["event_id"] in event_times
    ]


def spread(delays: list[float]) -> str:
    """p50, p99 and max of ``delays``, in seconds."""
    quantiles = (
        statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [0.0] * 99
    )
    worst = max(delays, default=0.0)
    return (
        f"p50 {quantiles[49]:.2f} s, p99 {quantiles[98]:.2f} s, max {worst:.2f} s"
        f" ({len(delays)} events)"
    )


def rotated_kill() -> str:
    """One kill per commit, in turn (the commit count modulo the kills): successive CI runs go
    through every kill, and a run again on the same commit repeats the same kill."""
    kills = KILLS[1:]
    done = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], capture_output=True, text=True, check=False
    )
    commits = int(done.stdout.strip()) if done.returncode == 0 else 0
    return kills[commits % len(kills)]


async def drop_databases(postgres: str, prefix: str) -> None:
    connection = await asyncpg.connect(postgres.replace("+asyncpg", "") + "/postgres")
    try:
        names = await connection.fetch(
            "select datname from pg_database where datname like $1", prefix + "%"
        )
        for row in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kill",
        choices=(*KILLS, "rotate"),
        default="stream-leader",
        help="what to kill; rotate: one of them, chosen by the commit (see rotated_kill)",
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the processes' logs of a run that passed"
    )
    parser.add_argument("--rate", type=float, default=30.0, help="writes per second")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TREAD_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
    )
    args = parser.parse_args()
    if args.kill == "rotate":
        args.kill = rotated_kill()
    began = time.monotonic()
    run = uuid.uuid4().hex[:8]
    args.prefix = f"scale_{run}_"
    var_dir = Path(tempfile.mkdtemp(prefix="tread-scale-"))
    up = tread_up(var_dir, args.postgres, args.prefix)
    passed = False
    try:
        wait_until_up(up, var_dir / "up.log")
        ready = time.monotonic() - began
        print(f"kill: {args.kill}; tread up ready in {ready:.0f} s", flush=True)
        token = dev_token(var_dir, "dm-scale", "district_manager", "--territory", "north")
        client = asyncio.run(drive(args, var_dir, token, run))
        operator = dev_token(var_dir, "ops-scale", "admin")  # reporting's counts
        passed = asyncio.run(check(args, var_dir, client, operator))
        return 0 if passed else 1
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        up.wait(timeout=60)
        try:
            asyncio.run(drop_databases(args.postgres, args.prefix))
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"the run's databases ({args.prefix}*) were not dropped: {exc}")
        if passed and not args.keep_logs:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"logs kept in {var_dir}")
        print(f"{'passed' if passed else 'FAILED'} in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
