from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from tread_market_intel.directory.access import Staff
from tread_market_intel.subscriptions import service
from tread_market_intel.subscriptions.models import Subscription
from tread_market_intel.subscriptions.schemas import (
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])
Paging = Annotated[PageParams, Depends(page_params)]


def subscription_out(row: Subscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(row, from_attributes=True)


def _answer(response: Response, row: Subscription) -> SubscriptionOut:
    set_etag(response, row.id, row.version)
    return subscription_out(row)


@router.post("", status_code=status.HTTP_201_CREATED)
async def subscribe(
    data: SubscriptionIn, session: DbSession, caller: Staff, response: Response
) -> SubscriptionOut:
    """Follow part of the market: a digest every week (territories, competitors, ranges,
    observation kinds; an empty list means all)."""
    row = await service.subscribe(session, caller, data)
    response.headers["Location"] = f"/v1/subscriptions/{row.id}"
    return _answer(response, row)


@router.get("")
async def list_subscriptions(
    session: ReadSession, caller: Staff, page: Paging, updated_since: UpdatedSince = None
) -> Page[SubscriptionOut | Tombstone]:
    """The caller's subscriptions (an admin's: everyone's)."""
    listed = await list_page(
        session, service.visible(caller), Subscription, page, updated_since=updated_since
    )
    return sync_page(listed, subscription_out)


@router.get("/{subscription_id}")
async def get_subscription(
    subscription_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> SubscriptionOut:
    return _answer(response, await service.subscription_of(session, caller, subscription_id))


@router.patch("/{subscription_id}")
async def update_subscription(
    subscription_id: uuid.UUID,
    patch: SubscriptionPatch,
    request: Request,
    session: DbSession,
    caller: Staff,
    response: Response,
) -> SubscriptionOut:
    """If-Match required."""
    row = await service.subscription_of(session, caller, subscription_id)
    check_if_match(request, row.id, row.version)
    return _answer(response, await service.change(session, caller, row, patch))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(
    subscription_id: uuid.UUID, request: Request, session: DbSession, caller: Staff
) -> None:
    """Stop the digests. If-Match required."""
    row = await service.subscription_of(session, caller, subscription_id)
    check_if_match(request, row.id, row.version)
    await service.unsubscribe(session, row)
