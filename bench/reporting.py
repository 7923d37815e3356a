"""Reporting: replay throughput beside the raw JetStream consume rate, and report latencies.

1. Publishes a synthetic history into a stream of its own: ``--accounts`` accounts (each with a
   contract) over ``--months`` months: account created/qualified/updated; contract created,
   submitted, signed twice, activated, renewal due; audits twice a year; a facilitation
   requested, granted and spent; compliance every quarter; monthly sell-in; an activity and a
   case. 20,000 accounts over 24 months is about a million events. Payloads are built with the
   producers' payload classes.
2. Raw JetStream consume rate: the whole stream read with the same ordered consumer the replay
   uses, doing nothing with the messages.
3. Replay throughput: ``claim`` + ``Replay`` (what ``tread reporting rebuild`` runs) into a
   freshly migrated reporting database.
4. Latency, against a reporting process (uvicorn, its consumer off) on that database:
   ``GET /v1/reports/partnerships`` filtered (territory and tier, 50 a page, as central office)
   and ``GET /v1/reports/central?period=<a month>`` as JSON: p50 and p99.

    .venv/bin/python bench/reporting.py [--accounts 20000] [--months 24]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--nats URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from nats.js import JetStreamContext
from sqlalchemy.engine import make_url

from tread_reporting import MIGRATIONS_DIR
from tread_reporting.rebuild.service import Replay, claim
from tread_reporting.rebuild.stream import StreamReader
from tread_reporting.settings import Settings
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db.engine import Database
from tread_shared.db.migrations import upgrade
from tread_shared.events.broker import ensure_streams
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.events.registry import EventPayload
from tread_shared.money import Money
from tread_shared.testing.nats_server import NatsServer
from tread_shared.testing.processes import ServiceProcess

TERRITORIES = [f"territory-{n:02d}" for n in range(20)]
TIERS = ["gold", "silver", "bronze"]
CATEGORIES = ["credit", "billing", "supply", "quality"]
PROGRAM_ID = uuid.UUID("01900000-0000-7000-8000-0000000000aa")
GUIDELINE_ID = uuid.UUID("01900000-0000-7000-8000-0000000000bb")


def cny(amount: int | str) -> Money:
    return Money.of(amount, "CNY")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def month_start(start: date, offset: int) -> date:
    index = start.year * 12 + start.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def history(accounts: int, months: int, seed: int = 7) -> Iterator[tuple[datetime, EventPayload]]:
    """(time, payload) of every event, account by account (the stream need not be in time
    order: reporting orders by versions and dates, not by arrival)."""
    rng = random.Random(seed)
    first = month_start(date.today(), -months)
    for number in range(accounts):
        account_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        created = first + timedelta(days=rng.randrange(28))
        entry = acc.AccountDirectoryEntry(
            account_id=account_id,
            version=1,
            name=f"Dealer {number:05d}",
            kind="dealer",
            status="active",
            territory=TERRITORIES[number % len(TERRITORIES)],
            owner_id=f"am-{number % 400:03d}",
            segment="truck_dealer",
            erp_customer_id=f"C-{number:06d}",
            updated_at=at(created),
        )
        yield at(created), acc.AccountCreated(account=entry)
        quadrant = rng.choice(["develop", "maintain", "optimise", "reduce"])
        entry = entry.model_copy(update={"version": 2, "quadrant": quadrant})
        yield (
            at(created, 11),
            acc.AccountQualified(
                account=entry,
                qualification=acc.QualificationSnapshot(
                    quadrant=quadrant,
                    annual_volume_units=rng.randrange(1000, 9000),
                    margin_potential=cny(rng.randrange(50_000, 500_000)),
                    visits_per_year=rng.randrange(4, 24),
                    hours_per_year=rng.randrange(10, 60),
                    budget=cny(rng.randrange(1000, 20_000)),
                ),
                qualified_by=entry.owner_id,
            ),
        )
        entry = entry.model_copy(update={"version": 3, "name": f"Dealer {number:05d} Ltd"})
        yield at(created, 12), acc.AccountUpdated(account=entry, changed_fields=["name"])

        signed_on = month_start(first, rng.randrange(max(months // 2, 1))) + timedelta(
            days=rng.randrange(27)
        )
        start = month_start(signed_on, 1)
        state = con.ContractState(
            contract_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            contract_version=1,
            account_id=account_id,
            program_id=PROGRAM_ID,
            program_name="Premium dealers",
            program_version=1,
            tier=rng.choice(TIERS),
            start_date=start,
            end_date=month_start(start, 24) - timedelta(days=1),
            status="draft",
            commitments=[
                con.Commitment(kind="volume", period=str(start.year), quantity=6000),
                con.Commitment(kind="volume", period=str(start.year + 1), quantity=6600),
            ],
            rebate_pct=Decimal("2.5"),
            facilitation_budget=cny(10_000),
        )
        yield (
            at(signed_on - timedelta(days=5)),
            con.ContractCreated(contract=state, created_by="am"),
        )
        state = state.model_copy(update={"contract_version": 2, "status": "submitted"})
        yield (
            at(signed_on - timedelta(days=3)),
            con.ContractSubmitted(
                contract=state, submitted_at=at(signed_on - timedelta(days=3)), submitted_by="am"
            ),
        )
        signatures = []
        for version, party in ((3, "customer"), (4, "manufacturer")):
            signature = con.SignatureRecord(
                party=party,  # type: ignore[arg-type]
                signer_name="Li Wei",
                signer_role="owner",
                method="e-signature",
                document_sha256="a" * 64,
                signed_at=at(signed_on, 9 + version),
                recorded_by="am",
            )
            signatures.append(signature)
            state = state.model_copy(
                update={"contract_version": version, "status": "signed", "signatures": signatures}
            )
            yield (
                at(signed_on, 9 + version),
                con.ContractSigned(contract=state, signature=signature),
            )
        state = state.model_copy(update={"contract_version": 5, "status": "active"})
        yield (
            at(signed_on, 14),
            con.ContractActivated(contract=state, activated_at=at(signed_on, 14)),
        )
        due_on = state.end_date - timedelta(days=90)
        state = state.model_copy(update={"contract_version": 6})
        yield (
            at(due_on),
            con.ContractRenewalDue(
                contract=state, window_days=90, days_left=90, noticed_at=at(due_on)
            ),
        )

        for half in range(0, months, 6):
            day = month_start(first, half + rng.randrange(6)) + timedelta(days=rng.randrange(25))
            scores = {"LP1": rng.randrange(40, 100), "LP2": rng.randrange(40, 100)}
            gaps = [
                con.AuditGap(criterion=c, score=s, required=70) for c, s in scores.items() if s < 70
            ]
            yield (
                at(day),
                con.AuditCompleted(
                    audit_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    account_id=account_id,
                    contract_id=state.contract_id,
                    program_id=PROGRAM_ID,
                    program_version=1,
                    tier=state.tier,
                    performed_at=at(day),
                    auditor="auditor",
                    scores=[con.CriterionScore(criterion=c, score=s) for c, s in scores.items()],
                    overall_score=Decimal(sum(scores.values())) / 2,
                    gaps=gaps,
                    recorded_by="am",
                ),
            )

        day = month_start(first, rng.randrange(months)) + timedelta(days=rng.randrange(20))
        facilitation: dict[str, Any] = {
            "facilitation_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "account_id": account_id,
            "guideline_id": GUIDELINE_ID,
            "guideline_type": "marketing_fund",
            "contract_id": state.contract_id,
            "tier": state.tier,
            "year": day.year,
            "amount": cny(1500),
        }
        balance = con.FacilitationBalance(
            cap=cny(5000), requested=cny(1500), granted=cny(1500), spent=cny(0), remaining=cny(3500)
        )
        yield (
            at(day),
            con.FacilitationRequested(
                **facilitation,
                facilitation_version=1,
                status="pending_approval",
                balance=balance,
                justification="campaign",
                requires_approval=True,
                requested_by="am",
                requested_at=at(day),
            ),
        )
        yield (
            at(day, 15),
            con.FacilitationGranted(
                **facilitation,
                facilitation_version=2,
                status="granted",
                balance=balance,
                granted_by="kam",
                granted_at=at(day, 15),
                automatic=False,
            ),
        )
        yield (
            at(day + timedelta(days=5)),
            con.FacilitationSpent(
                **facilitation,
                facilitation_version=3,
                status="granted",
                balance=balance,
                spent=cny(600),
                spent_total=cny(600),
                spent_on=day + timedelta(days=5),
                description="posters",
                recorded_by="am",
            ),
        )

        for quarter in range(0, months, 3):
            day = month_start(first, quarter) + timedelta(days=2)
            yield (
                at(day),
                con.ComplianceChanged(
                    contract_id=state.contract_id,
                    account_id=account_id,
                    program_id=PROGRAM_ID,
                    tier=state.tier,
                    overall=rng.choice(["met", "on_track", "at_risk", "missed"]),  # type: ignore[arg-type]
                    previous_overall=None,
                    items=[],
                    as_of=day,
                    evaluated_at=at(day),
                ),
            )
        for month in range(months):
            day = month_start(first, month)
            yield (
                at(day + timedelta(days=3)),
                acc.SellInRecorded(
                    account_id=account_id,
                    erp_customer_id=entry.erp_customer_id or "",
                    month=f"{day.year}-{day.month:02d}",
                    lines=[acc.SellInLine(product_line="truck", units=rng.randrange(200, 800))],
                    source_event_id=uuid.uuid4().hex,
                ),
            )

        day = month_start(first, rng.randrange(months)) + timedelta(days=rng.randrange(25))
        yield (
            at(day),
            acc.ActivityLogged(
                activity=acc.ActivitySnapshot(
                    activity_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    account_id=account_id,
                    version=1,
                    type="visit",
                    started_at=at(day),
                    duration_minutes=90,
                    cost=cny(120),
                    performed_by=entry.owner_id,
                    participant_count=2,
                    updated_at=at(day),
                )
            ),
        )
        case = acc.CaseSnapshot(
            case_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            account_id=account_id,
            version=1,
            category=rng.choice(CATEGORIES),
            priority="normal",
            status="open",
            opened_by=entry.owner_id,
            source="user",
            opened_at=at(day),
            due_at=at(day + timedelta(days=3)),
            updated_at=at(day),
        )
        yield at(day), acc.CaseOpened(case=case)
        resolved = case.model_copy(
            update={"version": 2, "status": "resolved", "updated_at": at(day + timedelta(days=2))}
        )
        yield (
            at(day + timedelta(days=2)),
            acc.CaseStatusChanged(case=resolved, previous_status="open", changed_by="central"),
        )


async def publish_history(
    js: JetStreamContext, settings: Settings, accounts: int, months: int
) -> int:
    count = 0
    pending = []
    for moment, payload in history(accounts, months):
        service = payload.service or "accounts"
        event = CloudEvent(
            source=service,
            type=payload.event_type(service),
            subject=str(uuid.uuid4()),
            time=moment,
            data=payload.model_dump(mode="json"),
        )
        pending.append(
            await js.publish_async(
                nats_subject_for(event.type, settings.nats_subject_root),
                event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": event.id},
            )
        )
        count += 1
        if len(pending) >= 2000:
            await asyncio.gather(*pending)
            pending.clear()
        if count % 100_000 == 0:
            print(f"  published {count:,}", flush=True)
    await asyncio.gather(*pending)
    return count


async def raw_consume_rate(js: JetStreamContext, settings: Settings, expected: int) -> float:
    started = time.perf_counter()
    received = 0
    async with StreamReader(js, settings.nats_stream, f"{settings.nats_subject_root}.>") as reader:
        while received < expected:
            received += len(await reader.take(1000, wait_seconds=5.0))
    return received / (time.perf_counter() - started)


async def replay_rate(js: JetStreamContext, settings: Settings) -> tuple[float, int, int]:
    db = Database(settings.database_url)
    try:
        generation = await claim(db, js, settings, requested_by="bench")
        started = time.perf_counter()
        progress = await Replay(db, js, settings, generation).run()
        seconds = time.perf_counter() - started
    finally:
        await db.dispose()
    return progress.applied / seconds, progress.applied, progress.skipped


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def latencies(base_url: str, token: str, month: str) -> dict[str, tuple[float, float]]:
    headers = {"Authorization": f"Bearer {token}"}
    results = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        page_times = []
        cursor = None
        for n in range(300):
            params: dict[str, Any] = {
                "territory": TERRITORIES[n % len(TERRITORIES)],
                "tier": TIERS[n % len(TIERS)],
                "limit": 50,
            }
            if cursor and n % 3:
                params["cursor"] = cursor
            started = time.perf_counter()
            answer = await client.get("/v1/reports/partnerships", params=params, headers=headers)
            page_times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
            cursor = answer.json()["next_cursor"]
        results["partnerships page (territory + tier, 50)"] = percentiles(page_times[20:])
        central_times = []
        size = 0
        for _ in range(12):
            started = time.perf_counter()
            answer = await client.get(
                "/v1/reports/central", params={"period": month}, headers=headers
            )
            central_times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
            size = len(answer.content)
        results[f"central report {month} JSON ({size / 1e6:.1f} MB)"] = percentiles(
            central_times[2:]
        )
    return results


def create_postgres_database(server: str) -> str:
    name = f"tread_bench_reporting_{uuid.uuid4().hex[:8]}"
    url = make_url(server)

    async def create() -> None:
        connection = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


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


async def run(args: argparse.Namespace, settings: Settings) -> None:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    try:
        await ensure_streams(js, settings)
        started = time.perf_counter()
        count = await publish_history(js, settings, args.accounts, args.months)
        print(f"published {count:,} events in {time.perf_counter() - started:.0f}s", flush=True)
        raw = await raw_consume_rate(js, settings, count)
        print(f"raw JetStream consume: {raw:,.0f} events/s", flush=True)
        replay, applied, skipped = await replay_rate(js, settings)
        print(
            f"replay into fresh read models: {replay:,.0f} events/s "
            f"({applied:,} applied, {skipped} skipped; {replay / raw:.2f} of raw)",
            flush=True,
        )
    finally:
        await js.delete_stream(settings.nats_stream)
        await js.delete_stream(f"{settings.nats_stream}_DEADLETTER")
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--nats", help="a NATS server (default: one from the wheel)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tread-bench-reporting-"))
    private, public = generate_key_pair()
    server = None
    if args.nats:
        nats_url = args.nats
    else:
        server = NatsServer(workdir / "nats")
        server.start()
        nats_url = server.url
    database_url = (
        create_postgres_database(args.postgres)
        if args.postgres
        else f"sqlite+aiosqlite:///{workdir / 'reporting.db'}"
    )
    upgrade(MIGRATIONS_DIR, database_url, "reporting")
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=database_url,
        nats_url=nats_url,
        nats_stream=f"BENCHREPORTING{suffix.upper()}",
        nats_subject_root=f"benchreporting{suffix}",
        rebuild_cleanup_delay_seconds=0,
    )
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; "
        f"{args.accounts:,} accounts over {args.months} months",
        flush=True,
    )
    try:
        asyncio.run(run(args, settings))
        process = ServiceProcess(
            "tread_reporting",
            {
                "REPORTING_DATABASE_URL": database_url,
                "REPORTING_EVENTS_ENABLED": "false",
                "REPORTING_CENTRAL_REPORTS_ENABLED": "false",
                "REPORTING_JWT_PUBLIC_KEY": public,
                "REPORTING_LOG_LEVEL": "WARNING",
            },
            workdir / "reporting.log",
        )
        process.start(wait_ready=False)
        try:
            token = mint_token(private, sub="central-1", roles=["central"])
            month = month_start(date.today(), -args.months // 2)
            found = asyncio.run(latencies(process.base_url, token, f"{month:%Y-%m}"))
        finally:
            process.stop()
        for name, (p50, p99) in found.items():
            print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
    finally:
        if server is not None:
            server.stop()
        if args.postgres:
            drop_postgres_database(database_url)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")


if __name__ == "__main__":
    main()
