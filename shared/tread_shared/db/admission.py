"""Database connections handed out in the order they were asked for.

SQLAlchemy's async pool is not fair: a connection given back wakes the oldest waiter, but a
task arriving meanwhile takes it first, and the woken waiter queues again at the back. Under
more concurrent requests than connections a few requests then wait for seconds while the rest
pass (bench/accounts.py: p99 1.5 s, maximum 6.5 s, median 25 ms). Tasks here queue on a FIFO
queue sized to the pool before they touch it, so the pool never has waiters and the wait
is shared evenly.

The queue is a deque of futures with one timer handle per wait, not an ``asyncio.Semaphore``
inside ``asyncio.timeout``: under load nearly every request waits its turn, and the timeout's
context manager (its handle, the task's cancel and uncancel bookkeeping) cost 14 to 22 µs of
CPU a turn against 5 to 7 for the wait itself (50 tasks on 10 places)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
from collections.abc import Callable

# The queues the current task (and the tasks it starts) already holds a place in: a unit of
# work opened inside another one must not wait behind itself.
_holding: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "tread_db_admission", default=frozenset()
)


class DatabaseBusy(TimeoutError):
    """No connection came free within the wait allowed: the database is overloaded or down."""


class ConnectionQueue:
    """At most ``capacity`` tasks use the database at once; the others wait in arrival order,
    each for at most ``wait_seconds``."""

    def __init__(self, capacity: int, wait_seconds: float) -> None:
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self._free = capacity
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        """Tasks waiting for a place (for metrics and tests)."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    def place(self) -> _Place:
        """A place for the block (``async with queue.place():``): :meth:`enter` and its undo.
        A plain object, not an ``asynccontextmanager``, whose generator costs every read and
        unit of work a few microseconds more."""
        return _Place(self)

    async def enter(self) -> Callable[[], None]:
        """Take a place (waiting in turn, :class:`DatabaseBusy` after ``wait_seconds``); the
        function returned gives it back. ``place`` as a call and its undo, for a holder whose
        end is not a block (``ReadSession``, given back when its request ends)."""
        held = _holding.get()
        if id(self) in held:
            return _nothing
        if self._free > 0:
            # A place is free only when no task waits (one given back goes to the oldest).
            self._free -= 1
        else:
            await self._wait_in_turn()
        token = _holding.set(held | {id(self)})

        def leave() -> None:
            # Given back from another context, that context's copy ends with it.
            with contextlib.suppress(ValueError):
                _holding.reset(token)
            self._give_back()

        return leave

    async def _wait_in_turn(self) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.wait_seconds, self._give_up, waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Handed a place just as this task was cancelled: the next in line takes it.
                self._give_back()
            raise
        finally:
            timer.cancel()

    def _give_up(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(
                DatabaseBusy(f"no database connection came free within {self.wait_seconds:g}s")
            )

    def _give_back(self) -> None:
        # The place goes straight to the oldest task still waiting, or back to the free ones.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


def _nothing() -> None:
    return None


class _Place:
    __slots__ = ("_leave", "_queue")

    def __init__(self, queue: ConnectionQueue) -> None:
        self._queue = queue
        self._leave: Callable[[], None] = _nothing

    async def __aenter__(self) -> None:
        self._leave = await self._queue.enter()

    async def __aexit__(self, *_exc: object) -> None:
        self._leave()
