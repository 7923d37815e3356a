"""A background task that swallows a cancellation (as Python 3.11's ``wait_for`` can, when the
cancellation arrives as its timeout fires) is still stopped: a service's shutdown never hangs."""

from __future__ import annotations

import asyncio
import contextlib

from tread_shared.background import stop_tasks


async def _poll_swallowing_the_first_cancellation(polls: list[int]) -> None:
    swallowed = False
    while True:
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed = True  # as a wait_for racing its own timeout does
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
        polls.append(1)


async def test_a_task_that_swallowed_a_cancellation_is_stopped_all_the_same() -> None:
    polls: list[int] = []
    task = asyncio.create_task(_poll_swallowing_the_first_cancellation(polls))
    await asyncio.sleep(0.05)

    await asyncio.wait_for(stop_tasks([task], every=0.1), timeout=2)

    assert task.cancelled()


async def test_one_cancel_and_a_gather_would_have_waited_for_ever() -> None:
    """The way tasks were stopped before: the test fails if it ends (the swallow works)."""
    polls: list[int] = []
    task = asyncio.create_task(_poll_swallowing_the_first_cancellation(polls))
    await asyncio.sleep(0.05)
    task.cancel()
    gathered = asyncio.gather(task, return_exceptions=True)

    done, _ = await asyncio.wait({gathered}, timeout=0.3)

    assert not done and not task.done()
    count = len(polls)
    await asyncio.sleep(0.05)
    assert len(polls) > count  # still polling
    await stop_tasks([task])
    with contextlib.suppress(asyncio.CancelledError):
        await gathered
