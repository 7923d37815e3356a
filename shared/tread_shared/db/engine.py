"""Async engines and the unit of work, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_, greenlet_spawn

from tread_shared.db.admission import ConnectionQueue

OUTBOX_DIRTY = "tread_outbox_dirty"
# Execution option of the engine behind ``Database.reading``: a deferred BEGIN on SQLite.
READ_ONLY = "tread_read_only"
SQLITE_WRITE_WAIT_SECONDS = 30.0
# How long a unit of work waits for a connection, by default, before giving up (a request is
# then answered 503).
CONNECTION_WAIT_SECONDS = 30.0
# Connections taken without queueing (the relay's lease connection, /readyz): the pool has room
# for them beyond the queue's capacity, so queued tasks never wait in the pool itself.
OUTSIDE_THE_QUEUE = 2


class SqliteWriters:
    """One write transaction at a time per engine, in arrival order.

    SQLite has one writer at a time. With ``BEGIN IMMEDIATE`` alone, the others wait in SQLite's
    busy handler, which polls with sleeps growing to 100 ms, so under contention a writer waits
    far longer than the transaction ahead of it. Here writers queue on an asyncio lock, taken
    just before ``BEGIN IMMEDIATE`` and released as soon as the commit or rollback is done, so
    the next one starts at once. Other processes (the CLI, migrations) still meet the busy
    handler; readers (``READ_ONLY``) do not queue at all."""

    def __init__(self, engine: Engine) -> None:
        self._lock = asyncio.Lock()
        self._holder: Any = None  # the DBAPI connection in a write transaction
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(connection: Any) -> None:
            try:
                commit(connection)
            finally:
                self.release(connection)

        def do_rollback(connection: Any) -> None:
            try:
                rollback(connection)
            finally:
                self.release(connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
        # Whatever happens to a connection, it does not keep the queue when given back.
        event.listen(engine, "checkin", lambda connection, _record: self.release(connection))
        event.listen(engine, "invalidate", lambda connection, _record, _e: self.release(connection))

    def begin(self, conn: Connection) -> None:
        """Wait for our turn (inside SQLAlchemy's greenlet), then ``BEGIN IMMEDIATE``."""
        try:
            await_(asyncio.wait_for(self._lock.acquire(), SQLITE_WRITE_WAIT_SECONDS))
        except TimeoutError as exc:
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked) from exc
        self._holder = conn.connection.dbapi_connection
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(self._holder)
            raise

    def release(self, connection: Any) -> None:
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if dbapi_connection is not None and dbapi_connection is self._holder:
            self._holder = None
            self._lock.release()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def json_text(value: Any) -> str:
    """A JSON column's value as text: pydantic's serializer, a third of ``json.dumps``'s time
    (an outbox row holds two JSON columns, and a consumer batch of sell-in writes hundreds);
    compact, UTF-8 rather than ``\\u`` escapes, the same keys in the same order."""
    return to_json(value).decode()


