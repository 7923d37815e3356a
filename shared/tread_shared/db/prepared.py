"""Core statements compiled once and run straight on the PostgreSQL driver.

A statement sent through a SQLAlchemy ``AsyncConnection`` costs about 190 µs of CPU on
PostgreSQL (the connection object, its greenlet hops, the cache key, the asyncpg adapter's
cursor and its result machinery); the same statement on asyncpg itself, around a checkout of
the same pool, about 60 µs (``bench/RESULTS.md``, accounts, 2026-12-07). For a read that
sends one to seven statements and renders their rows, that difference is most of what the
service spends beyond a raw endpoint.

:func:`driver_read` compiles a statement once per dialect — its SQL text, its bound values
in order with their types' bind processors, its columns' result processors (found from the
column types the server reports, the first time it runs) — and runs it with asyncpg's
``fetch`` on a connection checked out of the engine's own pool (its checkout check, its
reset, its invalidation all apply). Rows come back as named tuples: attribute access and
``_asdict()``, as a Core ``Row`` offers.

What the driver path does not take (``None``): SQLite (its driver runs in a thread; the Core
path stays), statements with literal-rendered values or with values Core computes per
execution (a column's Python ``default`` or ``onupdate`` the statement leaves out), columns whose
names are not plain attribute names, and any engine with a ``before_cursor_execute``
listener (a bench recording the statements, a test counting them): those run through Core,
with the same SQL and the same answer.

An ``IN`` list (an expanding ``bindparam``) is expanded as Core expands it, the SQL kept per
length of the list.

A unit of work runs its own statements (INSERT, UPDATE, DELETE and SELECT) the same way on the
connection of its transaction (:meth:`DriverStatement.fetch_on`, :meth:`DriverStatement.
execute_on`; :mod:`tread_shared.db.in_transaction`).

An INSERT of several rows (:func:`driver_rows_statement`) takes them as one list of values per
column. A few rows (up to :data:`ROWS_AS_VALUES`: a consumer applying live events has one or
two) go as a ``VALUES`` list compiled for their count, as SQLAlchemy's "insertmanyvalues"
writes it; more go as one array parameter per column, ``unnest``-ed in the order given
(``WITH ORDINALITY … ORDER BY``), one statement whatever the count: no statement per count
for asyncpg to prepare and keep in its cache of 100, and no limit of 32767 parameters. The
arrays cost about 40 µs of CPU more than a ``VALUES`` list per statement of one to eight rows,
the same at fifty (``docs/architecture.md``, events).

Errors are SQLAlchemy's, as through Core: asyncpg's exception is translated by the dialect's
adapter and wrapped as ``DBAPIError.instance`` does, so a lost connection is an
``OperationalError`` or ``InterfaceError`` (the 503 of :data:`tread_shared.errors.
DATABASE_UNAVAILABLE`) and the connection, when the dialect says it is gone, is invalidated
rather than given back."""

from __future__ import annotations

import keyword
from collections import namedtuple
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool
from sqlalchemy.sql.dml import Insert, UpdateBase

from tread_shared.db.checkout import given_back, taken

Processor = Callable[[Any], Any] | None
# What runs on the driver: a SELECT, or an INSERT, UPDATE or DELETE.
Statement = Select[Any] | UpdateBase
_UNSET = object()


# Distinct lengths of a statement's lists (``IN``) kept compiled: past them, each call
# expands its own (a district manager has a handful of territories; the lengths repeat).
_VARIANTS_KEPT = 64


def _list_of(values: Mapping[str, Any], name: str, carried: Any) -> Any:
    items = values.get(name, carried)
    if items is None:
        raise InvalidRequestError(f"A value is required for bind parameter {name!r}")
    return items


