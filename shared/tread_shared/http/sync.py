"""Offline sync: ``updated_since`` lists changes in update order, deletions as tombstones."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from tread_shared.dates import PlausibleDateTime


class Tombstone(BaseModel):
    """What a client learns about a deleted item: drop it from the local copy."""

    id: uuid.UUID
    deleted: bool = True
    updated_at: datetime


UpdatedSince = Annotated[
    PlausibleDateTime | None,
    Query(
        description="Only items changed at or after this time (with its UTC offset), deletions"
        " included, in the order they changed; pass the greatest updated_at you received."
    ),
]
"""The ``updated_since`` query parameter of a list: a time with its offset, in 1900 to 2199
(else 422)."""


def tombstone_or(item: Any, render: Any) -> Any:
    """``render(item)`` for a live row, a :class:`Tombstone` for a soft-deleted one."""
    if getattr(item, "deleted_at", None) is not None:
        return Tombstone(id=item.id, updated_at=item.updated_at)
    return render(item)
