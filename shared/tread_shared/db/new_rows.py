"""A new entity written at once: one INSERT built once per model, not an ORM flush.

Flushing one new object costs the ORM about 300 µs of CPU on PostgreSQL (its unit of work
sorts what is pending, collects the parameters, runs the INSERT through the session's
connection and its execution context, then updates the object's state): the largest single
part of a keyed create (issue 12). :func:`insert_new` gives the object the values the flush
would (its columns' Python defaults, the first version), INSERTs its row with a Core statement
built once for its model (on the driver, in the session's transaction, on PostgreSQL:
:mod:`tread_shared.db.in_transaction`), then registers it in the session as the flush registers
what it wrote: loaded, unchanged, in the identity map, a later change flushed as an UPDATE of
that version; the row commits or rolls back with the session, and a rollback makes the object
transient again, as after a flush.

A model it does not take is added and flushed as before: one with inheritance, relationships
(whose cascades the flush follows), a server default or an autoincrement key (values read back),
a default that wants the execution context, mapper events, or dataclass defaults; likewise an
object already in a session, one with a SQL expression as a value, and a session with
``before_flush`` listeners."""

from __future__ import annotations

import dataclasses
import inspect as python_inspect
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from tread_shared.db.in_transaction import (
    execute_in,
    hold_new_row,
    insert_of,
    other_before_flush_listeners,
)


@dataclasses.dataclass(frozen=True)
class _Column:
    attribute: str
    column: str
    # The column's Python default, as a function of nothing; None without one.
    default: Callable[[], Any] | None
    # A None given is written as NULL (JSON null for a JSON column) rather than the default.
    none_is_a_value: bool


@dataclasses.dataclass(frozen=True)
class _Plan:
    table: Table
    statement: Insert
    columns: tuple[_Column, ...]
    # The version counter (``version_id_col``): its attribute, its column, its generator.
    version: tuple[str, str, Callable[[Any], Any]] | None


def _default_of(column: Any) -> Callable[[], Any] | bool | None:
    """The column's Python default as a function of nothing, None without one, False when it
    cannot be had without Core (a SQL expression, a sequence, a function of the context)."""
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if not default.is_callable:
        return False
    # SQLAlchemy wraps a function of no arguments to take the context (``__wrapped__``).
    function = getattr(default.arg, "__wrapped__", None)
    if function is None:
        return False
    required = [
        parameter
        for parameter in python_inspect.signature(function).parameters.values()
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    return False if required else function


@cache
def _plan(model: Any) -> _Plan | None:
    mapper: Any = inspect(model)
    table = mapper.local_table
    if (
        mapper.inherits is not None
        or mapper.polymorphic_on is not None
        or mapper.relationships
        or len(mapper.tables) != 1
        or dataclasses.is_dataclass(model)
        or mapper.dispatch.before_insert
        or mapper.dispatch.after_insert
    ):
        return None
    columns = []
    for column in table.columns:
        default = _default_of(column)
        if default is False or column.server_default is not None:
            return None
        if column.primary_key and default is None:
            return None  # an autoincrement key, or one the caller must give: the ORM's case
        columns.append(
            _Column(
                mapper.get_property_by_column(column).key,
                column.key,
                default,  # type: ignore[arg-type]
                column.type.should_evaluate_none,
            )
        )
    version = None
    if mapper.version_id_col is not None:
        if mapper.version_id_generator is False:
            return None
        version = (
            mapper.get_property_by_column(mapper.version_id_col).key,
            mapper.version_id_col.key,
            mapper.version_id_generator,
        )
    statement = insert_of(table, tuple(column.key for column in table.columns))
    return _Plan(table, statement, tuple(columns), version)


async def insert_new(session: AsyncSession, entity: object, *, hold: bool = False) -> None:
    """Write the new ``entity`` now, in ``session``'s transaction, and attach it to the session
    as written (see the module's notes): what ``session.add(entity)`` and a flush do, for less.
    Pending changes of the session are flushed first, so that rows it refers to exist.

    ``hold``: the caller knows no constraint can refuse the row but its new primary key (no
    unique value, no reference that may be gone), so it may be written with the unit of work's
    last statement if the session holds new rows (a keyed request on PostgreSQL:
    :mod:`tread_shared.db.in_transaction`); it reads as written all the same."""
    model: Any = type(entity)
    plan = _plan(model)
    state: Any = inspect(entity)
    if plan is None or not state.transient or other_before_flush_listeners(session.sync_session):
        session.add(entity)
        await session.flush()
        return
    values = state.dict
    row: dict[str, Any] = {}
    for column in plan.columns:
        value = values.get(column.attribute)
        if value is None and not (column.none_is_a_value and column.attribute in values):
            # Missing, or None where None means missing: the default, else NULL; loaded as
            # written either way (an attribute left unloaded would be read from the database).
            if column.default is not None:
                value = column.default()
            values[column.attribute] = value
        elif isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
            session.add(entity)  # a SQL expression as a value: Core renders it
            await session.flush()
            return
        row[column.column] = value
    if plan.version is not None:
        # The first version, whatever was set, as the flush writes it.
        attribute, key, generate = plan.version
        row[key] = values[attribute] = generate(None)
    if session.new or session.dirty or session.deleted:
        await session.flush()
    if not (hold and hold_new_row(session, plan.table, row)):
        await execute_in(session, plan.statement, row)
    # Pending, then persistent as the flush registers what it wrote: in the identity map,
    # unchanged, and new to this transaction (a rollback makes it transient again).
    session.add(entity)
    session.sync_session._register_persistent({state})
