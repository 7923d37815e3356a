"""``render``: an entity's response model from its loaded values, the same as reading it
attribute by attribute."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm.attributes import set_committed_value
from tread_notes.notes.models import Note

from tread_shared.db.reading import render


class NoteCard(BaseModel):
    id: uuid.UUID
    title: str
    pinned: bool
    updated_at: datetime
    version: int


class NoteHeadline(BaseModel):
    title: str
    headline: str  # not a column: read from the entity


def _loaded_note(**values: object) -> Note:
    note = Note()
    now = datetime(2026, 12, 7, 4, 15, tzinfo=UTC)
    columns = {
        "id": uuid.uuid4(),
        "owner": "am-1",
        "title": "Winter stock check",
        "body": "",
        "pinned": True,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "version": 3,
        **values,
    }
    for key, value in columns.items():
        set_committed_value(note, key, value)  # as a query loads it
    return note


def test_a_loaded_entity_renders_as_its_attributes_do() -> None:
    note = _loaded_note()

    assert render(NoteCard, note) == NoteCard.model_validate(note, from_attributes=True)


def test_values_are_validated_either_way() -> None:
    note = _loaded_note(version="not a number")

    with pytest.raises(ValidationError):
        render(NoteCard, note)


def test_a_field_that_is_no_column_is_read_from_the_entity() -> None:
    note = _loaded_note()
    note.headline = "Pinned: Winter stock check"

    assert render(NoteHeadline, note).headline == "Pinned: Winter stock check"
