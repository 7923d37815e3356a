from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts.router import Paging
from tread_accounts.accounts.service import account_of
from tread_accounts.cases import service
from tread_accounts.cases.models import Case
from tread_accounts.cases.schemas import (
    CaseCreate,
    CaseFilters,
    CaseOut,
    CasePatch,
    CommentCreate,
    CommentOut,
)
from tread_accounts.cases.workflow import TRANSITIONS, is_overdue
from tread_accounts.settings import AccountsSettings
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.db.listing import sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["cases"])


def _out(case: Case) -> CaseOut:
    return CaseOut.model_validate(
        {
            **{name: getattr(case, name) for name in CaseOut.model_fields if hasattr(case, name)},
            "overdue": is_overdue(case.status, case.due_at, utcnow()),
            "escalated": case.escalated_at is not None,
            "next_statuses": list(TRANSITIONS[case.status]),
        }
    )


def _answer(response: Response, case: Case) -> CaseOut:
    set_etag(response, case.id, case.version)
    return _out(case)


@router.post("/accounts/{account_id}/cases", status_code=201)
async def open_case(
    account_id: uuid.UUID,
    body: CaseCreate,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    settings: AccountsSettings,
    response: Response,
) -> CaseOut:
    """Raise a credit, billing, supply, quality or other question for the account."""
    account = await account_of(session, caller, account_id, change=True)
    case = await service.raise_case(session, outbox, settings, caller, account, body)
    response.headers["Location"] = f"/v1/cases/{case.id}"
    return _answer(response, case)


@router.get("/accounts/{account_id}/cases")
async def list_account_cases(
    account_id: uuid.UUID,
    session: ReadSession,
    caller: PortfolioCaller,
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[CaseOut | Tombstone]:
    await account_of(session, caller, account_id)
    filters = CaseFilters(account_id=account_id)
    return sync_page(await service.list_cases(session, caller, filters, page, updated_since), _out)


@router.get("/cases")
async def list_cases(
    session: ReadSession,
    caller: PortfolioCaller,
    filters: Annotated[CaseFilters, Query()],
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[CaseOut | Tombstone]:
    """Cases of the accounts in the caller's scope; ``overdue`` and ``escalated`` flag the ones
    past their SLA."""
    return sync_page(await service.list_cases(session, caller, filters, page, updated_since), _out)


@router.get("/cases/{case_id}")
async def get_case(
    case_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller, response: Response
) -> CaseOut:
    case, _account = await service.case_in_scope(session, caller, case_id)
    return _answer(response, case)


@router.patch("/cases/{case_id}")
async def work_case(
    case_id: uuid.UUID,
    body: CasePatch,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    settings: AccountsSettings,
    response: Response,
) -> CaseOut:
    """Move a case along its workflow (409 on an illegal move), reprioritise or reassign it.
    If-Match required."""
    case, account = await service.case_in_scope(session, caller, case_id)
    check_if_match(request, case.id, case.version)
    case = await service.work_case(session, outbox, settings, caller, case, account, body)
    return _answer(response, case)


@router.post("/cases/{case_id}/comments", status_code=201)
async def comment_on_case(
    case_id: uuid.UUID,
    body: CommentCreate,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
) -> CommentOut:
    case, account = await service.case_in_scope(session, caller, case_id)
    note = await service.comment(session, outbox, caller, case, account, body.body)
    return CommentOut.model_validate(note, from_attributes=True)


@router.get("/cases/{case_id}/comments")
async def list_case_comments(
    case_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller
) -> Page[CommentOut]:
    case, _account = await service.case_in_scope(session, caller, case_id)
    notes = await service.comments(session, case)
    return Page(items=[CommentOut.model_validate(n, from_attributes=True) for n in notes])
