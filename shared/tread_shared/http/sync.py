"""Offline sync: ``updated_since`` lists changes in update order, deletions as tombstones."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class Tombstone(BaseModel):
    """What a client learns about a deleted item: drop it from the local copy."""

    id: uuid.UUID
    deleted: bool = True
    updated_at: datetime


def tombstone_or(item: Any, render: Any) -> Any:
    """``render(item)`` for a live row, a :class:`Tombstone` for a soft-deleted one."""
    if getattr(item, "deleted_at", None) is not None:
        return Tombstone(id=item.id, updated_at=item.updated_at)
    return render(item)