class _Variant:
    """The SQL of a statement for one length of each of its lists, and how to bind it: for
    each ``$n`` in order, the value's name, its index in a list (or ``None``), the value when
    the caller gives none, the type's bind processor."""

    def __init__(self, sql: str, binds: list[tuple[str, int | None, Any, Processor]]) -> None:
        self.sql = sql
        self.binds = binds

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        arguments = []
        for name, index, default, process in self.binds:
            value = values.get(name, default)
            if value is _UNSET:
                raise InvalidRequestError(f"A value is required for bind parameter {name!r}")
            if index is not None:
                value = value[index]
            arguments.append(process(value) if process is not None else value)
        return arguments


class DriverStatement:
    """One statement compiled for asyncpg: a SELECT run by :meth:`fetch` on a connection of its
    own, any statement by :meth:`fetch_on` or :meth:`execute_on` on a connection in use."""

    def __init__(
        self, statement: Statement, compiled: Any, dialect: Dialect, keys: list[str]
    ) -> None:
        self.dialect = dialect
        self._compiled = compiled
        # A SELECT's columns, or those an INSERT, UPDATE or DELETE returns (none without
        # RETURNING).
        self._types = [column.type for column in statement.exported_columns]
        # Each list's name and the list the statement carries, if any (``in_([…])``).
        self._lists = tuple(
            (name, bind.effective_value)
            for name in compiled.positiontup
            if (bind := compiled.binds[name]).expanding
        )
        self._variants: dict[tuple[int, ...], _Variant] = {}
        self._row: Any = namedtuple("ReadRow", keys)  # type: ignore[misc]
        # Found from the server's column types on the first run (asyncpg's numeric result
        # processor needs the type's oid); None when no column needs one.
        self._processors: list[Processor] | object | None = _UNSET

    def _bind(self, name: str, index: int | None) -> tuple[str, int | None, Any, Processor]:
        bind = self._compiled.binds[name]
        default = _UNSET if bind.required else bind.effective_value
        return (name, index, default, bind.type._cached_bind_processor(self.dialect))

    def variant(self, values: Mapping[str, Any]) -> _Variant:
        """The SQL and binding for the lengths of the lists in ``values``."""
        lengths = tuple(len(_list_of(values, name, carried)) for name, carried in self._lists)
        variant = self._variants.get(lengths)
        if variant is not None:
            return variant
        compiled = self._compiled
        if not self._lists:
            variant = _Variant(compiled.string, [self._bind(n, None) for n in compiled.positiontup])
        else:
            # SQLAlchemy's own expansion of ``IN`` lists, as Core does on every execution.
            expanded = compiled._process_parameters_for_postcompile(
                compiled.construct_params(values)
            )
            item_of = {
                item: (name, index)
                for name, items in expanded.parameter_expansion.items()
                for index, item in enumerate(items)
            }
            variant = _Variant(
                expanded.statement,
                [self._bind(*item_of.get(n, (n, None))) for n in expanded.positiontup],
            )
        if len(self._variants) < _VARIANTS_KEPT:
            self._variants[lengths] = variant
        return variant

    async def fetch(self, pool: Pool, values: Mapping[str, Any]) -> list[Any]:
        """Every row of the statement with ``values`` bound, on a connection of ``pool``."""
        fairy = await taken(pool)
        try:
            return await self.fetch_on(fairy, values)
        finally:
            await given_back(fairy)

    async def fetch_on(self, fairy: Any, values: Mapping[str, Any]) -> list[Any]:
        """Every row of the statement with ``values`` bound, on ``fairy`` (a connection checked
        out of the engine's pool), in whatever transaction it is in."""
        variant = self.variant(values)
        sql, arguments = variant.sql, variant.arguments(values)
        driver: Any = fairy.driver_connection
        try:
            if self._processors is _UNSET:
                prepared = await driver.prepare(sql)
                self._processors = self._result_processors(prepared.get_attributes())
            records = await driver.fetch(sql, *arguments)
        except Exception as error:
            raise self._translated(fairy, error, sql, arguments) from error
        make = self._row._make
        processors = self._processors
        if processors is None:
            return [make(record) for record in records]
        assert isinstance(processors, list)
        return [
            make(
                [  # a list, not a generator: a third of the cost of making the row
                    process(value) if process is not None else value
                    for process, value in zip(processors, record, strict=True)
                ]
            )
            for record in records
        ]

    async def execute_on(self, fairy: Any, values: Mapping[str, Any]) -> int:
        """Run the statement (one without rows to answer) with ``values`` bound on ``fairy``;
        how many rows it inserted, changed or deleted."""
        variant = self.variant(values)
        sql, arguments = variant.sql, variant.arguments(values)
        try:
            status: str = await fairy.driver_connection.execute(sql, *arguments)
        except Exception as error:
            raise self._translated(fairy, error, sql, arguments) from error
        # "INSERT 0 1", "UPDATE 3", "DELETE 0": the count is the last word.
        count = status.rpartition(" ")[2]
        return int(count) if count.isdigit() else -1

    def _result_processors(self, attributes: Any) -> list[Processor] | None:
        processors = [
            column_type._cached_result_processor(self.dialect, attribute.type.oid)
            for column_type, attribute in zip(self._types, attributes, strict=True)
        ]
        return cast(list[Processor], processors) if any(processors) else None

    def _translated(
        self, fairy: Any, error: Exception, sql: str, arguments: list[Any]
    ) -> BaseException:
        """``error`` as SQLAlchemy raises it through Core; the connection invalidated when the
        dialect takes the error for a disconnection."""
        adapter = fairy.dbapi_connection
        dbapi_error: BaseException = error
        try:
            adapter._handle_exception(error)  # raises asyncpg's error as the DBAPI's
        except Exception as translated:  # noqa: BLE001 (it always raises)
            dbapi_error = translated
        gone = self.dialect.is_disconnect(dbapi_error, adapter, None)  # type: ignore[arg-type]
        if gone:
            fairy.invalidate(error)
        if not isinstance(dbapi_error, self.dialect.loaded_dbapi.Error):
            return dbapi_error
        return DBAPIError.instance(
            sql,
            arguments,
            dbapi_error,
            self.dialect.loaded_dbapi.Error,
            dialect=self.dialect,
            connection_invalidated=gone,
        )


