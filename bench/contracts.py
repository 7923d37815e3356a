"""Contracts service: how long the partnership steps take through HTTP, on a real database.

Runs the service in-process (lifespan, middleware, outbox in the same transaction; no broker:
events stay in the outbox) on a fresh SQLite file, or on PostgreSQL with ``--postgres URL``.
Accounts enter the directory through the account-event handlers, as the consumer would apply
them. Prints p50/p95 per step and the whole lifecycle's throughput.

    .venv/bin/python bench/contracts.py [--contracts 200] [--postgres postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from tread_contracts import MIGRATIONS_DIR
from tread_contracts.app import create_app
from tread_contracts.directory.models import AccountDirectory
from tread_contracts.settings import Settings
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.clock import utcnow
from tread_shared.db.migrations import upgrade
from tread_shared.directory.handlers import entry_row, upsert_entries
from tread_shared.events.payloads.accounts import AccountDirectoryEntry
from tread_shared.testing.plugin import serve_in_process

timings: dict[str, list[float]] = defaultdict(list)


async def timed(
    client: httpx.AsyncClient,
    step: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    response = await client.request(method, path, headers=headers, json=body, params=params)
    timings[step].append(time.perf_counter() - started)
    if response.status_code >= 300:
        raise RuntimeError(f"{step}: {response.status_code} {response.text}")
    answer: dict[str, Any] = response.json()
    return answer


async def postgres_admin(postgres: str, statement: str) -> None:
    admin = make_url(postgres).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def fresh_database(postgres: str | None, folder: Path) -> str:
    if postgres is None:
        return f"sqlite+aiosqlite:///{folder / 'contracts.db'}"
    name = f"tread_bench_contracts_{uuid.uuid4().hex[:8]}"
    await postgres_admin(postgres, f'CREATE DATABASE "{name}"')
    url: str = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    return url


async def run(contracts: int, postgres: str | None) -> None:
    private_pem, public_pem = generate_key_pair()
    with tempfile.TemporaryDirectory() as folder:
        url = await fresh_database(postgres, Path(folder))
        await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "contracts")
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
        app = create_app(settings)
        async with serve_in_process(app) as client:
            account_ids = [uuid.uuid4() for _ in range(contracts)]
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
            program = await timed(
                client,
                "create program",
                "POST",
                "/v1/programs",
                central,
                {"name": "Bench", "tiers": [tier]},
            )
            year = utcnow().year
            signature = {
                "signer_name": "S",
                "signer_role": "R",
                "method": "e-signature",
                "document_sha256": "a" * 64,
            }
            started = time.perf_counter()
            for account_id in account_ids:
                draft = await timed(
                    client,
                    "create contract",
                    "POST",
                    "/v1/contracts",
                    am,
                    {
                        "account_id": str(account_id),
                        "program_id": program["id"],
                        "tier": "gold",
                        "start_date": f"{year}-01-01",
                        "end_date": f"{year}-12-31",
                        "commitments": [{"kind": "volume", "period": str(year), "quantity": 6000}],
                    },
                )
                path = f"/v1/contracts/{draft['id']}"
                await timed(client, "submit", "POST", f"{path}/submit", am)
                await timed(
                    client,
                    "customer signs",
                    "POST",
                    f"{path}/sign",
                    am,
                    {"party": "customer", **signature},
                )
                await timed(
                    client,
                    "manufacturer signs (activates)",
                    "POST",
                    f"{path}/sign",
                    dm,
                    {"party": "manufacturer", **signature},
                )
                await timed(
                    client,
                    "audit",
                    "POST",
                    "/v1/audits",
                    am,
                    {
                        "account_id": str(account_id),
                        "contract_id": draft["id"],
                        "performed_at": utcnow().isoformat(),
                        "auditor": "A",
                        "scores": [{"criterion": "LP1", "score": 60}],
                    },
                )
                await timed(client, "compliance", "GET", f"{path}/compliance", am)
            elapsed = time.perf_counter() - started
            await timed(
                client, "list 50 contracts", "GET", "/v1/contracts", am, params={"limit": 50}
            )
            await timed(
                client,
                "renewal due within 400 days",
                "GET",
                "/v1/contracts",
                dm,
                params={"renewal_due_within_days": 400, "limit": 50},
            )
        if postgres is not None:
            database = make_url(url).database
            await postgres_admin(postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    backend = "PostgreSQL" if postgres else "SQLite"
    print(f"contracts bench: {contracts} partnerships on {backend}")
    print(f"{'step':34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for step, values in timings.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(
            f"{step:34} {len(values):5d} {statistics.median(values) * 1000:8.1f} {p95 * 1000:8.1f}"
        )
    print(f"draft → active → audit → compliance: {contracts / elapsed:.1f} partnerships/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--postgres", help="an admin URL; a scratch database is created")
    args = parser.parse_args()
    asyncio.run(run(args.contracts, args.postgres))


if __name__ == "__main__":
    main()
