"""Inbox page and unread counts in the database alone: the repository's queries for a sample of
each role's users of ``bench/inbox_page.py``'s kept database, one after another (no service
process, no HTTP), median and max per role. With ``PYTHONPATH`` set to another version's
``services/inbox`` (``git archive <commit> services/inbox``), that version's queries on the
same data: rounds of the two alternated give a before/after in the same minutes.

    .venv/bin/python bench/inbox_queries.py postgresql+asyncpg://postgres@127.0.0.1:5432/NAME
        [--users-per-role 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

from tread_inbox.items import repository
from tread_shared.auth.principal import Principal
from tread_shared.db.engine import Database

sys.path.insert(0, str(Path(__file__).parent))
from inbox_page import people


async def measure(url: str, per_role: int, repeat: int) -> None:
    crowd = people(10_000)
    chooser = random.Random(5)
    roles = {
        "account managers": [
            Principal(sub, roles=frozenset({"account_manager"}))
            for sub in chooser.sample(crowd.account_managers, per_role)
        ],
        "key account managers": [
            Principal(sub, roles=frozenset({"key_account_manager"}))
            for sub in chooser.sample(crowd.key_account_managers, per_role)
        ],
        "district managers": [
            Principal(sub, roles=frozenset({"district_manager"}), territories=frozenset({place}))
            for sub, place in chooser.sample(crowd.district_managers, per_role)
        ],
        "central": [
            Principal(sub, roles=frozenset({"central"}))
            for sub in chooser.sample(crowd.central, per_role)
        ],
    }
    db = Database(url)
    try:
        async with db.unit_of_work() as session:
            for role, users in roles.items():
                for what in ("page", "counts"):
                    took = []
                    for principal in users * repeat:
                        started = time.perf_counter()
                        if what == "page":
                            await repository.page(
                                session, principal, kind=None, state=None, before_id=None, limit=50
                            )
                        else:
                            await repository.unread_counts(session, principal)
                        took.append((time.perf_counter() - started) * 1000)
                    took.sort()
                    print(
                        f"  {role} {what}: median {took[len(took) // 2]:.1f} ms,"
                        f" max {took[-1]:.1f} ms ({len(took)} queries)",
                        flush=True,
                    )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--users-per-role", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"tread_inbox from {Path(repository.__file__).parents[2]}; load {os.getloadavg()[0]:.1f}")
    asyncio.run(measure(args.url, args.users_per_role, args.repeat))
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
