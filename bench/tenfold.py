"""Accounts at 10x the data: the indexed reads' p99 at 100,000 and at 1,000,000 accounts.

Issue 12: 1,000,000 accounts cost at most 1.5x the p99 of an indexed read at 100,000, for a
GET by id and the list page (territory + status, 50). Runs ``bench/accounts.py``'s whole
measure (the stack by ``tread up``, the data by COPY, the raw endpoint, wrk) once per size,
databases ``bench_tenfold_*`` of its own, and prints the p99 of each target at each size,
above all the open-loop ones (``--rate`` requests/s, below what the machine serves: latency,
not queueing), with their ratio. The raw endpoint measured in each run says how much of a
difference is the machine's. Then, before the databases are dropped, the two statements alone
(2,000 reads by random id and 200 list pages, one at a time over one connection): the data's
size shows there first, least disturbed by other load.

    .venv/bin/python bench/tenfold.py [--sizes 100000,1000000] [--seconds 10] [--rate 100]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any

import accounts as accounts_bench
import asyncpg

# Databases of its own: bench/accounts.py (bench_*) may run at the same time.
accounts_bench.PREFIX = "bench_tenfold_"


@dataclass
class QueryTimes:
    """The indexed statements' own time, timed one at a time over one connection: the data's
    size shows here first, and far less disturbed by other load than a served request."""

    by_id: list[float]
    page: list[float]

    @staticmethod
    def p(values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def query_times(postgres: str, count: int = 2000) -> QueryTimes:
    dsn = accounts_bench.database_dsn(postgres, accounts_bench.PREFIX + "accounts")
    connection = await asyncpg.connect(dsn)
    try:
        ids = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM accounts ORDER BY random() LIMIT $1", count
            )
        ]
        one = await connection.prepare(accounts_bench.RAW_ONE)
        page = await connection.prepare(accounts_bench.RAW_LIST)
        times = QueryTimes([], [])
        for n, account_id in enumerate(ids):
            started = time.perf_counter()
            await one.fetchrow(account_id)
            times.by_id.append(time.perf_counter() - started)
            if n % 10 == 0:
                territory = accounts_bench.TERRITORIES[n // 10 % len(accounts_bench.TERRITORIES)]
                started = time.perf_counter()
                await page.fetch(territory, "active", 51)
                times.page.append(time.perf_counter() - started)
        return times
    finally:
        await connection.close()


async def measure(size: int, args: argparse.Namespace) -> tuple[list[Any], QueryTimes]:
    captured: list[Any] = []
    report = accounts_bench.report

    def keep(run_args: argparse.Namespace, results: list[Any], memory: dict[str, float]) -> None:
        captured.extend(results)
        report(run_args, results, memory)

    accounts_bench.report = keep
    try:
        await accounts_bench.run(
            argparse.Namespace(
                postgres=args.postgres,
                only="raw,direct,list,paced",
                accounts=size,
                activities=0,
                sample=20_000,
                seconds=args.seconds,
                rounds=1,
                rate=args.rate,
                profile=None,
                keep=True,
                workers=None,
            )
        )
        times = await query_times(args.postgres)
    finally:
        accounts_bench.report = report
        await accounts_bench.drop_databases(args.postgres)
    return captured, times


async def run(args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.sizes.split(",")]
    by_size = {size: await measure(size, args) for size in sizes}
    first, last = sizes[0], sizes[-1]
    print()
    print(f"| statement, alone | p50 ms at {first:,} | p99 ms at {first:,} | p50 ms at {last:,} "
          f"| p99 ms at {last:,} | p99 ratio |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for label, field_name in (("by id", "by_id"), ("list page (51 rows)", "page")):
        small_times = getattr(by_size[first][1], field_name)
        large_times = getattr(by_size[last][1], field_name)
        print(
            f"| {label} | {QueryTimes.p(small_times, 0.5):.2f} | "
            f"{QueryTimes.p(small_times, 0.99):.2f} | {QueryTimes.p(large_times, 0.5):.2f} | "
            f"{QueryTimes.p(large_times, 0.99):.2f} | "
            f"{QueryTimes.p(large_times, 0.99) / QueryTimes.p(small_times, 0.99):.2f} |"
        )
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"| target | p99 ms at {first:,} | p99 ms at {last:,} | ratio | req/s at {first:,} "
          f"| req/s at {last:,} |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for small, large in zip(by_size[first][0], by_size[last][0], strict=True):
        label = accounts_bench.run_label(small)
        print(
            f"| {label} | {small.p99_ms:.1f} | {large.p99_ms:.1f} | "
            f"{large.p99_ms / small.p99_ms:.2f} | {small.per_second:,.0f} | "
            f"{large.per_second:,.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    accounts_bench.add_postgres_argument(parser)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s, open loop")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
