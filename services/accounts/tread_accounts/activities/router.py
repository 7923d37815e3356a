from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts.router import Paging
from tread_accounts.accounts.service import account_of
from tread_accounts.activities import service
from tread_accounts.activities.events import activity_cost
from tread_accounts.activities.models import Activity
from tread_accounts.activities.period import current_year, parse_period
from tread_accounts.activities.schemas import (
    ActivityCreate,
    ActivityFilters,
    ActivityOut,
    ActivityPatch,
    ActivityType,
    InvestmentControl,
)
from tread_accounts.settings import AccountsSettings
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.db.listing import sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.errors import Problem
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["activities"])


def _out(activity: Activity) -> ActivityOut:
    return ActivityOut(
        id=activity.id,
        account_id=activity.account_id,
        type=activity.type,
        status=activity.status,
        subject=activity.subject,
        started_at=activity.started_at,
        duration_minutes=activity.duration_minutes,
        cost=activity_cost(activity),
        participants=activity.participants,
        outcome=activity.outcome,
        follow_ups=activity.follow_ups,
        performed_by=activity.performed_by,
        created_at=activity.created_at,
        updated_at=activity.updated_at,
        version=activity.version,
    )


def _answer(response: Response, activity: Activity) -> ActivityOut:
    set_etag(response, activity.id, activity.version)
    return _out(activity)


@router.post("/accounts/{account_id}/activities", status_code=201)
async def log_activity(
    account_id: uuid.UUID,
    body: ActivityCreate,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> ActivityOut:
    """Log a visit, call, training, meeting or e-mail with the account."""
    account = await account_of(session, caller, account_id, change=True)
    activity = await service.log_activity(session, outbox, caller, account, body)
    response.headers["Location"] = f"/v1/activities/{activity.id}"
    return _answer(response, activity)


@router.get("/accounts/{account_id}/activities")
async def list_account_activities(
    account_id: uuid.UUID,
    session: ReadSession,
    caller: PortfolioCaller,
    page: Paging,
    type: Annotated[ActivityType | None, Query()] = None,
    updated_since: UpdatedSince = None,
) -> Page[ActivityOut | Tombstone]:
    await account_of(session, caller, account_id)
    filters = ActivityFilters(account_id=account_id, type=type)
    listed = await service.list_activities(session, caller, filters, page, updated_since)
    return sync_page(listed, _out)


@router.get("/activities")
async def list_activities(
    session: ReadSession,
    caller: PortfolioCaller,
    filters: Annotated[ActivityFilters, Query()],
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[ActivityOut | Tombstone]:
    """Activities with every account in the caller's scope."""
    listed = await service.list_activities(session, caller, filters, page, updated_since)
    return sync_page(listed, _out)


@router.get("/activities/{activity_id}")
async def get_activity(
    activity_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller, response: Response
) -> ActivityOut:
    return _answer(response, await service.activity_in_scope(session, caller, activity_id))


@router.patch("/activities/{activity_id}")
async def correct_activity(
    activity_id: uuid.UUID,
    body: ActivityPatch,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> ActivityOut:
    activity = await service.activity_in_scope(session, caller, activity_id, change=True)
    check_if_match(request, activity.id, activity.version)
    activity = await service.correct_activity(session, outbox, activity, body)
    return _answer(response, activity)


@router.delete("/activities/{activity_id}", status_code=204)
async def delete_activity(
    activity_id: uuid.UUID,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
) -> Response:
    activity = await service.activity_in_scope(session, caller, activity_id, change=True)
    check_if_match(request, activity.id, activity.version)
    await service.delete_activity(session, outbox, activity)
    return Response(status_code=204)


@router.get("/accounts/{account_id}/investment")
async def get_investment_control(
    account_id: uuid.UUID,
    session: ReadSession,
    caller: PortfolioCaller,
    settings: AccountsSettings,
    period: Annotated[
        str | None,
        Query(max_length=10, description="2026, 2026-Q4 or 2026-11; default: this year"),
    ] = None,
) -> InvestmentControl:
    """Visits, hours and budget spent in the period against what the qualification planned."""
    account = await account_of(session, caller, account_id)
    zone = settings.business_zone
    try:
        chosen = parse_period(period, zone) if period else current_year(zone, utcnow())
    except ValueError as exc:
        raise Problem(str(exc), status=422, slug="invalid-period") from exc
    return await service.investment_control(session, account, chosen)
