from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts.service import changeable_account, readable_account
from tread_accounts.potential import service
from tread_accounts.potential.schemas import (
    DecisionIn,
    PotentialQualificationHistory,
    PotentialQualificationIn,
    PotentialQualificationOut,
)
from tread_accounts.settings import AccountsSettings
from tread_shared.app import EventOutbox
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import set_etag

router = APIRouter(prefix="/v1/accounts", tags=["qualification"])


@router.post(
    "/{account_id}/qualifications",
    status_code=status.HTTP_201_CREATED,
    response_model=PotentialQualificationOut,
)
async def propose_qualification(
    account_id: uuid.UUID,
    body: PotentialQualificationIn,
    session: DbSession,
    caller: PortfolioCaller,
    settings: AccountsSettings,
    response: Response,
) -> PotentialQualificationOut:
    """Qualify the account on its potential against its current result (recorded sell-in and
    margin), by its segment's thresholds: the quadrant, the service level it recommends and
    the planned investment against it. Proposed until a district manager validates it."""
    account = await changeable_account(session, caller, account_id)
    qualification = await service.propose(
        session, caller, account, body, settings.qualification_policy
    )
    set_etag(response, qualification.id, qualification.version)
    return service.qualification_out(qualification)


@router.get("/{account_id}/qualifications", response_model=PotentialQualificationHistory)
async def list_qualifications(
    account_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller
) -> PotentialQualificationHistory:
    """The account's qualifications on potential, latest first, with their decisions."""
    account = await readable_account(session, caller, account_id)
    return PotentialQualificationHistory(
        items=[service.qualification_out(q) for q in await service.history(session, account)]
    )


@router.post(
    "/{account_id}/qualifications/{qualification_id}/decision",
    response_model=PotentialQualificationOut,
)
async def decide_qualification(
    account_id: uuid.UUID,
    qualification_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> PotentialQualificationOut:
    """A district manager validates (the account takes its quadrant: ``account.qualified``) or
    rejects a proposed qualification."""
    account = await changeable_account(session, caller, account_id)
    qualification = await service.decide(session, outbox, caller, account, qualification_id, body)
    set_etag(response, qualification.id, qualification.version)
    return service.qualification_out(qualification)
