"""``insert_new``: a new entity written by one INSERT built once, left in the session as the
ORM's flush leaves it (same values, loaded, unchanged, its version the first), committed or
rolled back with the session."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from tread_notes import MIGRATIONS_DIR
from tread_notes.notes.models import Note

from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.in_transaction import fetch_in, insert_of
from tread_shared.db.new_rows import insert_new
from tread_shared.events.outbox import hold_events, insert_with_held_events
from tread_shared.ids import new_id

WRITTEN_AS = ("owner", "title", "body", "pinned", "deleted_at", "version")
_COUNT_OWNED = (
    select(func.count().label("count")).select_from(Note).where(Note.owner == bindparam("owner"))
)


@pytest.fixture
async def db(make_database: Callable[[str, Path], str]) -> AsyncIterator[Database]:
    database = Database(make_database("notes", MIGRATIONS_DIR))
    yield database
    await database.dispose()


async def _stored(db: Database, note_id: uuid.UUID) -> dict[str, Any] | None:
    async with db.reading() as connection:
        row = (await connection.execute(select(Note.__table__).where(Note.id == note_id))).first()
    return None if row is None else row._asdict()


def _loaded(note: Note) -> dict[str, Any]:
    return {name: getattr(note, name) for name in WRITTEN_AS}


async def test_the_entity_is_written_and_left_as_a_flush_leaves_it(db: Database) -> None:
    async with db.unit_of_work() as session:
        flushed = Note(owner="am-1", title="By the flush")
        session.add(flushed)
        await session.flush()
        inserted = Note(owner="am-1", title="By insert_new")
        await insert_new(session, inserted)

        state: Any = inspect(inserted)
        assert state.persistent and not state.modified and not state.expired_attributes
        assert inserted in session and not session.new
        assert {**_loaded(inserted), "title": ""} == {**_loaded(flushed), "title": ""}
        assert inserted.id is not None and inserted.created_at is not None
        assert inserted.version == 1

    stored = await _stored(db, inserted.id)
    assert stored is not None
    assert {name: stored[name] for name in WRITTEN_AS} == _loaded(inserted)
    assert stored["created_at"] == inserted.created_at


async def test_a_later_change_is_an_update_of_its_first_version(db: Database) -> None:
    async with db.unit_of_work() as session:
        note = Note(owner="am-2", title="First")
        await insert_new(session, note)
        note.title = "Second"
        await session.flush()
        assert note.version == 2

    stored = await _stored(db, note.id)
    assert stored is not None and (stored["title"], stored["version"]) == ("Second", 2)


async def test_it_goes_with_a_rollback_and_is_new_again(db: Database) -> None:
    with pytest.raises(RuntimeError, match="the route failed"):
        async with db.unit_of_work() as session:
            note = Note(owner="am-3", title="Undone")
            await insert_new(session, note)
            raise RuntimeError("the route failed")

    assert inspect(note).transient  # as a flushed new object after a rollback
    assert await _stored(db, note.id) is None


async def test_a_constraint_refused_is_an_integrity_error_and_nothing_is_attached(
    db: Database,
) -> None:
    taken = uuid.uuid4()
    async with db.unit_of_work() as session:
        await insert_new(session, Note(id=taken, owner="am-4", title="First"))

    second = Note(id=taken, owner="am-4", title="Second")
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as session:
            await insert_new(session, second)
    assert inspect(second).transient


async def test_what_the_session_holds_is_flushed_first_and_an_added_entity_is_flushed(
    db: Database,
) -> None:
    async with db.unit_of_work() as session:
        pending = Note(owner="am-5", title="Pending")
        session.add(pending)
        await insert_new(session, Note(owner="am-5", title="New"))
        assert not session.new
        added = Note(owner="am-5", title="Added")
        session.add(added)
        await insert_new(session, added)  # already in the session: the flush writes it
        assert inspect(added).persistent

    assert await _stored(db, pending.id) is not None
    assert await _stored(db, added.id) is not None


# A row allowed to wait (``hold=True``) for the unit of work's last statement, as a keyed
# request's answer is: on PostgreSQL it goes in with that statement; everywhere it reads as
# written and commits or rolls back with the session.


def _row(title: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(),
        "owner": "am-9",
        "title": title,
        "body": "",
        "pinned": False,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "version": 1,
    }


async def _last(session: AsyncSession, title: str = "Last") -> dict[str, Any]:
    """The unit of work's own last INSERT: another note's row."""
    row = _row(title)
    await insert_with_held_events(session, insert_of(Note.__table__, tuple(row)), row)
    return row


async def _statements(session: AsyncSession) -> list[str] | None:
    """The statements the session's connection runs from now on, as PostgreSQL receives them
    (None on SQLite, where nothing is held), but ``BEGIN``."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    seen: list[str] = []
    fairy = await (await session.connection()).get_raw_connection()
    fairy.driver_connection.add_query_logger(
        lambda logged: logged.query == "BEGIN;" or seen.append(logged.query)
    )
    return seen