def json_value(text: str | bytes) -> Any:
    """A JSON column's text as Python values: pydantic's parser, what ``json.loads`` gives
    (big integers, ``NaN`` and ``Infinity`` included) in a fifth of its time. asyncpg decodes
    every ``json``/``jsonb`` value of a row with it as the row arrives: on a plan's status page
    with ``json.loads``, the three statements cost 107 us of CPU against 60 on a connection
    that leaves JSON as text."""
    return from_json(text)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine. On SQLite: WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE``
    so that concurrent writers queue (:class:`SqliteWriters`) instead of failing on lock
    upgrades; plain ``BEGIN`` for connections with the ``READ_ONLY`` execution option, as
    readers need no write lock in WAL mode."""
    parsed = make_url(url)
    if is_sqlite(url):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=OUTSIDE_THE_QUEUE,
            connect_args={"timeout": 30},
            json_serializer=json_text,
            json_deserializer=json_value,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        writers = SqliteWriters(engine.sync_engine)

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql("BEGIN")
            else:
                writers.begin(conn)

        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=OUTSIDE_THE_QUEUE,
        json_serializer=json_text,
        json_deserializer=json_value,
        # asyncpg waits 60 s for a host that never answers; fail sooner so /readyz and the
        # relay report the outage instead of hanging.
        connect_args={"timeout": 10},
    )

    # Instead of ``pool_pre_ping``, which costs every checkout three round trips with asyncpg
    # (BEGIN, an empty query, ROLLBACK: a third of a read's time): asyncpg reads its idle
    # connections all the time, so one the server closed (restart, pg_terminate_backend, idle
    # timeout) is already known as closed when it is taken from the pool, and the pool replaces
    # it. A connection lost without a word from the server fails its first statement instead,
    # which invalidates the pool: that request is answered 503, the next ones reconnect.
    @event.listens_for(engine.sync_engine, "checkout")
    def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection._connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")

    return engine


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def _to_completion(step: Awaitable[None]) -> None:
    """Await ``step`` in a task of its own until it is done, even if the caller is cancelled
    meanwhile; a cancellation is raised once it is."""
    task = asyncio.ensure_future(step)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            if task.done():
                break
            cancelled = exc
    task.result()
    if cancelled is not None:
        raise cancelled


class Database:
    """A service's engine and session factory. ``unit_of_work`` commits once at the end."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        connection_wait_seconds: float = CONNECTION_WAIT_SECONDS,
    ) -> None:
        self.url = url
        # Asked on every keyed write and relay round: the URL parsed once.
        self._is_sqlite = is_sqlite(url)
        self.engine = create_engine(url, pool_size=pool_size, echo=echo)
        # As many tasks at once as the pool keeps connections: opening and closing connections
        # beyond those (max_overflow) under load costs more than waiting for one.
        self.connections = ConnectionQueue(pool_size, connection_wait_seconds)
        # Reading takes no transaction: on SQLite a deferred BEGIN (no write lock); on
        # PostgreSQL autocommit, so a read is its statements' round trips alone, without a
        # BEGIN and a ROLLBACK around them (two of a keyed POST's ten round trips).
        self._read_only_engine = (
            self.engine.execution_options(**{READ_ONLY: True})
            if is_sqlite(url)
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        # A Session class of this database's own, so that its events concern it alone.
        session_class = type("TreadSession", (Session,), {})
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=session_class
        )
        # Set whenever a transaction that wrote outbox rows commits: wakes the relay at once.
        self.outbox_committed = asyncio.Event()

        @event.listens_for(session_class, "after_commit")
        def _after_commit(session: Any) -> None:
            if session.info.pop(OUTBOX_DIRTY, False):
                self.outbox_committed.set()

        @event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Any) -> None:
            session.info.pop(OUTBOX_DIRTY, None)

    @property
    def is_sqlite(self) -> bool:
        return self._is_sqlite

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session whose changes commit together when the block ends, or roll back on error.
        Waits its turn for a connection (:class:`ConnectionQueue`).

        The commit (or rollback) and the close are one trip into SQLAlchemy's greenlet, not
        two (``AsyncSession.commit``, then its ``close``): each new greenlet's first frame
        costs CPython 3.11 a stack of its own (~15 µs, every unit of work). The trip runs to
        completion even if the task is cancelled meanwhile (then re-raised), as the session's
        own close does, so a connection is never abandoned half given back."""
        async with self.connections.place():
            session = self.sessions()
            try:
                yield session
            except BaseException:
                await _to_completion(greenlet_spawn(_roll_back_and_close, session.sync_session))
                raise
            await _to_completion(greenlet_spawn(_commit_and_close, session.sync_session))

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading only (Core, no ORM session), outside any transaction:
        each statement sees the database as of its own start. On SQLite it takes no write
        lock, so it neither waits for writers nor holds them up."""
        async with self.connections.place(), self._read_only_engine.connect() as connection:
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()
