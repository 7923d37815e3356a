"""Tasks get database connections in the order they asked, however many arrive meanwhile."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from tread_shared.db.admission import ConnectionQueue, DatabaseBusy


async def test_waiting_tasks_are_served_in_arrival_order_even_when_others_keep_arriving() -> None:
    queue = ConnectionQueue(capacity=2, wait_seconds=5)
    served: list[str] = []
    release_first = asyncio.Event()

    async def use(name: str, hold: asyncio.Event | None = None) -> None:
        async with queue.place():
            served.append(name)
            if hold is not None:
                await hold.wait()
            else:
                await asyncio.sleep(0.001)

    holders = [asyncio.create_task(use(f"holder-{n}", release_first)) for n in range(2)]
    await asyncio.sleep(0.01)
    early = [asyncio.create_task(use(f"early-{n}")) for n in range(5)]
    await asyncio.sleep(0.01)
    assert queue.waiting == 5
    release_first.set()
    # Latecomers arriving while the early ones are being served must not pass them.
    late = []
    for n in range(5):
        late.append(asyncio.create_task(use(f"late-{n}")))
        await asyncio.sleep(0)
    await asyncio.gather(*holders, *early, *late)

    assert served[2:7] == [f"early-{n}" for n in range(5)]
    assert served[7:] == [f"late-{n}" for n in range(5)]


async def test_a_task_holding_a_place_opens_another_unit_of_work_without_waiting() -> None:
    queue = ConnectionQueue(capacity=1, wait_seconds=0.2)
    async with queue.place(), queue.place():
        # Nested: would wait behind itself, and time out, if it queued again.
        assert queue.waiting == 0


async def test_no_place_within_the_wait_is_database_busy_and_frees_nothing() -> None:
    queue = ConnectionQueue(capacity=1, wait_seconds=0.05)
    held = asyncio.Event()
    done = asyncio.Event()

    async def hold() -> None:
        async with queue.place():
            held.set()
            await done.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    with pytest.raises(DatabaseBusy):
        async with queue.place():
            raise AssertionError("a place was given while the only one was held")
    done.set()
    await holder
    async with queue.place():
        assert queue.waiting == 0


def _task(coroutine: Coroutine[Any, Any, Callable[[], None]]) -> asyncio.Task[Callable[[], None]]:
    """A task asking for a place in a context of its own (a place held in the test's context
    would let it in at once, as a nested unit of work)."""
    return asyncio.create_task(coroutine, context=contextvars.Context())


async def test_a_place_handed_to_a_task_cancelled_meanwhile_goes_to_the_next() -> None:
    queue = ConnectionQueue(capacity=1, wait_seconds=5)
    leave = await _task(queue.enter())
    first, second = _task(queue.enter()), _task(queue.enter())
    await asyncio.sleep(0.01)
    assert queue.waiting == 2

    leave()  # the place is the first's now…
    first.cancel()  # …which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first

    leave_second = await asyncio.wait_for(second, timeout=1)
    leave_second()
    again = await asyncio.wait_for(_task(queue.enter()), timeout=0.1)  # the queue is whole
    again()


async def test_a_task_cancelled_while_waiting_takes_no_place_and_holds_no_one_up() -> None:
    queue = ConnectionQueue(capacity=1, wait_seconds=5)
    leave = await _task(queue.enter())
    gone, next_in_line = _task(queue.enter()), _task(queue.enter())
    await asyncio.sleep(0.01)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert queue.waiting == 1

    leave()
    (await asyncio.wait_for(next_in_line, timeout=1))()
    (await asyncio.wait_for(_task(queue.enter()), timeout=0.1))()
