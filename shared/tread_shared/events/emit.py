"""Emitting through the outbox, after the change is flushed: an event carries the row's new
version, so consumers can order what they receive."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tread_shared.errors import Conflict
from tread_shared.events.outbox import Outbox
from tread_shared.events.registry import EventPayload


class Entity(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


async def emit(
    session: AsyncSession, outbox: Outbox, entity: Entity, build: Callable[[], EventPayload]
) -> None:
    """Flush, then record the event ``build()`` makes about ``entity`` (its id is the subject:
    a new entity has one only once flushed)."""
    try:
        await session.flush()
    except (StaleDataError, IntegrityError) as exc:
        # Another request changed the same thing at the same moment (a second signature, a
        # second step on one contract): this one loses, as if it had come a moment later.
        raise Conflict(
            "Someone else changed this at the same moment; read it again and retry.",
            slug="concurrent-change",
        ) from exc
    await outbox.add(session, build(), subject=str(entity.id))
