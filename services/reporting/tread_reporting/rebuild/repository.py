from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.models import READ_MODELS
from tread_reporting.projection.writes import table_of


async def delete_rows(session: AsyncSession, generation: int, table_index: int) -> int:
    """Delete the rows of ``generation`` from one read-model table; how many."""
    table = table_of(READ_MODELS[table_index])
    result = await session.execute(delete(table).where(table.c.generation == generation))
    return int(getattr(result, "rowcount", 0) or 0)
