from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tread_contracts.directory.access import KeyAccountManager, PortfolioWorker, Staff
from tread_contracts.facilitations import repository, service
from tread_contracts.facilitations.events import balance
from tread_contracts.facilitations.models import Facilitation, FacilitationGuideline
from tread_contracts.facilitations.schemas import (
    BalanceOut,
    DecisionIn,
    FacilitationIn,
    FacilitationOut,
    FacilitationPage,
    FacilitationStatus,
    GuidelineChangeIn,
    GuidelineIn,
    GuidelineOut,
    GuidelinePage,
    SpendingIn,
    SpendingOut,
)
from tread_contracts.listing import UpdatedSince
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.listing import list_page
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import PageParams, page_params
from tread_shared.money import Money

guidelines_router = APIRouter(prefix="/v1/facilitation-guidelines", tags=["facilitations"])
router = APIRouter(prefix="/v1/facilitations", tags=["facilitations"])


def guideline_out(guideline: FacilitationGuideline) -> GuidelineOut:
    return GuidelineOut(
        id=guideline.id,
        type=guideline.type,
        name=guideline.name,
        description=guideline.description,
        eligible_tiers=guideline.eligible_tiers,
        eligible_segments=guideline.eligible_segments,
        program_id=guideline.program_id,
        cap_per_account_per_year=Money.of(guideline.cap_amount, guideline.currency),
        approval_threshold=Money.of(guideline.approval_threshold_amount, guideline.currency),
        active=guideline.active,
        created_by=guideline.created_by,
        created_at=guideline.created_at,
        updated_at=guideline.updated_at,
    )


def facilitation_out(facilitation: Facilitation) -> FacilitationOut:
    currency = facilitation.currency
    return FacilitationOut(
        id=facilitation.id,
        account_id=facilitation.account_id,
        guideline_id=facilitation.guideline_id,
        guideline_type=facilitation.guideline.type,
        contract_id=facilitation.contract_id,
        tier=facilitation.tier,
        year=facilitation.year,
        amount=Money.of(facilitation.amount, currency),
        justification=facilitation.justification,
        status=facilitation.status,
        requires_approval=facilitation.requires_approval,
        spent=Money.of(facilitation.spent_amount, currency),
        spendings=[
            SpendingOut(
                amount=Money.of(s.amount, currency),
                description=s.description,
                spent_on=s.spent_on,
                recorded_by=s.recorded_by,
                recorded_at=s.recorded_at,
            )
            for s in facilitation.spendings
        ],
        requested_by=facilitation.requested_by,
        decided_by=facilitation.decided_by,
        decided_at=facilitation.decided_at,
        decision_reason=facilitation.decision_reason,
        created_at=facilitation.created_at,
        updated_at=facilitation.updated_at,
    )


def _guideline_answer(guideline: FacilitationGuideline, response: Response) -> GuidelineOut:
    set_etag(response, guideline.id, guideline.version)
    return guideline_out(guideline)


def _answer(facilitation: Facilitation, response: Response) -> FacilitationOut:
    set_etag(response, facilitation.id, facilitation.version)
    return facilitation_out(facilitation)


# -- guidelines -------------------------------------------------------------------------------


@guidelines_router.post("", status_code=status.HTTP_201_CREATED, response_model=GuidelineOut)
async def create_facilitation_guideline(
    data: GuidelineIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: KeyAccountManager,
    response: Response,
) -> GuidelineOut:
    """Write a facilitation guideline (key account manager): type, eligibility, cap per account
    per year, approval threshold."""
    guideline = await service.create_guideline(session, outbox, caller, data)
    response.headers["Location"] = f"/v1/facilitation-guidelines/{guideline.id}"
    return _guideline_answer(guideline, response)


@guidelines_router.get("", response_model=GuidelinePage)
async def list_facilitation_guidelines(
    session: DbSession,
    _caller: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    updated_since: UpdatedSince,
    active: bool | None = None,
) -> GuidelinePage:
    listed = await list_page(
        session,
        repository.guidelines(active),
        FacilitationGuideline,
        page,
        updated_since=updated_since,
    )
    return GuidelinePage(
        items=[guideline_out(g) for g in listed.rows], next_cursor=listed.next_cursor
    )


