from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from tread_notes.notes.models import Note


class NoteDraft(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=5000)
    pinned: bool = False


class NoteChanges(BaseModel):
    """Only the fields sent change."""

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, max_length=5000)
    pinned: bool | None = None


class NoteOut(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    pinned: bool
    owner: str
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        return cls.model_validate(note, from_attributes=True)
