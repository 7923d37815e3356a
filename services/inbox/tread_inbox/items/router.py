from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tread_inbox.items import service
from tread_inbox.items.kinds import ItemKind, ItemState
from tread_inbox.items.retention import check_within_horizon
from tread_inbox.items.schemas import ItemOut, UnreadCounts
from tread_inbox.settings import InboxSettings
from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

# Everyone in the business has an inbox; integrations have none.
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ACCOUNT_MANAGER,
            Role.KEY_ACCOUNT_MANAGER,
            Role.DISTRICT_MANAGER,
            Role.CENTRAL,
            Role.ADMIN,
        )
    ),
]
Paging = Annotated[PageParams, Depends(page_params)]

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


@router.get(
    "",
    responses={
        410: {
            "description": "sync-horizon-passed: updated_since is older than the changes kept"
            " (the sync horizon). List the inbox again without it, then sync from the greatest"
            " updated_at it returns."
        }
    },
)
async def list_inbox(
    session: ReadSession,
    caller: Reader,
    page: Paging,
    settings: InboxSettings,
    kind: Annotated[ItemKind | None, Query()] = None,
    state: Annotated[ItemState | None, Query()] = None,
    updated_since: UpdatedSince = None,
) -> Page[ItemOut | Tombstone]:
    """The caller's items, newest first; with ``updated_since``, what changed since then (410
    before the sync horizon)."""
    check_within_horizon(updated_since, settings)
    return await service.list_items(
        session,
        caller,
        kind=kind,
        state=state,
        cursor=page.cursor,
        limit=page.limit,
        updated_since=updated_since,
    )


@router.get("/counts")
async def count_unread(session: ReadSession, caller: Reader) -> UnreadCounts:
    """Unread items by kind, for a badge."""
    return await service.unread_counts(session, caller)


@router.get("/{item_id}")
async def get_inbox_item(item_id: uuid.UUID, session: ReadSession, caller: Reader) -> ItemOut:
    return await service.get_item(session, caller, item_id)


@router.post("/{item_id}/read")
async def read_inbox_item(item_id: uuid.UUID, session: DbSession, caller: Reader) -> ItemOut:
    """The caller read the item (for the caller only)."""
    return await service.mark(session, caller, item_id, done=False)


@router.post("/{item_id}/done")
async def put_away_inbox_item(item_id: uuid.UUID, session: DbSession, caller: Reader) -> ItemOut:
    """The caller is done with the item (for the caller only; decisions close by themselves)."""
    return await service.mark(session, caller, item_id, done=True)
