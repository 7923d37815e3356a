"""A connection of an async engine's pool taken and given back without a greenlet when neither
step has anything to wait for.

SQLAlchemy drives its pool from async code through ``greenlet_spawn``, a new greenlet for each
call; the first Python frame a new greenlet runs costs CPython 3.11 a data stack of its own (an
``mmap`` and a ``munmap``). A read on the driver (:mod:`tread_shared.db.prepared`) took and gave
back its connection that way, ~45 us of CPU for ~10 of work. Yet neither step awaits anything
when an idle connection of the pool is connected and due neither for recycling nor for
invalidation, and when the connection comes back with no transaction of its adapter to roll
back to a pool with room for it: then both are plain calls, the pool's own code, events and
checks included. Whenever a step could wait (the pool empty, so a connection is made or waited
for; a connection to recycle or reconnect; a transaction to roll back; the pool full, so the
connection is closed) it runs in a greenlet, as before.

Should the checkout meet an ``await`` all the same (a checkout listener refusing a connection
for a reason of its own, after which the pool connects again), SQLAlchemy raises
``MissingGreenlet`` before anything waited, having given the connection record back as on any
failed checkout, and the checkout is made again in a greenlet (the connect SQLAlchemy began is
left unawaited: Python warns of it). A checkout listener must not wait itself (Tread's only one
refuses a connection the server closed, which is not tried here): the pool would discard the
connection."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool
from sqlalchemy.util.concurrency import greenlet_spawn


async def taken(pool: Pool) -> Any:
    """A connection of ``pool`` (a ``_ConnectionFairy``, as ``pool.connect()`` gives)."""
    if _idle_and_ready(pool):
        try:
            return pool.connect()
        except MissingGreenlet:
            pass  # the pool has undone its part; the whole checkout again, in a greenlet
    return await greenlet_spawn(pool.connect)


async def given_back(fairy: Any) -> None:
    """Give ``fairy`` back to its pool (``fairy.close()``)."""
    if _nothing_to_wait_for(fairy):
        fairy.close()
    else:
        await greenlet_spawn(fairy.close)


def _queue_of(pool: Any) -> Any:
    """The asyncio queue of ``pool``'s idle connection records, or ``None`` for another pool."""
    if type(pool) is not AsyncAdaptedQueuePool:
        return None
    dialect: Any = pool._dialect
    records: Any = pool._pool  # an AsyncAdaptedQueue
    return records._queue if dialect.driver == "asyncpg" else None


def _idle_and_ready(pool: Any) -> bool:
    """Whether the record ``pool`` hands out next is connected and due neither for recycling
    nor for invalidation (what ``_ConnectionRecord.get_connection`` looks at)."""
    queue = _queue_of(pool)
    if queue is None or queue.empty():
        return False
    # The record get_nowait will return: the oldest, or the newest with use_lifo.
    records = queue._queue
    record = records[-1] if pool._pool.use_lifo else records[0]
    if record._is_hard_or_soft_invalidated() or record.driver_connection.is_closed():
        return False  # to reconnect (a connection the server closed is refused at checkout)
    recycle: float = pool._recycle
    return recycle < 0 or time.time() - record.starttime <= recycle


def _nothing_to_wait_for(fairy: Any) -> bool:
    """Whether giving ``fairy`` back awaits nothing: no transaction of its adapter to roll back
    (a read on the driver begins none), no reset or check-in listener, and room in the pool
    (a connection beyond it would be closed)."""
    pool = fairy._pool
    queue = _queue_of(pool)
    if queue is None or queue.full() or pool.dispatch.reset or pool.dispatch.checkin:
        return False
    adapter = fairy.dbapi_connection
    # Invalidated (a lost connection): already closed and checked in, nothing left to await.
    return adapter is None or adapter._transaction is None
