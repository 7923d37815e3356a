from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts.service import changeable_account, readable_account
from tread_accounts.qualification import service
from tread_accounts.qualification.schemas import (
    PortfolioAnalysis,
    QualificationIn,
    QualificationOut,
)
from tread_accounts.settings import AccountsSettings
from tread_shared.app import EventOutbox
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.errors import NotFound, PreconditionFailed
from tread_shared.http.etag import check_if_match, set_etag

router = APIRouter(prefix="/v1", tags=["qualification"])


@router.put(
    "/accounts/{account_id}/qualification",
    responses={
        201: {"model": QualificationOut, "description": "The account's first qualification"}
    },
)
async def qualify_account(
    account_id: uuid.UUID,
    body: QualificationIn,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    settings: AccountsSettings,
    response: Response,
) -> QualificationOut:
    """Set the expected result and planned investment; the quadrant follows from the rule.
    Replacing a qualification needs If-Match; the first one does not."""
    account = await changeable_account(session, caller, account_id)
    current = await service.current_qualification(session, account)
    if current is not None:
        check_if_match(request, current.id, current.version)
    elif request.headers.get("if-match") is not None:
        raise PreconditionFailed("The account has no qualification yet to match.")
    qualification = await service.qualify(session, outbox, caller, account, body, settings)
    response.status_code = 200 if current is not None else 201
    set_etag(response, qualification.id, qualification.version)
    return service.qualification_out(qualification)


@router.get("/accounts/{account_id}/qualification")
async def get_qualification(
    account_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller, response: Response
) -> QualificationOut:
    account = await readable_account(session, caller, account_id)
    qualification = await service.current_qualification(session, account)
    if qualification is None:
        raise NotFound(f"Account {account_id} is not qualified yet.")
    set_etag(response, qualification.id, qualification.version)
    return service.qualification_out(qualification)


@router.get("/portfolio/analysis")
async def analyse_portfolio(
    session: ReadSession,
    caller: PortfolioCaller,
    settings: AccountsSettings,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    territory: Annotated[str | None, Query(max_length=100)] = None,
    limit_per_quadrant: Annotated[int, Query(ge=0, le=200)] = 20,
) -> PortfolioAnalysis:
    """For the caller's scope: accounts, expected volume and planned investment per quadrant,
    with the accounts of each (cut at ``limit_per_quadrant``), and the thresholds in force."""
    return await service.analyse_portfolio(
        session,
        caller,
        settings,
        owner_id=owner_id,
        territory=territory,
        limit_per_quadrant=limit_per_quadrant,
    )
