from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_notes.notes.models import Note
from tread_shared.db.listing import Listed, list_page
from tread_shared.http.pagination import PageParams


async def get_live(session: AsyncSession, note_id: uuid.UUID, owner: str) -> Note | None:
    """The note, unless it is deleted or someone else's."""
    note = await session.get(Note, note_id)
    if note is None or note.owner != owner or note.deleted_at is not None:
        return None
    return note


async def list_for_owner(
    session: AsyncSession, owner: str, page: PageParams, updated_since: datetime | None
) -> Listed[Note]:
    query = select(Note).where(Note.owner == owner)
    return await list_page(session, query, Note, page, updated_since=updated_since)