@lru_cache(maxsize=2048)
def driver_statement(statement: Statement, dialect: Dialect) -> DriverStatement | None:
    """``statement`` compiled for ``dialect``'s driver, or ``None`` when it runs through Core
    (see the module's notes). Kept per statement object: build statements once. An INSERT is
    run as it is written: build it ``inline()`` unless it is to return the new key."""
    if dialect.driver != "asyncpg":
        return None
    keys = cast(list[str], list(statement.exported_columns.keys()))
    if len(set(keys)) != len(keys) or not all(
        key.isidentifier() and not keyword.iskeyword(key) and not key.startswith("_")
        for key in keys
    ):
        return None
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.positiontup is None or any(
        bind.literal_execute for bind in compiled.binds.values()
    ):
        return None
    if compiled.insert_prefetch or compiled.update_prefetch:
        # Values Core computes at each execution (a column's Python default or onupdate).
        return None
    return DriverStatement(statement, compiled, dialect, keys)


# Rows of an INSERT up to which each count has a statement of its own (``VALUES`` lists);
# past it, the rows are arrays unnested (see the module's notes).
ROWS_AS_VALUES = 4


@lru_cache(maxsize=256)
def driver_rows_statement(
    statement: Insert, names: tuple[str, ...], dialect: Dialect
) -> DriverStatement | None:
    """``statement`` (an ``INSERT`` into a table, its rows given when it runs: ``ON CONFLICT``
    and ``RETURNING`` as it says) compiled for ``dialect``'s driver to insert rows of the
    columns ``names`` given as one list of values per column, in their order; ``None`` when it
    runs through Core (see the module's notes; also a column left out that has a default Core
    computes). Kept per statement object and names: build statements once."""
    if dialect.driver != "asyncpg" or "ordinality" in names:
        return None
    table: Any = statement.table
    left_out = [column for column in table.columns if column.name not in names]
    if any(column.default is not None or column.onupdate is not None for column in left_out):
        return None
    arrays = [bindparam(name, type_=ARRAY(table.c[name].type)) for name in names]
    unnested = (
        func.unnest(*arrays).table_valued(*names, with_ordinality="ordinality").render_derived()
    )
    rows = select(*(unnested.c[name] for name in names)).order_by(unnested.c.ordinality)
    insert = statement.from_select(list(names), rows)
    if driver_statement.__wrapped__(insert, dialect) is None:  # its checks, not its cache
        return None
    return _DriverRows(statement, insert, names, dialect)


