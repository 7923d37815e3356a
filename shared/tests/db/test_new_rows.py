"""``insert_new``: a new entity written by one INSERT built once, left in the session as the
ORM's flush leaves it (same values, loaded, unchanged, its version the first), committed or
rolled back with the session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from tread_notes import MIGRATIONS_DIR
from tread_notes.notes.models import Note

from tread_shared.db.engine import Database
from tread_shared.db.new_rows import insert_new

WRITTEN_AS = ("owner", "title", "body", "pinned", "deleted_at", "version")


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
