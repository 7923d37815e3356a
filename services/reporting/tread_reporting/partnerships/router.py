from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from tread_reporting.freshness.service import CurrentView
from tread_reporting.partnerships import service
from tread_reporting.partnerships.repository import PartnershipFilters
from tread_reporting.partnerships.schemas import PartnershipOut, PartnershipPage
from tread_reporting.readers import Reader
from tread_shared.clock import utcnow
from tread_shared.db.reading import Reads, ReadSession
from tread_shared.http.pagination import PageParams, page_params

router = APIRouter(prefix="/v1/reports/partnerships", tags=["partnerships"])

PartnershipStatus = Literal[
    "none",
    "draft",
    "submitted",
    "signed",
    "scheduled",
    "active",
    "renewed",
    "expired",
    "terminated",
]


@router.get("", response_model=PartnershipPage)
async def list_partnerships(
    reads: Reads,
    view: CurrentView,
    caller: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    territory: Annotated[str | None, Query(max_length=100)] = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    program: Annotated[uuid.UUID | None, Query(description="Program id")] = None,
    tier: Annotated[str | None, Query(max_length=50)] = None,
    status: Annotated[
        PartnershipStatus | None,
        Query(description="Status of the partnership contract; `none`: accounts without one"),
    ] = None,
    renewal_due_within_days: Annotated[
        int | None,
        Query(ge=0, le=3650, description="Contracts in force that end within this many days"),
    ] = None,
) -> PartnershipPage:
    """The partnership of each account in the caller's scope, in account order."""
    filters = PartnershipFilters(
        territory=territory,
        owner_id=owner_id,
        program_id=program,
        tier=tier,
        status=status,
        renewal_due_within_days=renewal_due_within_days,
    )
    return await service.partnership_page(reads, caller, view, filters, page, utcnow().date())


@router.get("/{account_id}", response_model=PartnershipOut)
async def get_partnership(
    account_id: uuid.UUID, session: ReadSession, view: CurrentView, caller: Reader
) -> PartnershipOut:
    """An account's partnership: program, tier, contract and signatures, renewal due, audits and
    gaps, commitments against sell-in, facilitations this year, open cases, credit."""
    return await service.partnership(session, caller, view, account_id, utcnow().date())
