"""Optimistic concurrency at write time.

``If-Match`` compares the version the client read with the one this request loaded; another
request may still change the row in between. The ORM's ``version_id_col`` catches that when the
UPDATE runs (no row at the loaded version): :func:`flush_changes` turns it into the same 412 the
client would have got a moment later, instead of a 500."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tread_shared.db.flushing import flush_pending
from tread_shared.errors import PreconditionFailed


async def flush_changes(session: AsyncSession) -> None:
    """Flush pending changes; a row changed meanwhile by someone else is a 412 problem."""
    try:
        await flush_pending(session)
    except StaleDataError as exc:
        raise PreconditionFailed(
            "The resource changed while this request ran; read it again and retry."
        ) from exc
