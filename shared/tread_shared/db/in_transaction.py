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

**New rows held for the last statement.** A unit of work that ends with an INSERT of its own (a
keyed request's answer, :mod:`tread_shared.http.idempotency`) may hold new rows for it
(:func:`hold_new_rows`, then :func:`hold_new_row` by :func:`tread_shared.db.new_rows.insert_new`
when its caller allows): on PostgreSQL the row is then written in that INSERT's statement (a
data-modifying ``WITH``, :func:`tread_shared.events.outbox.insert_with_held_events`), one round
trip a keyed create less. Held rows are written first by anything else the session runs before
it, so that it sees them: a statement here, an ORM statement (``do_orm_execute``), a flush
(``before_flush``), the commit (``before_commit``). A caller allows holding only for a row no
constraint can refuse but its new primary key (no unique value, no reference that may be gone):
an error it would have caught at its INSERT would surface at the last statement. Rows held for
a transaction that was rolled back are dropped; a savepoint while rows are held is refused
(``RuntimeError``): written in it, they would be rolled back with it.

An INSERT of several rows (:func:`fetch_rows_in`, :func:`execute_rows_in`: a consumer's inbox
rows, the directory's entries) is one statement whatever their number, its rows unnested from
one array per column (:func:`tread_shared.db.prepared.driver_rows_statement`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, event, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
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
# Where a session that holds new rows keeps them: (the root transaction they belong to, the
# rows as (table, values)).
_HELD_NEW = "tread_held_new_rows"
HeldRow = tuple[Table, dict[str, Any]]


def hold_new_rows(session: AsyncSession) -> None:
    """From now on, let :func:`hold_new_row` keep new rows of ``session`` for its last
    statement (see the module's notes); on PostgreSQL only, elsewhere it writes them at once."""
    if session.sync_session.get_bind().dialect.name == "postgresql":
        session.info[_HELD_NEW] = (None, [])


def hold_new_row(session: AsyncSession, table: Table, row: dict[str, Any]) -> bool:
    """Keep ``row``, a new row of ``table``, for the last statement of ``session``'s
    transaction if the session holds new rows (True), else do nothing (False)."""
    held = session.info.get(_HELD_NEW)
    if held is None:
        return False
    sync = session.sync_session
    if sync.in_nested_transaction():
        return False  # written at once, in the savepoint it belongs to
    # Begun here if nothing ran yet (no round trip: the connection comes with the first
    # statement), so that the rows belong to a transaction.
    current = sync.get_transaction() or sync.begin()
    transaction, rows = held
    if transaction is not current:
        rows = []  # held for a transaction that has ended: void
        session.info[_HELD_NEW] = (current, rows)
    rows.append((table, row))
    return True


def take_held_new_rows(session: AsyncSession | Session) -> list[HeldRow]:
    """The new rows held for the session's current transaction, no longer held."""
    if not _holds_rows(session.info):
        return []
    transaction, rows = session.info[_HELD_NEW]
    held_rows: list[HeldRow] = rows
    session.info[_HELD_NEW] = (None, [])
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if transaction is not sync.get_transaction():
        return []  # its transaction was rolled back
    if sync.in_nested_transaction():
        raise RuntimeError(
            "a savepoint begun while new rows are held for the last statement: written in it,"
            " they would be rolled back with it"
        )
    return held_rows


def _holds_rows(info: dict[str, Any]) -> bool:
    held = info.get(_HELD_NEW)
    return held is not None and bool(held[1])


@cache
def insert_of(table: Table, columns: tuple[str, ...], prefix: str = "") -> Insert:
    """An INSERT of one row of ``table``'s ``columns``, its values bound by column name (with
    ``prefix``, to be unique in a statement holding several), built once."""
    return (
        insert(table)
        .inline()
        .values({name: bindparam(prefix + name, type_=table.c[name].type) for name in columns})
    )


async def _write_held_new_rows(session: AsyncSession) -> None:
    for table, row in take_held_new_rows(session):
        await execute_in(session, insert_of(table, tuple(row)), row)


def _write_held_new_rows_now(session: Session) -> None:
    for table, row in take_held_new_rows(session):
        session.execute(insert_of(table, tuple(row)), row)


@event.listens_for(Session, "do_orm_execute")
def _held_before_orm_statement(state: ORMExecuteState) -> None:
    if _holds_rows(state.session.info):
        _write_held_new_rows_now(state.session)


@event.listens_for(Session, "before_flush")
def _held_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _holds_rows(session.info):
        _write_held_new_rows_now(session)


@event.listens_for(Session, "before_commit")
def _held_before_commit(session: Session) -> None:
    if _holds_rows(session.info):
        _write_held_new_rows_now(session)


def other_before_flush_listeners(session: Session) -> bool:
    """Whether ``session`` has ``before_flush`` listeners besides the one writing held rows."""
    return any(listener is not _held_before_flush for listener in session.dispatch.before_flush)


async def _on_driver(runner: Runner, statement: Statement) -> tuple[DriverStatement, Any] | None:
    """The statement compiled for the driver and the pooled connection ``runner`` runs on (its
    driver transaction begun, unless in autocommit), or ``None`` to run it through ``runner``."""
    if isinstance(runner, AsyncSession) and _holds_rows(runner.info):
        await _write_held_new_rows(runner)
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
    if isinstance(runner, AsyncSession) and _holds_rows(runner.info):
        await _write_held_new_rows(runner)
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