@guidelines_router.get("/{guideline_id}", response_model=GuidelineOut)
async def get_facilitation_guideline(
    guideline_id: uuid.UUID, session: DbSession, _caller: Staff, response: Response
) -> GuidelineOut:
    return _guideline_answer(await service.guideline_or_404(session, guideline_id), response)


@guidelines_router.patch("/{guideline_id}", response_model=GuidelineOut)
async def change_facilitation_guideline(
    guideline_id: uuid.UUID,
    data: GuidelineChangeIn,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: KeyAccountManager,
    response: Response,
) -> GuidelineOut:
    """Change or retire (``active: false``) a guideline (``If-Match`` required). Requests made
    already keep what they were granted."""
    guideline = await service.guideline_or_404(session, guideline_id)
    check_if_match(request, guideline.id, guideline.version)
    guideline = await service.change_guideline(session, outbox, caller, guideline, data)
    await flush_changes(session)
    return _guideline_answer(guideline, response)


# -- requests ---------------------------------------------------------------------------------


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FacilitationOut)
async def request_facilitation(
    data: FacilitationIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> FacilitationOut:
    """Ask for a facilitation within a guideline. Over the cap: 422 naming what remains. Up to
    the approval threshold it is granted at once; above, it waits for a key account manager."""
    facilitation = await service.request_facilitation(session, outbox, caller, data)
    response.headers["Location"] = f"/v1/facilitations/{facilitation.id}"
    return _answer(facilitation, response)


@router.get("", response_model=FacilitationPage)
async def list_facilitations(
    session: DbSession,
    caller: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    updated_since: UpdatedSince,
    account_id: uuid.UUID | None = None,
    guideline_id: uuid.UUID | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: FacilitationStatus | None = None,
) -> FacilitationPage:
    query = repository.visible(
        caller, account_id=account_id, guideline_id=guideline_id, year=year, status=status
    )
    listed = await list_page(session, query, Facilitation, page, updated_since=updated_since)
    return FacilitationPage(
        items=[facilitation_out(f) for f in listed.rows], next_cursor=listed.next_cursor
    )


@router.get("/balances", response_model=list[BalanceOut])
async def list_facilitation_balances(
    session: DbSession,
    caller: Staff,
    account_id: uuid.UUID,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year")] = None,
) -> list[BalanceOut]:
    """What an account requested, was granted and spent per guideline in a year, and what it may
    still request."""
    year = year or utcnow().year
    rows = await service.balances(session, caller, account_id, year)
    return [
        BalanceOut(
            account_id=account_id,
            year=year,
            guideline_id=guideline.id,
            guideline_type=guideline.type,
            **balance(guideline, budget).model_dump(),
        )
        for guideline, budget in rows
    ]


@router.get("/{facilitation_id}", response_model=FacilitationOut)
async def get_facilitation(
    facilitation_id: uuid.UUID, session: DbSession, caller: Staff, response: Response
) -> FacilitationOut:
    facilitation = await service.facilitation_in_scope(session, caller, facilitation_id)
    return _answer(facilitation, response)


@router.post("/{facilitation_id}/approve", response_model=FacilitationOut)
async def approve_facilitation(
    facilitation_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: KeyAccountManager,
    response: Response,
) -> FacilitationOut:
    """A key account manager grants a facilitation awaiting approval."""
    facilitation = await service.facilitation_in_scope(session, caller, facilitation_id)
    facilitation = await service.approve_facilitation(session, outbox, caller, facilitation)
    return _answer(facilitation, response)


@router.post("/{facilitation_id}/reject", response_model=FacilitationOut)
async def reject_facilitation(
    facilitation_id: uuid.UUID,
    decision: DecisionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: KeyAccountManager,
    response: Response,
) -> FacilitationOut:
    """A key account manager refuses a facilitation awaiting approval; its amount is freed."""
    facilitation = await service.facilitation_in_scope(session, caller, facilitation_id)
    facilitation = await service.reject_facilitation(
        session, outbox, caller, facilitation, decision.reason
    )
    return _answer(facilitation, response)


@router.post("/{facilitation_id}/spendings", response_model=FacilitationOut)
async def record_facilitation_spending(
    facilitation_id: uuid.UUID,
    data: SpendingIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> FacilitationOut:
    """Record money spent from a granted facilitation (never more than granted)."""
    facilitation = await service.facilitation_in_scope(session, caller, facilitation_id)
    facilitation = await service.record_spending(session, outbox, caller, facilitation, data)
    return _answer(facilitation, response)
