"""``INSERT … ON CONFLICT`` for the two databases Tread runs on."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_on_conflict(dialect: str, table: Any) -> Any:
    """An ``INSERT`` into ``table`` (a Table or a mapped class) offering
    ``on_conflict_do_nothing`` / ``on_conflict_do_update``, for ``dialect``
    (``session.get_bind().dialect.name``)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"Tread runs on PostgreSQL and SQLite, not {dialect}")


@cache
def upsert_newer(dialect: str, table: Table, version: str, *, equal_replaces: bool) -> Insert:
    """``INSERT`` into ``table`` whose conflicting row (on the primary key) takes every other
    column of the one sent when the stored ``version`` column is older: the newer version wins,
    so events applied late or twice never roll a row back. ``equal_replaces``: an equal version
    replaces the stored row too (applying an event again writes what it wrote). Built once per
    table: rows are its parameters."""
    statement = insert_on_conflict(dialect, table)
    excluded = statement.excluded
    stored, sent = table.c[version], excluded[version]
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={c.name: excluded[c.name] for c in table.columns if not c.primary_key},
        where=stored <= sent if equal_replaces else stored < sent,
    )
    assert isinstance(statement, Insert)
    return statement
