"""A unit of work's own statements (``fetch_in``, ``execute_in``): on the driver on PostgreSQL,
through the session elsewhere, in the session's transaction either way: kept with its commit,
undone with its rollback, whether or not the ORM ran a statement first."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from tread_notes import MIGRATIONS_DIR
from tread_notes.notes.models import Note

from tread_shared.db.engine import Database
from tread_shared.db.in_transaction import execute_in, fetch_in

WRITTEN = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
NOTES = Note.__table__

_ADD = (
    insert(NOTES)
    .inline()
    .values(
        {
            name: bindparam(name, type_=NOTES.c[name].type)
            for name in (
                "id",
                "owner",
                "title",
                "body",
                "pinned",
                "created_at",
                "updated_at",
                "version",
            )
        }
    )
)
_RETITLE = update(NOTES).where(NOTES.c.owner == bindparam("who")).values(title=bindparam("title"))
_FORGET = delete(NOTES).where(NOTES.c.owner == bindparam("who"))
_OF = select(NOTES.c.title, NOTES.c.created_at).where(NOTES.c.owner == bindparam("who"))


def _note(owner: str, title: str, note_id: uuid.UUID | None = None) -> dict[str, object]:
    return {
        "id": note_id or uuid.uuid4(),
        "owner": owner,
        "title": title,
        "body": "",
        "pinned": False,
        "created_at": WRITTEN,
        "updated_at": WRITTEN,
        "version": 1,
    }


@pytest.fixture
async def db(make_database: Callable[[str, Path], str]) -> AsyncIterator[Database]:
    database = Database(make_database("notes", MIGRATIONS_DIR))
    yield database
    await database.dispose()


async def _titles(db: Database, owner: str) -> list[str]:
    async with db.reading() as connection:
        rows = await connection.execute(_OF.order_by(NOTES.c.title), {"who": owner})
        return [row.title for row in rows]


async def test_statements_commit_with_the_session_and_read_its_own_changes(db: Database) -> None:
    async with db.unit_of_work() as session:
        # The first statement of the transaction: it begins it.
        assert await execute_in(session, _ADD, _note("am-1", "Visit 1")) == 1
        session.add(Note(**_note("am-1", "Visit 2", uuid.uuid4())))  # type: ignore[arg-type]
        await session.flush()
        assert await execute_in(session, _RETITLE, {"who": "am-1", "title": "Visit"}) == 2
        rows = await fetch_in(session, _OF, {"who": "am-1"})
        assert [row.title for row in rows] == ["Visit", "Visit"]
        assert rows[0].created_at == WRITTEN  # typed as through Core: aware UTC
        assert await execute_in(session, _FORGET, {"who": "nobody"}) == 0

    assert await _titles(db, "am-1") == ["Visit", "Visit"]


@pytest.mark.parametrize("orm_first", [False, True])
async def test_a_rollback_undoes_them_with_the_sessions_changes(
    db: Database, orm_first: bool
) -> None:
    with pytest.raises(RuntimeError, match="the route failed"):
        async with db.unit_of_work() as session:
            if orm_first:
                session.add(Note(**_note("am-2", "By the ORM")))  # type: ignore[arg-type]
                await session.flush()
            await execute_in(session, _ADD, _note("am-2", "On the driver"))
            raise RuntimeError("the route failed")

    assert await _titles(db, "am-2") == []


async def test_a_constraint_refused_is_sqlalchemys_integrity_error(db: Database) -> None:
    taken = uuid.uuid4()
    async with db.unit_of_work() as session:
        await execute_in(session, _ADD, _note("am-3", "First", taken))

    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as session:
            await execute_in(session, _ADD, _note("am-3", "Second", taken))

    assert await _titles(db, "am-3") == ["First"]


async def test_a_second_transaction_of_one_session_is_its_own(db: Database) -> None:
    async with db.sessions() as session:
        await execute_in(session, _ADD, _note("am-4", "Kept"))
        await session.commit()
        await execute_in(session, _ADD, _note("am-4", "Dropped"))
        await session.rollback()

    assert await _titles(db, "am-4") == ["Kept"]
