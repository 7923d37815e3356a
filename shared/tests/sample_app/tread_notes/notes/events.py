"""Events of notes. A real service's payload models live in ``tread_shared.events.payloads``;
the sample's stay here, as it is not part of Tread."""

from __future__ import annotations

import uuid

from tread_shared.events.registry import EventPayload


class NoteEvent(EventPayload):
    service = "notes"
    entity = "note"

    note_id: uuid.UUID
    owner: str
    revision: int


class NoteCreated(NoteEvent):
    verb = "created"

    title: str


class NoteRevised(NoteEvent):
    verb = "revised"

    title: str


class NoteDeleted(NoteEvent):
    verb = "deleted"
