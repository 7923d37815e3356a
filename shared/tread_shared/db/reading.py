"""``ReadSession``: a session for routes that only read.

It runs its statements without opening a transaction (PostgreSQL in autocommit; SQLite with a
deferred ``BEGIN``, which takes no write lock in WAL mode) and never commits: a GET costs its
queries' round trips and nothing more, and holds a pooled connection only while a query runs.
Each statement sees the database as of its own start; a route that needs several reads to agree
with each other, or writes anything, uses ``DbSession``.

``Reads`` (:class:`Reader`) is the lighter path of a route that only renders rows: Core
statements built once, run on the driver on PostgreSQL (:mod:`tread_shared.db.prepared`),
rows instead of entities (same attribute names, read-only): no session, identity map or
instrumented attributes. Each read takes a connection and gives it back itself, so the
dependency is a plain one: a dependency with ``yield`` costs FastAPI an exit stack and a
cancel scope per request, a tenth of a GET's CPU. A route that reads several times takes one
connection for all of them (``async with reads.together() as rows``): a connection's turn,
checkout and return cost ~50 us of CPU, more than a short statement on the driver (three
reads: 240 -> 135 us)."""

from __future__ import annotations

import contextlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from functools import cache
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy import Row, Select, bindparam, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tread_shared.db.checkout import given_back, taken
from tread_shared.db.engine import READ_ONLY, Database
from tread_shared.db.prepared import driver_read, driver_statement
from tread_shared.db.row_parts import labelled_columns
from tread_shared.http.request_context import at_request_end

_ATTRIBUTE = "_tread_reading_engine"
_READER = "_tread_reader"


def reading_engine(db: Database) -> AsyncEngine:
    """``db``'s engine set up for reading without a transaction (made once per database; it
    shares the engine's pool)."""
    engine: AsyncEngine | None = getattr(db, _ATTRIBUTE, None)
    if engine is None:
        if db.is_sqlite:
            engine = db.engine.execution_options(**{READ_ONLY: True})
        else:
            engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        setattr(db, _ATTRIBUTE, engine)
    return engine


async def read_session(request: Request) -> AsyncSession:
    db: Database = request.app.state.db
    # Its turn for a connection like a unit of work's (ConnectionQueue): the pool alone would
    # let some requests wait for seconds while later ones pass.
    leave = await db.connections.enter()
    session = AsyncSession(reading_engine(db), expire_on_commit=False)

    async def close() -> None:
        # Not a dependency with yield: FastAPI builds an exit stack and a cancel scope for
        # one on every request (a tenth of a GET's CPU); the session closes the same way, once
        # the answer is sent.
        try:
            await session.close()
        finally:
            leave()

    at_request_end(request.scope, close)
    return session


ReadSession = Annotated[AsyncSession, Depends(read_session)]


