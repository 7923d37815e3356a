from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from tread_inbox.items.kinds import ItemCategory, ItemKind, ItemState
from tread_shared.http.sync import Tombstone


class ItemOut(BaseModel):
    id: uuid.UUID
    kind: ItemKind
    category: ItemCategory
    title: str = Field(description="What happened or what waits, in plain words.")
    resource_url: str = Field(description="The resource the item is about (GET it).")
    reason: str = Field(description="Why the item is the caller's.")
    account_id: uuid.UUID | None
    since: datetime
    state: ItemState
    done_at: datetime | None = Field(
        description="When the decision was taken (by anyone entitled) or the caller put the"
        " item away."
    )
    done_by: str | None
    position: int = Field(description="The item's place in the change sequence (the stream's id).")
    updated_at: datetime


class UnreadCounts(BaseModel):
    total: int
    by_kind: dict[str, int]


class ItemRemoved(Tombstone):
    """Pushed when an item leaves the caller's inbox (its account was deleted, or moved to
    someone else): drop it."""

    position: int = Field(description="The change's place in the change sequence.")
