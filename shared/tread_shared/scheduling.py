"""Periodic jobs run inside a service's lifespan (contract expiries, renewal reminders…).

Every replica runs every job, so a job must be safe to run at the same time twice: do the work
item by item, each in a unit of work that would conflict with another replica doing the same item
(a unique row, a row version), and treat the conflict as "already done"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI

from tread_shared.app import ServiceRuntime
from tread_shared.background import stop_tasks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    """``run(runtime)`` every ``interval_seconds`` (with a little jitter, so that replicas
    started together do not run in step), the first time ``first_delay_seconds`` after start."""

    name: str
    interval_seconds: float
    run: Callable[[ServiceRuntime], Awaitable[object]]
    first_delay_seconds: float = 5.0


async def run_periodically(job: ScheduledJob, runtime: ServiceRuntime) -> None:
    """Run ``job`` until cancelled; a failed run is logged and retried at the next interval."""
    await asyncio.sleep(job.first_delay_seconds)
    while True:
        try:
            await job.run(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduled job %s failed", job.name)
        await asyncio.sleep(job.interval_seconds * random.uniform(0.9, 1.1))


def with_scheduled_jobs(app: FastAPI, jobs: Sequence[ScheduledJob]) -> FastAPI:
    """Start ``jobs`` once the service's lifespan has set up its runtime; stop them first."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            runtime: ServiceRuntime = app_.state.runtime
            tasks = [
                asyncio.create_task(run_periodically(job, runtime), name=f"job-{job.name}")
                for job in jobs
            ]
            try:
                yield
            finally:
                await stop_tasks(tasks)

    app.router.lifespan_context = lifespan
    return app
