"""Accounts at 10x the data: the indexed reads' p99 at 100,000 and at 1,000,000 accounts.

Issue 12: 1,000,000 accounts cost at most 1.5x the p99 of an indexed read at 100,000, for a
GET by id and the list page (territory + status, 50). Runs ``bench/accounts.py``'s whole
measure (the stack by ``tread up``, the data by COPY, the raw endpoint, wrk) once per size,
databases ``bench_tenfold_*`` of its own, and prints the p99 of each target at each size,
above all the open-loop ones (``--rate`` requests/s, below what the machine serves: latency,
not queueing), with their ratio. The raw endpoint measured in each run says how much of a
difference is the machine's.

    .venv/bin/python bench/tenfold.py [--sizes 100000,1000000] [--seconds 10] [--rate 100]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import accounts as accounts_bench

# Databases of its own: bench/accounts.py (bench_*) may run at the same time.
accounts_bench.PREFIX = "bench_tenfold_"


async def measure(size: int, args: argparse.Namespace) -> list[Any]:
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
                keep=False,
                workers=None,
            )
        )
    finally:
        accounts_bench.report = report
    return captured


async def run(args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.sizes.split(",")]
    by_size = {size: await measure(size, args) for size in sizes}
    first, last = sizes[0], sizes[-1]
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"| target | p99 ms at {first:,} | p99 ms at {last:,} | ratio | req/s at {first:,} "
          f"| req/s at {last:,} |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for small, large in zip(by_size[first], by_size[last], strict=True):
        label = accounts_bench.run_label(small)
        print(
            f"| {label} | {small.p99_ms:.1f} | {large.p99_ms:.1f} | "
            f"{large.p99_ms / small.p99_ms:.2f} | {small.per_second:,.0f} | "
            f"{large.per_second:,.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TREAD_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s, open loop")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