async def test_a_held_row_goes_in_with_the_last_statement(db: Database) -> None:
    async with db.unit_of_work() as session:
        hold_events(session)
        statements = await _statements(session)
        held = Note(owner="am-9", title="Held")
        await insert_new(session, held, hold=True)
        assert inspect(held).persistent and held.version == 1
        await asyncio.sleep(0.01)  # asyncpg calls its query loggers soon after, not at once
        if statements is not None:
            assert statements == []  # nothing sent yet
        last = await _last(session)
        await asyncio.sleep(0.01)
        if statements is not None:
            # One statement wrote both rows.
            assert len(statements) == 1 and statements[0].count("INSERT INTO notes") == 2

    assert await _stored(db, held.id) is not None
    assert await _stored(db, last["id"]) is not None


async def test_a_held_row_is_written_before_anything_the_session_reads(db: Database) -> None:
    async with db.unit_of_work() as session:
        hold_events(session)
        held = Note(owner="am-10", title="Read back")
        await insert_new(session, held, hold=True)
        titles = (await session.scalars(select(Note.title).where(Note.owner == "am-10"))).all()
        assert titles == ["Read back"]
        other = Note(owner="am-10", title="Second")
        await insert_new(session, other, hold=True)
        counted = await fetch_in(session, _COUNT_OWNED, {"owner": "am-10"})
        assert counted[0].count == 2


async def test_a_held_row_changed_later_is_written_then_updated(db: Database) -> None:
    async with db.unit_of_work() as session:
        hold_events(session)
        note = Note(owner="am-11", title="First")
        await insert_new(session, note, hold=True)
        note.title = "Second"
        await session.flush()
        assert note.version == 2

    stored = await _stored(db, note.id)
    assert stored is not None and (stored["title"], stored["version"]) == ("Second", 2)


async def test_a_session_committed_with_a_row_held_writes_it(db: Database) -> None:
    async with db.unit_of_work() as session:
        hold_events(session)
        note = Note(owner="am-12", title="Committed without a last statement")
        await insert_new(session, note, hold=True)

    assert await _stored(db, note.id) is not None


async def test_a_held_row_goes_with_a_rollback_and_not_into_the_next_transaction(
    db: Database,
) -> None:
    async with db.sessions() as session:
        hold_events(session)
        undone = Note(owner="am-13", title="Undone")
        await insert_new(session, undone, hold=True)
        await session.rollback()
        kept = Note(owner="am-13", title="Kept")
        await insert_new(session, kept, hold=True)
        last = await _last(session)
        await session.commit()

    assert inspect(undone).transient
    assert await _stored(db, undone.id) is None
    assert await _stored(db, kept.id) is not None
    assert await _stored(db, last["id"]) is not None


async def test_a_savepoint_while_rows_are_held_is_refused(db: Database) -> None:
    """On PostgreSQL the row is held, and a savepoint after it is refused; on SQLite nothing
    is held (the row is written at once), so the savepoint is an ordinary one."""
    note = Note(owner="am-14", title="Held")

    async def hold_then_savepoint() -> None:
        async with db.unit_of_work() as session:
            hold_events(session)
            await insert_new(session, note, hold=True)
            async with session.begin_nested():
                assert await session.scalar(select(func.count()).select_from(Note)) == 1

    if db.engine.dialect.name == "postgresql":
        with pytest.raises(RuntimeError, match="savepoint"):
            await hold_then_savepoint()
        assert await _stored(db, note.id) is None
    else:
        await hold_then_savepoint()
        assert await _stored(db, note.id) is not None
