"""Inbox page: ``GET /v1/inbox`` for 10,000 users over 1,000,000 items, open loop.

1. Seeds a freshly migrated inbox database the way the service stores what events bring: the
   account directory (``--accounts`` accounts, each owned by an account manager, a quarter of
   them with a key account manager, each in a territory), and ``--items`` items addressed as
   ``items/events.py`` addresses them — portfolio alerts (renewals, escalated cases: owner,
   key account manager, district manager), credit blocks (owner, key account manager), offer
   approvals (district manager), plan approvals (district manager, key account manager, by
   territory), items named to one user (assigned cases, deviations, digests) and arguments
   for central — with ids in time order over the last year, a tenth of the decisions done,
   and a receipt (read, a third of them done) for about a third of the items.
2. ``--users`` users (account managers, key account managers, district managers of one
   territory each, central), each with a token. Open loop at ``--rate`` requests a second for
   ``--seconds``, each for a random user: the first page (half), the unread counts
   (``/v1/inbox/counts``, three in ten) or the second page by the first page's cursor (two in
   ten), against an inbox process (uvicorn) the bench starts: p50/p99 of each and of all,
   and the answers that were not 200.

    .venv/bin/python bench/inbox_page.py [--users 10000] [--items 1000000] [--accounts 80000]
        [--rate 50] [--seconds 30]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--keep NAME]

``--keep NAME`` (with ``--postgres``) uses the database NAME, seeding it only if it holds no
items yet, and leaves it in place for the next run: seeding a million items takes minutes.
``--service-path DIR`` runs the inbox process of another version (its ``tread_inbox`` found
first in DIR) on the same data, for before/after rounds in the same minutes; that version must
read the schema the migrations here leave.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
from sqlalchemy import func, insert, select, update

from tread_inbox import MIGRATIONS_DIR
from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.models import InboxItem, ItemReceipt
from tread_inbox.stream.models import ChangeCounter
from tread_inbox.stream.repository import ITEMS
from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.db.engine import Database
from tread_shared.db.migrations import upgrade
from tread_shared.testing.nats_server import NatsServer
from tread_shared.testing.processes import ServiceProcess

sys.path.insert(0, str(Path(__file__).parent))
from actionplans import (
    create_postgres_database,
    drop_postgres_database,
    percentiles,
    vacuum_analyze,
)
from inbox import cpu_seconds

CHUNK = 5_000
TERRITORIES = 200


@dataclass
class People:
    """The users by role (ids as the tokens' ``sub``), and district managers' territories."""

    account_managers: list[str] = field(default_factory=list)
    key_account_managers: list[str] = field(default_factory=list)
    district_managers: list[tuple[str, str]] = field(default_factory=list)
    central: list[str] = field(default_factory=list)


def people(users: int) -> People:
    """80 % account managers, 10 % key account managers, 8 % district managers (one territory
    each, four a territory with 10,000 users), 2 % central."""
    found = People()
    found.central = [f"central-{n:04d}" for n in range(max(1, users // 50))]
    found.district_managers = [
        (f"dm-{n:04d}", territory(n)) for n in range(max(1, users * 8 // 100))
    ]
    found.key_account_managers = [f"kam-{n:04d}" for n in range(max(1, users // 10))]
    rest = users - len(found.central) - len(found.district_managers)
    found.account_managers = [
        f"am-{n:04d}" for n in range(max(1, rest - len(found.key_account_managers)))
    ]
    return found


def territory(n: int) -> str:
    return f"territory-{n % TERRITORIES:03d}"


def uuid7_at(moment: datetime, chooser: random.Random) -> uuid.UUID:
    """A UUID v7 of ``moment`` (what ``new_id`` gives at that time): ids sort as ``since``."""
    value = (int(moment.timestamp() * 1000) & ((1 << 48) - 1)) << 80
    value |= chooser.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)


# Kind, share of the items, roles it reaches (as items/events.py addresses it), named to one.
MIX: list[tuple[str, float, frozenset[str], str | None]] = [
    ("renewal_due", 0.30, frozenset({"am", "kam", "dm"}), None),
    ("case_escalated", 0.15, frozenset({"am", "kam", "dm"}), None),
    ("credit_blocked", 0.10, frozenset({"am", "kam"}), None),
    ("offer_approval", 0.10, frozenset({"dm"}), None),
    ("plan_approval", 0.05, frozenset({"dm", "kam"}), None),
    ("case_assigned", 0.15, frozenset(), "owner"),
    ("deviation_opened", 0.05, frozenset(), "owner"),
    ("digest_issued", 0.08, frozenset(), "anyone"),
    ("argument_validation", 0.02, frozenset({"central"}), None),
]
TERRITORIAL = {"plan_approval", "deviation_opened"}
DECISIONS = {"offer_approval", "plan_approval", "case_assigned", "argument_validation"}


async def seed(database_url: str, crowd: People, accounts: int, items: int) -> None:
    # Here, not at the top: bench/inbox_queries.py imports this module under older versions.
    from tread_inbox.items.models import OpenItemCount
    from tread_inbox.items.service import open_audience

    db = Database(database_url)
    chooser = random.Random(7)
    now = datetime.now(UTC)
    year = timedelta(days=365).total_seconds()
    directory: list[dict[str, Any]] = []
    for n in range(accounts):
        owner = crowd.account_managers[n % len(crowd.account_managers)]
        kam = (
            crowd.key_account_managers[n % len(crowd.key_account_managers)] if n % 4 == 0 else None
        )
        directory.append(
            {
                "account_id": uuid.UUID(int=chooser.getrandbits(128)),
                "version": 1,
                "name": f"Dealer {n}",
                "kind": "dealer",
                "status": "active",
                # An account manager's accounts are all in one territory.
                "territory": territory(n % len(crowd.account_managers)),
                "owner_id": owner,
                "key_account_manager_id": kam,
                "parent_id": None,
                "segment": "truck_dealer",
                "erp_customer_id": f"ERP-{n}",
                "quadrant": None,
                "deleted": False,
                "updated_at": now,
            }
        )
    everyone = (
        crowd.account_managers
        + crowd.key_account_managers
        + [dm for dm, _ in crowd.district_managers]
        + crowd.central
    )
    dms_of: dict[str, list[str]] = {}
    for dm, place in crowd.district_managers:
        dms_of.setdefault(place, []).append(dm)
    kinds = [kind for kind, *_ in MIX]
    weights = [share for _, share, *_ in MIX]
    addressing = {kind: (roles, named) for kind, _, roles, named in MIX}
    # Items in time order over the last year, as events brought them.
    moments = sorted(now - timedelta(seconds=chooser.random() * year) for _ in range(items))
    open_counts: Counter[tuple[Any, ...]] = Counter()
    pending: dict[Any, list[dict[str, Any]]] = {
        InboxItem.__table__: [],
        ItemReceipt.__table__: [],
    }

    async def flush(force: bool = False) -> None:
        if not force and len(pending[InboxItem.__table__]) < CHUNK:
            return
        async with db.unit_of_work() as session:
            for table, rows in pending.items():
                if rows:
                    await session.execute(insert(table), rows)
                    rows.clear()

    try:
        async with db.unit_of_work() as session:
            for start in range(0, len(directory), CHUNK):
                await session.execute(insert(AccountDirectory), directory[start : start + CHUNK])
        for position, since in enumerate(moments, start=1):
            kind = chooser.choices(kinds, weights)[0]
            roles, named = addressing[kind]
            account = None
            if kind not in ("argument_validation", "digest_issued"):
                account = directory[chooser.randrange(len(directory))]
            recipient = None
            if named == "owner":
                assert account is not None
                recipient = account["owner_id"]
            elif named == "anyone":
                recipient = everyone[chooser.randrange(len(everyone))]
            item_id = uuid7_at(since, chooser)
            done = kind in DECISIONS and chooser.random() < 0.1
            pending[InboxItem.__table__].append(
                {
                    "id": item_id,
                    "key": f"bench:{position}",
                    "kind": kind,
                    "category": "decision" if kind in DECISIONS else "alert",
                    "title": f"A {kind.replace('_', ' ')} for the bench, item {position}",
                    "reason": "The account is in your portfolio or territory",
                    "resource_type": "case",
                    "resource_id": str(position),
                    "resource_url": f"/v1/cases/{position}",
                    "account_id": account["account_id"] if account else None,
                    # Only plans and deviations name a territory (items/events.py).
                    "territory": account["territory"] if account and kind in TERRITORIAL else None,
                    "recipient_id": recipient,
                    "for_account_manager": "am" in roles,
                    "for_key_account_manager": "kam" in roles,
                    "for_district_manager": "dm" in roles,
                    "for_central": "central" in roles,
                    # The account's audience, kept with the item (service._keep_audience).
                    "account_owner_id": account["owner_id"] if account else None,
                    "account_key_account_manager_id": (
                        account["key_account_manager_id"] if account else None
                    ),
                    "account_territory": account["territory"] if account else None,
                    "since": since,
                    "done_at": since if done else None,
                    "done_by": "someone" if done else None,
                    "deleted_at": None,
                    "position": position,
                    "updated_at": since,
                }
            )
            audience = open_audience(
                cast(InboxItem, SimpleNamespace(**pending[InboxItem.__table__][-1]))
            )
            if audience is not None:
                open_counts[(*audience, kind)] += 1
            # A third of the items were opened by someone they reach; a third of those done.
            if chooser.random() < 1 / 3:
                if recipient is not None:
                    reader = recipient
                elif "central" in roles:
                    reader = crowd.central[chooser.randrange(len(crowd.central))]
                elif "am" in roles:
                    assert account is not None
                    reader = account["owner_id"]
                else:
                    assert account is not None
                    reader = chooser.choice(dms_of.get(account["territory"], ["nobody"]))
                read_at = since + timedelta(hours=chooser.random() * 48)
                pending[ItemReceipt.__table__].append(
                    {
                        "item_id": item_id,
                        "user_id": reader,
                        "read_at": read_at,
                        "done_at": read_at if chooser.random() < 1 / 3 else None,
                        "updated_at": read_at,
                    }
                )
            await flush()
            if position % 100_000 == 0:
                print(f"  seeded {position:,} items", flush=True)
        await flush(force=True)
        # The open items per role audience and kind, as the service counts them.
        counted = [
            {
                "owner_id": owner,
                "key_account_manager_id": kam,
                "territory": place,
                "for_central": central,
                "kind": kind,
                "open": n,
            }
            for (owner, kam, place, central, kind), n in open_counts.items()
        ]
        async with db.unit_of_work() as session:
            for start in range(0, len(counted), CHUNK):
                await session.execute(insert(OpenItemCount), counted[start : start + CHUNK])
        async with db.unit_of_work() as session:
            await session.execute(
                update(ChangeCounter).where(ChangeCounter.name == ITEMS).values(position=items)
            )
    finally:
        await db.dispose()


async def seeded_items(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            return int(await session.scalar(select(func.count()).select_from(InboxItem)) or 0)
    finally:
        await db.dispose()


def tokens(private: str, crowd: People) -> list[tuple[str, str]]:
    """Each user's token and role."""
    minted = [
        (mint_token(private, sub=sub, roles=[role], territories=places), role)
        for sub, role, places in [
            *((sub, "account_manager", ()) for sub in crowd.account_managers),
            *((sub, "key_account_manager", ()) for sub in crowd.key_account_managers),
            *((sub, "district_manager", (place,)) for sub, place in crowd.district_managers),
            *((sub, "central", ()) for sub in crowd.central),
        ]
    ]
    return minted


async def load(
    base_url: str, users: list[tuple[str, str]], rate: float, seconds: float, pid: int
) -> tuple[dict[str, list[float]], dict[str, int], dict[str, int], float]:
    """Open loop: a request every 1/rate s, whatever the answers' pace. Per request type: the
    durations, the answers not 200, the items returned; and the CPU process ``pid`` used."""
    chooser = random.Random(11)
    samples: dict[str, list[float]] = {"first page": [], "second page": [], "counts": []}
    failures = dict.fromkeys(samples, 0)
    returned = dict.fromkeys(samples, 0)
    cursors: dict[int, str] = {}
    by_role: dict[str, list[float]] = {role: [] for _, role in users}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def get(what: str, user: int, path: str, params: dict[str, str]) -> None:
            started = time.perf_counter()
            response = await client.get(
                path, params=params, headers={"Authorization": f"Bearer {users[user][0]}"}
            )
            samples[what].append(time.perf_counter() - started)
            by_role[users[user][1]].append(samples[what][-1])
            if response.status_code != 200:
                failures[what] += 1
                return
            body = response.json()
            if what == "counts":
                returned[what] += body["total"]
                return
            returned[what] += len(body["items"])
            if what == "first page" and body["next_cursor"]:
                cursors[user] = body["next_cursor"]

        # Warm-up, out of the figures: first pages of some users, whose cursors the second
        # pages use.
        for user in chooser.sample(range(len(users)), 300):
            await get("first page", user, "/v1/inbox", {})
        for values in [*samples.values(), *by_role.values()]:
            values.clear()
        failures.update(dict.fromkeys(failures, 0))
        returned.update(dict.fromkeys(returned, 0))

        tasks = []
        cpu_before = cpu_seconds(pid)
        began = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            draw = chooser.random()
            if draw < 0.2 and cursors:
                user = chooser.choice(list(cursors))
                call = get("second page", user, "/v1/inbox", {"cursor": cursors[user]})
            elif draw < 0.5:
                call = get("counts", chooser.randrange(len(users)), "/v1/inbox/counts", {})
            else:
                call = get("first page", chooser.randrange(len(users)), "/v1/inbox", {})
            tasks.append(asyncio.create_task(call))
        await asyncio.gather(*tasks)
        cpu = cpu_seconds(pid) - cpu_before
    for role, values in by_role.items():
        if values:
            p50, p99 = percentiles(values)
            print(f"  {role}: {len(values)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return samples, failures, returned, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=80_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--postgres", help="an admin URL; a scratch database is created")
    parser.add_argument("--keep", help="with --postgres: this database, seeded once and kept")
    parser.add_argument(
        "--service-path",
        help="a directory put first on the inbox process's PYTHONPATH (another version of"
        " tread_inbox, e.g. `git archive <commit> services/inbox`'s services/inbox), to compare"
        " two versions on the same data in one sitting",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tread-bench-inbox-page-"))
    private, public = generate_key_pair()
    server = NatsServer(workdir / "nats")
    server.start()
    suffix = secrets.token_hex(4)
    database_url = (
        create_postgres_database(args.postgres, args.keep or f"tread_bench_inbox_{suffix}")
        if args.postgres
        else f"sqlite+aiosqlite:///{workdir / 'inbox.db'}"
    )
    crowd = people(args.users)
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" database: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.users:,} users"
        f" ({len(crowd.account_managers):,} account managers, {len(crowd.key_account_managers):,}"
        f" key account managers, {len(crowd.district_managers):,} district managers,"
        f" {len(crowd.central):,} central), {args.accounts:,} accounts, {args.items:,} items",
        flush=True,
    )
    try:
        upgrade(MIGRATIONS_DIR, database_url, "inbox")
        existing = asyncio.run(seeded_items(database_url)) if args.keep else 0
        if existing:
            print(f"reusing {existing:,} seeded items in {args.keep}", flush=True)
        else:
            started = time.perf_counter()
            asyncio.run(seed(database_url, crowd, args.accounts, args.items))
            print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
            if args.postgres:
                vacuum_analyze(database_url)
        process = ServiceProcess(
            "tread_inbox",
            {
                "INBOX_DATABASE_URL": database_url,
                "INBOX_NATS_URL": server.url,
                "INBOX_NATS_STREAM": f"BENCHINBOXPAGE{suffix.upper()}",
                "INBOX_NATS_SUBJECT_ROOT": f"benchinboxpage{suffix}",
                "INBOX_SCHEDULE_ENABLED": "false",
                "INBOX_JWT_PUBLIC_KEY": public,
                "INBOX_LOG_LEVEL": "WARNING",
                **({"PYTHONPATH": args.service_path} if args.service_path else {}),
            },
            workdir / "inbox.log",
        )
        process.start(timeout=180)
        assert process.process is not None
        pid = process.process.pid
        load_before = os.getloadavg()
        try:
            samples, failures, returned, cpu = asyncio.run(
                load(process.base_url, tokens(private, crowd), args.rate, args.seconds, pid)
            )
        finally:
            process.stop()
        requests = sum(len(values) for values in samples.values())
        print(
            f"GET /v1/inbox at {args.rate:g}/s for {args.seconds:g} s (load average"
            f" {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}; inbox process CPU"
            f" {cpu:.1f} s, {cpu / requests * 1000:.1f} ms a request):",
            flush=True,
        )
        for what, values in samples.items():
            if not values:
                continue
            p50, p99 = percentiles(values)
            print(
                f"  {what}: {len(values)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                f" ({failures[what]} not 200; {returned[what] / len(values):.1f}"
                f" {'unread' if what == 'counts' else 'items'} each on average)",
                flush=True,
            )
        p50, p99 = percentiles([x for values in samples.values() for x in values])
        print(
            f"  all: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({sum(failures.values())} not 200)",
            flush=True,
        )
    finally:
        server.stop()
        if args.postgres and not args.keep:
            drop_postgres_database(database_url)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")


if __name__ == "__main__":
    main()
