"""``INSERT … ON CONFLICT`` for the two databases Tread runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def insert_on_conflict(dialect: str, table: Any) -> Any:
    """An ``INSERT`` into ``table`` (a Table or a mapped class) offering
    ``on_conflict_do_nothing`` / ``on_conflict_do_update``, for ``dialect``
    (``session.get_bind().dialect.name``)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"Tread runs on PostgreSQL and SQLite, not {dialect}")
