from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tread_notes.notes import repository, service
from tread_notes.notes.models import Note
from tread_notes.notes.schemas import NoteChanges, NoteDraft, NoteOut
from tread_shared.app import EventOutbox
from tread_shared.auth.dependencies import CurrentPrincipal, require_roles
from tread_shared.auth.principal import Principal, Role
from tread_shared.db.listing import sync_page
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1/notes", tags=["notes"])

Author = Annotated[
    Principal,
    Depends(require_roles(Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER)),
]


async def note_to_change(
    note_id: uuid.UUID, request: Request, session: DbSession, author: Author
) -> Note:
    """The caller's note, provided the caller saw its current version (If-Match)."""
    note = await service.get_note(session, author, note_id)
    check_if_match(request, note.id, note.version)
    return note


NoteToChange = Annotated[Note, Depends(note_to_change)]


def _answer(response: Response, note: NoteOut) -> NoteOut:
    set_etag(response, note.id, note.version)
    return note


@router.post("", status_code=201)
async def create_note(
    draft: NoteDraft,
    session: DbSession,
    outbox: EventOutbox,
    author: Author,
    response: Response,
) -> NoteOut:
    """Write a note. Send an Idempotency-Key to retry safely."""
    note = await service.create_note(session, outbox, author, draft)
    response.headers["Location"] = f"{router.prefix}/{note.id}"
    return _answer(response, NoteOut.of(note))


@router.get("")
async def list_notes(
    session: DbSession,
    reader: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    updated_since: UpdatedSince = None,
) -> Page[NoteOut | Tombstone]:
    """The caller's notes, oldest first; with ``updated_since``, every change since then in
    the order it happened, deletions as tombstones."""
    listed = await repository.list_for_owner(session, reader.sub, page, updated_since)
    return sync_page(listed, NoteOut.of)


@router.get("/{note_id}")
async def get_note(
    note_id: uuid.UUID, session: DbSession, reader: CurrentPrincipal, response: Response
) -> NoteOut:
    note = await service.get_note(session, reader, note_id)
    return _answer(response, NoteOut.of(note))


@router.patch("/{note_id}")
async def revise_note(
    note: NoteToChange,
    changes: NoteChanges,
    session: DbSession,
    outbox: EventOutbox,
    response: Response,
) -> NoteOut:
    """Change a note; needs If-Match with the ETag last read."""
    note = await service.revise_note(session, outbox, note, changes)
    return _answer(response, NoteOut.of(note))


@router.delete("/{note_id}", status_code=204)
async def delete_note(note: NoteToChange, session: DbSession, outbox: EventOutbox) -> None:
    """Delete a note; needs If-Match. Offline clients see it as a tombstone."""
    await service.delete_note(session, outbox, note)
