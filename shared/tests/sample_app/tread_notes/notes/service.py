"""What a note does. Never commits: the request's session does, with the outbox rows in it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tread_notes.notes import repository
from tread_notes.notes.events import NoteCreated, NoteDeleted, NoteRevised
from tread_notes.notes.models import Note
from tread_notes.notes.schemas import NoteChanges, NoteDraft
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.new_rows import insert_new
from tread_shared.errors import NotFound
from tread_shared.events.outbox import Outbox
from tread_shared.ids import new_id


async def get_note(session: AsyncSession, reader: Principal, note_id: uuid.UUID) -> Note:
    note = await repository.get_live(session, note_id, reader.sub)
    if note is None:
        raise NotFound("No such note.")
    return note


async def create_note(
    session: AsyncSession, outbox: Outbox, author: Principal, draft: NoteDraft
) -> Note:
    note = Note(id=new_id(), owner=author.sub, **draft.model_dump())
    # No unique value, no reference: a keyed create writes it with the answer.
    await insert_new(session, note, hold=True)
    await outbox.add(
        session,
        NoteCreated(note_id=note.id, owner=note.owner, revision=1, title=note.title),
        subject=str(note.id),
    )
    return note


async def revise_note(
    session: AsyncSession, outbox: Outbox, note: Note, changes: NoteChanges
) -> Note:
    for name, value in changes.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(note, name, value)
    await flush_changes(session)
    await outbox.add(
        session,
        NoteRevised(note_id=note.id, owner=note.owner, revision=note.version, title=note.title),
        subject=str(note.id),
    )
    return note


async def delete_note(session: AsyncSession, outbox: Outbox, note: Note) -> None:
    """Soft delete: the row stays as a tombstone, so offline clients learn of the deletion."""
    note.deleted_at = utcnow()
    await flush_changes(session)
    await outbox.add(
        session,
        NoteDeleted(note_id=note.id, owner=note.owner, revision=note.version),
        subject=str(note.id),
    )
