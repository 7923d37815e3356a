"""The rows a batch of events writes into one generation, and how they reach the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Executable, Table, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from tread_reporting.base import Base
from tread_shared.db.upsert import insert_on_conflict, upsert_newer

Row = dict[str, Any]
Model = type[Base]


def table_of(model: Model) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class Accumulation:
    """How a counting row merges with the one stored: columns added, kept smallest, greatest."""

    add: tuple[str, ...] = ()
    least: tuple[str, ...] = ()
    greatest: tuple[str, ...] = ()


@dataclass
class Writes:
    """Rows for ``generation``, merged by primary key before they are written:

    - ``upsert_newer``: the row with the greatest ``version`` wins, here and against the row
      already stored (an older or equal version changes nothing);
    - ``insert_fact``: the first row of a key stays (facts: an audit, a milestone);
    - ``accumulate``: rows add up (counts), per ``Accumulation``.
    """

    generation: int
    _newest: dict[tuple[Table, str], dict[tuple[Any, ...], Row]] = field(default_factory=dict)
    _facts: dict[Table, dict[tuple[Any, ...], Row]] = field(default_factory=dict)
    _sums: dict[tuple[Table, Accumulation], dict[tuple[Any, ...], Row]] = field(
        default_factory=dict
    )
    _afterwards: dict[Executable, dict[tuple[Any, ...], Row]] = field(default_factory=dict)

    def _keyed(self, table: Table, values: Row) -> tuple[tuple[Any, ...], Row]:
        row = {"generation": self.generation, **values}
        names, key = _shape(table)
        if row.keys() != names:
            raise ValueError(f"{table.name}: values for {sorted(row)}, columns {sorted(names)}")
        return tuple(row[name] for name in key), row

    def upsert_newer(self, model: Model, values: Row, *, version: str = "version") -> None:
        table = table_of(model)
        key, row = self._keyed(table, values)
        rows = self._newest.setdefault((table, version), {})
        held = rows.get(key)
        if held is None or held[version] < row[version]:
            rows[key] = row

    def insert_fact(self, model: Model, values: Row) -> None:
        table = table_of(model)
        key, row = self._keyed(table, values)
        self._facts.setdefault(table, {}).setdefault(key, row)

    def accumulate(self, model: Model, values: Row, how: Accumulation) -> None:
        table = table_of(model)
        key, row = self._keyed(table, values)
        rows = self._sums.setdefault((table, how), {})
        held = rows.get(key)
        if held is None:
            rows[key] = row
            return
        for name in how.add:
            held[name] += row[name]
        for name in how.least:
            held[name] = min(held[name], row[name])
        for name in how.greatest:
            held[name] = max(held[name], row[name])

    def afterwards(self, statement: Executable, values: Row) -> None:
        """Run ``statement`` with ``values`` (once per distinct values, and the generation as
        ``in_generation``) after every row is written: to recompute from what the rows say."""
        row = {"in_generation": self.generation, **values}
        self._afterwards.setdefault(statement, {})[tuple(sorted(row.items()))] = row

    @property
    def row_count(self) -> int:
        groups: Iterable[dict[tuple[Any, ...], Row]] = [
            *self._newest.values(),
            *self._facts.values(),
            *self._sums.values(),
            *self._afterwards.values(),
        ]
        return sum(len(rows) for rows in groups)

    async def run(self, session: AsyncSession) -> None:
        """Write everything: one statement per table and kind, executed for all its rows."""
        dialect = session.get_bind().dialect.name
        for (table, version), rows in self._newest.items():
            await _execute(
                session, upsert_newer(dialect, table, version, equal_replaces=False), rows
            )
        for table, rows in self._facts.items():
            await _execute(session, _insert_fact(dialect, table), rows)
        for (table, how), rows in self._sums.items():
            await _execute(session, _accumulate(dialect, table, how), rows)
        for statement, rows in self._afterwards.items():
            await session.execute(statement, list(rows.values()))


async def _execute(session: AsyncSession, statement: Insert, rows: dict[Any, Row]) -> None:
    if rows:
        await session.execute(statement, list(rows.values()))


@cache
def _shape(table: Table) -> tuple[frozenset[str], tuple[str, ...]]:
    """The column names of ``table`` and those of its primary key, in key order."""
    return frozenset(c.name for c in table.columns), tuple(_key_names(table))


def _key_names(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


@cache
def _insert_fact(dialect: str, table: Table) -> Insert:
    statement = insert_on_conflict(dialect, table).on_conflict_do_nothing(
        index_elements=_key_names(table)
    )
    assert isinstance(statement, Insert)
    return statement


@cache
def _accumulate(dialect: str, table: Table, how: Accumulation) -> Insert:
    statement = insert_on_conflict(dialect, table)
    excluded = statement.excluded
    smaller, greater = (
        (func.least, func.greatest) if dialect == "postgresql" else (func.min, func.max)
    )
    updates: dict[str, Any] = {c: table.c[c] + excluded[c] for c in how.add}
    updates.update({c: smaller(table.c[c], excluded[c]) for c in how.least})
    updates.update({c: greater(table.c[c], excluded[c]) for c in how.greatest})
    statement = statement.on_conflict_do_update(index_elements=_key_names(table), set_=updates)
    assert isinstance(statement, Insert)
    return statement