class _DriverRows(DriverStatement):
    """An INSERT of rows given as one list of values per column: up to
    :data:`ROWS_AS_VALUES` rows, a ``VALUES`` list compiled for their count; past it, the lists
    as arrays, unnested. Each value goes through its column type's bind processor; the arrays
    are given to asyncpg as they are (SQLAlchemy's ARRAY processor checks and copies every
    list, nested lists included: a third of the statement's CPU for one row)."""

    def __init__(
        self, statement: Insert, unnested: Insert, names: tuple[str, ...], dialect: Dialect
    ) -> None:
        compiled: Any = unnested.compile(dialect=dialect)
        keys = cast(list[str], list(unnested.exported_columns.keys()))
        super().__init__(unnested, compiled, dialect, keys)
        self._insert = statement
        self._names = names
        table: Any = statement.table
        self._columns = {name: table.c[name] for name in names}

    def variant(self, values: Mapping[str, Any]) -> _Variant:
        count = len(_list_of(values, self._names[0], None))
        key = (count if count <= ROWS_AS_VALUES else 0,)
        variant = self._variants.get(key)
        if variant is None:
            variant = self._as_values(count) if key[0] else self._as_arrays()
            self._variants[key] = variant
        return variant

    def _as_arrays(self) -> _Variant:
        binds = []
        for name in self._compiled.positiontup:
            if name not in self._columns:
                binds.append(self._bind(name, None))
                continue
            process = self._columns[name].type._cached_bind_processor(self.dialect)
            binds.append((name, None, _UNSET, None if process is None else _each(process)))
        return _Variant(self._compiled.string, binds)

    def _as_values(self, count: int) -> _Variant:
        row_of = {
            f"tread_row{index}_{name}": (name, index)
            for index in range(count)
            for name in self._names
        }
        rows = [
            {
                name: bindparam(f"tread_row{index}_{name}", type_=column.type)
                for name, column in self._columns.items()
            }
            for index in range(count)
        ]
        compiled: Any = self._insert.values(rows).compile(dialect=self.dialect)
        binds = []
        for key in compiled.positiontup:
            bind = compiled.binds[key]
            name, index = row_of.get(key, (key, None))
            default = _UNSET if key in row_of or bind.required else bind.effective_value
            binds.append((name, index, default, bind.type._cached_bind_processor(self.dialect)))
        return _Variant(compiled.string, binds)


def _each(process: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    def processed(values: list[Any]) -> list[Any]:
        return [process(value) for value in values]

    return processed


async def driver_read(
    engine: AsyncEngine, statement: Statement, values: Mapping[str, Any]
) -> list[Any] | None:
    """The rows of ``statement`` run on the driver, or ``None`` when it must run through Core
    (the caller then does)."""
    sync_engine = engine.sync_engine
    if sync_engine.dispatch.before_cursor_execute:
        return None
    prepared = driver_statement(statement, sync_engine.dialect)
    if prepared is None:
        return None
    return await prepared.fetch(sync_engine.pool, values)