class RowReads(ABC):
    """What a route that only reads reads rows with: a :class:`Reader`, or the reads of one
    of its ``together`` blocks (``one`` and ``live`` made from ``all``)."""

    @property
    @abstractmethod
    def dialect(self) -> Dialect:
        """The dialect the statements run on."""

    @abstractmethod
    async def all(
        self, statement: Select[Any], values: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every row of ``statement`` with ``values`` bound."""

    async def one(self, statement: Select[Any], values: Mapping[str, Any] | None = None) -> Any:
        """The first row of ``statement`` with ``values`` bound, or ``None``."""
        rows = await self.all(statement, values)
        return rows[0] if rows else None

    async def live(self, model: Any, entity_id: uuid.UUID) -> Any:
        """The row of the live (not deleted) ``model`` entity ``entity_id``, or ``None``:
        ``model`` is an ``EntityMixin`` model, the row has its column attributes (what a route
        renders, not something to change)."""
        return await self.one(_live_by_id(model), {"id": entity_id})


class Reader(RowReads):
    """Reads of ``db`` each on a connection of its own, held for its statement alone (its turn
    for it taken like a unit of work's), outside any transaction.

    Statements are Core SELECTs built once (module level, ``functools.cache``) with their
    varying values as ``bindparam``; on PostgreSQL they run on the driver itself
    (:mod:`tread_shared.db.prepared`: a third of the CPU of the same statement through an
    ``AsyncConnection``), elsewhere through Core. Rows read alike either way: the selected
    columns as attributes, and ``_asdict()``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = reading_engine(db)

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    async def all(
        self, statement: Select[Any], values: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every row of ``statement`` with ``values`` bound."""
        values = values or {}
        async with self.db.connections.place():
            rows = await driver_read(self.engine, statement, values)
            if rows is not None:
                return rows
            async with self.engine.connect() as connection:
                return list((await connection.execute(statement, values)).all())

    @contextlib.asynccontextmanager
    async def together(self) -> AsyncIterator[RowReads]:
        """Reads that share one connection: for a route that reads several times. The
        connection is taken (its turn, then the pool's) by the first read and given back when
        the block ends. Each statement still runs outside a transaction and sees the database
        as of its own start, as with :meth:`all`. On the driver only (PostgreSQL): elsewhere,
        or with a statement listener on the engine, the block reads as this reader does."""
        sync_engine = self.engine.sync_engine
        if sync_engine.dialect.driver != "asyncpg" or sync_engine.dispatch.before_cursor_execute:
            yield self
            return
        held = _HeldReads(self)
        try:
            yield held
        finally:
            await held.give_back()


class _HeldReads(RowReads):
    """The reads of a :meth:`Reader.together` block, on the connection it holds."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._fairy: Any = None
        self._leave: Callable[[], None] | None = None

    @property
    def dialect(self) -> Dialect:
        return self.reader.dialect

    async def all(
        self, statement: Select[Any], values: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every row of ``statement`` with ``values`` bound, on the held connection."""
        prepared = driver_statement(statement, self.reader.dialect)
        if prepared is None:
            # Through Core, as the reader runs it: the held connection is given back first,
            # so that a read never waits for a second connection while holding one.
            await self.give_back()
            return await self.reader.all(statement, values)
        if self._fairy is None:
            leave = await self.reader.db.connections.enter()
            try:
                self._fairy = await taken(self.reader.engine.sync_engine.pool)
            except BaseException:
                leave()
                raise
            self._leave = leave
        return await prepared.fetch_on(self._fairy, values or {})

    async def give_back(self) -> None:
        fairy, leave = self._fairy, self._leave
        self._fairy = self._leave = None
        try:
            if fairy is not None:
                await given_back(fairy)
        finally:
            if leave is not None:
                leave()


class Rows(Protocol):
    """Where a repository's Core statements run: a :class:`Reader` (a route that only reads),
    or :class:`InSession` (a unit of work that must see its own changes)."""

    @property
    def dialect(self) -> Dialect: ...

    async def all(
        self, statement: Select[Any], values: Mapping[str, Any] | None = None
    ) -> list[Any]: ...


class InSession:
    """:class:`Rows` of ``session``'s transaction: its statements through Core on the
    session's connection, seeing what the session has flushed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> Dialect:
        bind: Any = self.session.bind
        dialect: Dialect = bind.dialect
        return dialect

    async def all(
        self, statement: Select[Any], values: Mapping[str, Any] | None = None
    ) -> list[Any]:
        connection = await self.session.connection()
        return list((await connection.execute(statement, values or {})).all())


async def reader(request: Request) -> Reader:
    db: Database = request.app.state.db
    made: Reader | None = getattr(db, _READER, None)
    if made is None:
        made = Reader(db)
        setattr(db, _READER, made)
    return made


Reads = Annotated[Reader, Depends(reader)]


@cache
def _live_by_id(model: Any) -> Select[Any]:
    table = inspect(model).local_table
    return select(*labelled_columns(model)).where(
        table.c.id == bindparam("id"), table.c.deleted_at.is_(None)
    )


S = TypeVar("S", bound=BaseModel)


@cache
def _column_keys(entity_class: Any) -> frozenset[str]:
    mapper: Any = inspect(entity_class)
    return frozenset(attribute.key for attribute in mapper.column_attrs)


@cache
def _fields_are_columns(schema: Any, entity_class: Any) -> bool:
    return set(schema.model_fields) <= _column_keys(entity_class)


def render(schema: type[S], entity: Any) -> S:
    """``schema.model_validate(entity, from_attributes=True)`` for an ORM entity, at a third of
    the cost: when every field of ``schema`` is a column of the entity and every column is
    loaded, the values are validated from the entity's own dict (what its instrumented
    attributes would return, without a Python call per field; 11 -> 4 us for an account,
    the bulk of a 50-row page's rendering). Any other entity or schema is read attribute by
    attribute as before; the values are validated the same either way. A Core row (a
    :class:`Reader`'s on SQLite) is validated from its mapping (25 -> 11 us for an account, against
    reading its attributes one by one); a driver row (a named tuple) by its attributes, which
    cost less than making its dict (3.7 against 4.5 us)."""
    if isinstance(entity, tuple):  # a driver row, a named tuple: its attributes are C-level
        return schema.model_validate(entity, from_attributes=True)
    if isinstance(entity, Row):
        return schema.model_validate(entity._asdict())
    values = entity.__dict__
    entity_class: Any = type(entity)
    if _fields_are_columns(schema, entity_class) and _column_keys(entity_class) <= values.keys():
        return schema.model_validate(values)
    return schema.model_validate(entity, from_attributes=True)
