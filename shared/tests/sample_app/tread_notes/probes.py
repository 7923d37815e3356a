"""Routes that exist only to show how the library behaves when things go wrong: a bug, a slow
write, a write that fails once. A real service has none of these."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from tread_notes.notes import service
from tread_notes.notes.schemas import NoteDraft, NoteOut
from tread_shared.app import EventOutbox
from tread_shared.auth.dependencies import CurrentPrincipal
from tread_shared.db.session import DbSession

router = APIRouter(prefix="/v1/probes", tags=["probes"])

SECRET = "postgresql://tread:hunter2@db.internal/tread"


@router.get("/crash")
async def crash() -> dict[str, Any]:
    """A bug: the exception text must not reach the client."""
    raise RuntimeError(f"could not connect to {SECRET}")


@router.post("/slow-notes", status_code=201)
async def create_note_slowly(
    draft: NoteDraft,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    author: CurrentPrincipal,
) -> NoteOut:
    """Writes a note once the test sets ``app.state.release_slow_notes``."""
    request.app.state.slow_notes_started.set()
    await asyncio.wait_for(request.app.state.release_slow_notes.wait(), timeout=10)
    note = await service.create_note(session, outbox, author, draft)
    return NoteOut.of(note)


@router.post("/flaky-notes", status_code=201)
async def create_note_flakily(
    draft: NoteDraft,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    author: CurrentPrincipal,
) -> NoteOut:
    """Writes a note, then fails while ``app.state.flaky_failures`` is above zero (the write
    rolls back with the request)."""
    note = await service.create_note(session, outbox, author, draft)
    if request.app.state.flaky_failures > 0:
        request.app.state.flaky_failures -= 1
        raise RuntimeError("the disk is full")
    return NoteOut.of(note)


@router.post("/notes-in-their-own-transaction", status_code=201)
async def create_note_in_its_own_transaction(
    draft: NoteDraft, request: Request, outbox: EventOutbox, author: CurrentPrincipal
) -> NoteOut:
    """Writes a note in a unit of work of its own, without ``DbSession`` (its answer is stored
    after the route's transaction, in another)."""
    async with request.app.state.db.unit_of_work() as session:
        note = await service.create_note(session, outbox, author, draft)
    return NoteOut.of(note)
