"""A pooled connection taken and given back without a greenlet when neither step waits; in a
greenlet, as SQLAlchemy does it, whenever one could (connecting, recycling, a transaction to roll
back, a full pool), and the pool left as SQLAlchemy leaves it either way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.util.concurrency import greenlet_spawn
from tread_notes import MIGRATIONS_DIR

from tread_shared.db import checkout
from tread_shared.db.checkout import given_back, taken
from tread_shared.db.engine import Database


@pytest.fixture
async def db(make_database: Callable[[str, Path], str]) -> AsyncIterator[Database]:
    database = Database(make_database("notes", MIGRATIONS_DIR), pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture
def greenlets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the pool's steps run in a greenlet."""
    spawned: list[str] = []

    async def counted(fn: Callable[..., Any], *args: Any) -> Any:
        spawned.append(fn.__name__)
        return await greenlet_spawn(fn, *args)

    monkeypatch.setattr(checkout, "greenlet_spawn", counted)
    return spawned


def _pool(db: Database) -> Any:
    return db.engine.sync_engine.pool


async def _backend(fairy: Any) -> int:
    if fairy.dbapi_connection is None:
        raise AssertionError("an invalidated connection was handed out")
    driver = fairy.driver_connection
    if hasattr(driver, "fetchval"):
        pid: int = await driver.fetchval("SELECT pg_backend_pid()")
        return pid
    return 0


async def _next_checkout_is_another_connection_made_in_a_greenlet(
    db: Database, greenlets: list[str], first: int
) -> None:
    greenlets.clear()
    fairy = await taken(_pool(db))
    assert greenlets == ["connect"]
    assert await _backend(fairy) != first
    await given_back(fairy)
    assert _pool(db).checkedout() == 0


async def _warm(db: Database) -> None:
    fairy = await taken(_pool(db))
    await given_back(fairy)


@pytest.fixture
def postgres_only(database_backend: str) -> None:
    if database_backend != "postgresql":
        pytest.skip("the greenlet-free steps are the asyncpg pool's")


async def test_an_idle_connection_is_taken_and_given_back_without_a_greenlet(
    db: Database, greenlets: list[str], postgres_only: None
) -> None:
    await _warm(db)
    assert greenlets == ["connect"]  # the first one is made: in a greenlet
    greenlets.clear()

    backends = set()
    for _ in range(3):
        fairy = await taken(_pool(db))
        assert _pool(db).checkedout() == 1
        backends.add(await _backend(fairy))
        await given_back(fairy)
        assert _pool(db).checkedout() == 0

    assert greenlets == []
    assert len(backends) == 1  # the same pooled connection each time


async def test_anything_that_could_wait_runs_in_a_greenlet(
    db: Database, greenlets: list[str]
) -> None:
    # Connecting (an empty pool): the checkout in a greenlet, on any database.
    fairy = await taken(_pool(db))
    await _backend(fairy)
    await given_back(fairy)
    assert greenlets[0] == "connect"
    assert _pool(db).checkedout() == 0


async def test_a_connection_due_for_recycling_is_replaced_in_a_greenlet(
    db: Database, greenlets: list[str], postgres_only: None
) -> None:
    fairy = await taken(_pool(db))
    first = await _backend(fairy)
    old_driver = fairy.driver_connection
    await asyncio.sleep(0.01)  # the pool compares times
    fairy.invalidate(soft=True)  # to be replaced at its next checkout
    await given_back(fairy)

    await _next_checkout_is_another_connection_made_in_a_greenlet(db, greenlets, first)
    assert old_driver.is_closed()


async def test_a_connection_the_server_closed_is_replaced_and_the_pool_stays_whole(
    db: Database, greenlets: list[str], postgres_only: None
) -> None:
    fairy = await taken(_pool(db))
    first = await _backend(fairy)
    old_driver = fairy.driver_connection
    async with db.engine.connect() as admin:  # another connection of the pool
        await given_back(fairy)
        await admin.execute(text(f"SELECT pg_terminate_backend({first})"))
    for _ in range(50):  # asyncpg learns of it when the server's message arrives
        if old_driver.is_closed():
            break
        await asyncio.sleep(0.02)
    assert old_driver.is_closed()

    # Refused at checkout (not tried without a greenlet), another connection made.
    await _next_checkout_is_another_connection_made_in_a_greenlet(db, greenlets, first)
    assert _pool(db).checkedin() == 2  # the admin's connection and this one, nothing lost


async def test_a_transaction_begun_is_rolled_back_in_a_greenlet(
    db: Database, greenlets: list[str], postgres_only: None
) -> None:
    await _warm(db)
    fairy = await taken(_pool(db))
    await fairy.dbapi_connection._start_transaction()
    await fairy.driver_connection.execute("CREATE TEMP TABLE scratch (n int)")
    greenlets.clear()

    await given_back(fairy)

    assert greenlets == ["close"]
    fairy = await taken(_pool(db))
    assert not fairy.driver_connection.is_in_transaction()
    assert await fairy.driver_connection.fetchval("SELECT to_regclass('scratch')") is None
    await given_back(fairy)


async def test_a_connection_beyond_the_pool_is_closed_in_a_greenlet(
    db: Database, greenlets: list[str], postgres_only: None
) -> None:
    pool = _pool(db)
    held = [await taken(pool) for _ in range(pool.size() + 1)]  # one of them overflow
    drivers = [fairy.driver_connection for fairy in held]
    greenlets.clear()

    for fairy in held:
        await given_back(fairy)

    # The pool keeps its size; the one beyond it is closed, which waits: in a greenlet.
    assert greenlets == ["close"]
    assert pool.checkedout() == 0 and pool.checkedin() == pool.size()
    assert sum(driver.is_closed() for driver in drivers) == 1


# SQLAlchemy closes the connect it began without awaiting the driver's own coroutine in it.
@pytest.mark.filterwarnings("ignore:coroutine 'connect' was never awaited:RuntimeWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_checkout_that_meets_a_wait_all_the_same_is_made_again_in_a_greenlet(
    db: Database, greenlets: list[str], postgres_only: None
) -> None:
    fairy = await taken(_pool(db))
    first = await _backend(fairy)
    await given_back(fairy)
    refused: list[int] = []

    def refuse_once(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if not refused:  # a listener's own reason: the pool reconnects, which waits
            refused.append(1)
            raise DisconnectionError("refused by a listener")

    event.listen(db.engine.sync_engine, "checkout", refuse_once)

    await _next_checkout_is_another_connection_made_in_a_greenlet(db, greenlets, first)
    assert refused and _pool(db).checkedin() == 1
