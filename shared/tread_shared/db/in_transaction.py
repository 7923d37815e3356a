"""A unit of work's own statements, run on the driver inside its transaction.

The write path's platform statements (the outbox row, the idempotency key's claim and answer)
cost about 190 µs of CPU each through the session on PostgreSQL (SQLAlchemy's execution
context, greenlet hops, the asyncpg adapter's cursor) against about 60 µs on asyncpg itself
(issue 12). So, like reads (:mod:`tread_shared.db.prepared`), they are Core statements built
once and compiled once per dialect, run on the asyncpg connection under the session's
connection, inside the transaction the session's adapter runs: opened here, as the adapter
opens it before its first statement, if nothing ran yet. They commit or roll back with the
session's changes, and a driver error is raised as SQLAlchemy raises it (an ``IntegrityError``,
a lost connection invalidated).

The ORM does not see these statements: nothing is flushed before them, and what they change is
not in the session's identity map (the callers write platform tables the ORM does not map, or
flush first and expire what the session holds of the rows, as the account directory does).
SQLite, statements with literal-rendered values, and engines with a ``before_cursor_execute``
listener (a bench or a test recording the statements) run them through the session instead:
same SQL, same rows. A connection of its own (the outbox relay's) runs its statements the same
way, in its transaction or in autocommit.

An INSERT of several rows (:func:`fetch_rows_in`, :func:`execute_rows_in`: a consumer's inbox
rows, the directory's entries) is one statement whatever their number, its rows unnested from
one array per column (:func:`tread_shared.db.prepared.driver_rows_statement`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlalchemy.util.concurrency import greenlet_spawn

from tread_shared.db.prepared import (
    DriverStatement,
    Statement,
    driver_rows_statement,
    driver_statement,
)

# Where a session keeps the driver connection of its current transaction.
_DRIVER = "tread_driver_connection"

Runner = AsyncSession | AsyncConnection


async def _on_driver(runner: Runner, statement: Statement) -> tuple[DriverStatement, Any] | None:
    """The statement compiled for the driver and the pooled connection ``runner`` runs on (its
    driver transaction begun, unless in autocommit), or ``None`` to run it through ``runner``."""
    engine = _engine_of(runner)
    if engine.dispatch.before_cursor_execute:
        return None
    prepared = driver_statement(statement, engine.dialect)
    if prepared is None:
        return None
    return prepared, await _driver_connection(runner)


async def _rows_on_driver(
    runner: Runner, statement: Insert, names: tuple[str, ...]
) -> tuple[DriverStatement, Any] | None:
    """:func:`_on_driver` for an INSERT of rows of the columns ``names``, one array each."""
    engine = _engine_of(runner)
    if engine.dispatch.before_cursor_execute:
        return None
    prepared = driver_rows_statement(statement, names, engine.dialect)
    if prepared is None:
        return None
    return prepared, await _driver_connection(runner)


def _engine_of(runner: Runner) -> Any:
    if isinstance(runner, AsyncSession):
        return runner.sync_session.get_bind()
    return runner.sync_engine


async def _driver_connection(runner: Runner) -> Any:
    """The pooled connection ``runner`` runs on, its driver transaction begun (unless in
    autocommit)."""
    if isinstance(runner, AsyncConnection):
        fairy = await runner.get_raw_connection()
    else:
        transaction = runner.sync_session.get_transaction()
        kept = runner.info.get(_DRIVER)
        if kept is not None and kept[0] is transaction:
            fairy = kept[1]
        else:
            # One trip into SQLAlchemy's greenlet, not two (``connection()``, then
            # ``get_raw_connection()``): ~40 us of CPU less for each unit of work.
            sync_session = runner.sync_session
            fairy = await greenlet_spawn(lambda: sync_session.connection().connection)
            runner.info[_DRIVER] = (sync_session.get_transaction(), fairy)
    adapter: Any = fairy.dbapi_connection
    if adapter._transaction is None:
        # What the adapter does before its first statement (BEGIN, at the engine's isolation
        # level; nothing in autocommit); it commits or rolls this transaction back with the
        # session or connection.
        await adapter._start_transaction()
    return fairy


async def fetch_in(runner: Runner, statement: Statement, values: Mapping[str, Any]) -> list[Any]:
    """The rows ``statement`` answers with ``values`` bound, in ``runner``'s transaction (a
    session's, or a connection's)."""
    on_driver = await _on_driver(runner, statement)
    if on_driver is None:
        return list((await runner.execute(statement, values)).all())
    prepared, fairy = on_driver
    return await prepared.fetch_on(fairy, values)


async def execute_in(runner: Runner, statement: Statement, values: Mapping[str, Any]) -> int:
    """Run ``statement`` (one that answers no rows) with ``values`` bound in ``runner``'s
    transaction (a session's, or a connection's); how many rows it inserted, changed or
    deleted."""
    on_driver = await _on_driver(runner, statement)
    if on_driver is None:
        result: Any = await runner.execute(statement, values)
        return int(result.rowcount)
    prepared, fairy = on_driver
    return await prepared.execute_on(fairy, values)


async def fetch_rows_in(
    runner: Runner, statement: Insert, rows: Sequence[Mapping[str, Any]]
) -> list[Any]:
    """What an ``INSERT`` (``statement``, its rows given here: ``ON CONFLICT`` and
    ``RETURNING`` as it says) of ``rows`` answers, in ``runner``'s transaction. Every row has
    the same keys; the rows go in in their order, in one statement whatever their number: on
    PostgreSQL one array per column, unnested; elsewhere SQLAlchemy's multi-row INSERT."""
    if not rows:
        return []
    on_driver = await _rows_on_driver(runner, statement, tuple(rows[0]))
    if on_driver is None:
        return list((await runner.execute(statement, list(rows))).all())
    prepared, fairy = on_driver
    return await prepared.fetch_on(fairy, _columns(rows))


async def execute_rows_in(
    runner: Runner, statement: Insert, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run an ``INSERT`` (``statement``, without ``RETURNING``) of ``rows`` as
    :func:`fetch_rows_in` does."""
    if not rows:
        return
    on_driver = await _rows_on_driver(runner, statement, tuple(rows[0]))
    if on_driver is None:
        await runner.execute(statement, list(rows))
        return
    prepared, fairy = on_driver
    await prepared.execute_on(fairy, _columns(rows))


def _columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The rows' values as one list per column, in the rows' order."""
    return {name: [row[name] for row in rows] for name in rows[0]}
