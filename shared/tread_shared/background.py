"""Stopping background tasks for good.

A task is cancelled again until it has ended: on Python 3.11 ``asyncio.wait_for`` and
``asyncio.timeout`` (inside nats-py, SQLAlchemy's pool, our own code) can swallow a cancellation
that arrives as their timeout fires, and a loop that sleeps and polls then carries on forever.
A single ``task.cancel()`` followed by ``gather`` waited for it without end: a service's
shutdown, and the test suite with it, hung on an idle event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("tread.background")


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]], *, every: float = 0.5) -> None:
    """Cancel ``tasks`` and wait until each has ended, cancelling again every ``every``
    seconds those that have not; a task that had failed is logged."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=every)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s had failed", task.get_name(), exc_info=task.exception())
