"""An INSERT of several rows in a unit of work (``fetch_rows_in``, ``execute_rows_in``): one
statement whatever their number (a ``VALUES`` list per count up to ``ROWS_AS_VALUES``, arrays
past it, on PostgreSQL; SQLAlchemy's multi-row INSERT on SQLite), the rows in the order given,
``ON CONFLICT`` and ``RETURNING`` as the statement says, in the session's transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from tread_notes import MIGRATIONS_DIR
from tread_notes.notes.models import Note

from tread_shared.db.engine import Database
from tread_shared.db.in_transaction import execute_rows_in, fetch_rows_in
from tread_shared.db.prepared import ROWS_AS_VALUES

WRITTEN = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
NOTES = Note.__table__


def _insert(db: Database) -> Any:
    return postgresql.insert(NOTES) if not db.is_sqlite else sqlite.insert(NOTES)


def _note(owner: str, number: int, note_id: uuid.UUID | None = None) -> dict[str, object]:
    return {
        "id": note_id or uuid.uuid4(),
        "owner": owner,
        "title": f"Visit {number}",
        "body": "",
        "pinned": number % 2 == 0,
        "created_at": WRITTEN + timedelta(minutes=number),
        "updated_at": WRITTEN,
        "version": 1,
    }


@pytest.fixture
async def db(make_database: Callable[[str, Path], str]) -> AsyncIterator[Database]:
    database = Database(make_database("notes", MIGRATIONS_DIR))
    yield database
    await database.dispose()


async def _stored(db: Database, owner: str) -> list[tuple[object, ...]]:
    """The owner's notes in the order they were inserted (the heap's or the rowid's order: the
    table is fresh, nothing was deleted)."""
    order = literal_column("rowid" if db.is_sqlite else "ctid")
    query = (
        select(NOTES.c.id, NOTES.c.title, NOTES.c.pinned, NOTES.c.created_at)
        .where(NOTES.c.owner == owner)
        .order_by(order)
    )
    async with db.reading() as connection:
        return [tuple(row) for row in await connection.execute(query)]


@pytest.mark.parametrize("count", [1, 2, ROWS_AS_VALUES, ROWS_AS_VALUES + 1, 40])
async def test_rows_go_in_in_their_order_and_the_conflicting_ones_are_skipped(
    db: Database, count: int
) -> None:
    owner = f"am-{count}"
    skip = _insert(db).on_conflict_do_nothing(index_elements=["id"])
    add = skip.returning(NOTES.c.id)
    held = _note(owner, 0)
    async with db.unit_of_work() as session:
        await execute_rows_in(session, skip, [held])
    rows = [_note(owner, number) for number in range(1, count + 1)]
    # The note held already, again (with another title), in the middle of the rows.
    again = {**held, "title": "Changed"}
    sent = [*rows[: count // 2], again, *rows[count // 2 :]]

    async with db.unit_of_work() as session:
        inserted = await fetch_rows_in(session, add, sent)

    assert {row.id for row in inserted} == {row["id"] for row in rows}
    expected = [held, *rows]
    assert await _stored(db, owner) == [
        (row["id"], row["title"], row["pinned"], row["created_at"]) for row in expected
    ]


async def test_an_update_on_conflict_writes_what_the_statement_says(db: Database) -> None:
    statement = _insert(db)
    newer = statement.on_conflict_do_update(
        index_elements=["id"],
        set_={"title": statement.excluded.title, "version": statement.excluded.version},
        where=NOTES.c.version < statement.excluded.version,
    )
    first, second = _note("am-u", 1), _note("am-u", 2)
    async with db.unit_of_work() as session:
        await execute_rows_in(session, newer, [first, second])
    async with db.unit_of_work() as session:
        await execute_rows_in(
            session,
            newer,
            [
                {**first, "title": "Older", "version": 1},  # not newer: stays
                {**second, "title": "Newer", "version": 2},
            ],
        )

    assert [row[1] for row in await _stored(db, "am-u")] == ["Visit 1", "Newer"]


async def test_rows_roll_back_with_the_session(db: Database) -> None:
    plain = _insert(db)
    with pytest.raises(RuntimeError, match="the handler failed"):
        async with db.unit_of_work() as session:
            await execute_rows_in(session, plain, [_note("am-r", 1), _note("am-r", 2)])
            raise RuntimeError("the handler failed")

    assert await _stored(db, "am-r") == []


async def test_no_rows_is_no_statement(db: Database) -> None:
    async with db.unit_of_work() as session:
        assert await fetch_rows_in(session, _insert(db).returning(NOTES.c.id), []) == []
        await execute_rows_in(session, _insert(db), [])
        assert not session.in_transaction()  # nothing was sent
