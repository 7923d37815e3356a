from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts import service
from tread_accounts.accounts.models import Account
from tread_accounts.accounts.schemas import (
    AccountCreate,
    AccountFilters,
    AccountOut,
    AccountPatch,
    AssignmentOut,
    TransferRequest,
)
from tread_shared.app import EventOutbox
from tread_shared.db.reading import Reads, ReadSession, read_session, render
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, check_if_match_when_sent, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["accounts"])

Paging = Annotated[PageParams, Depends(page_params)]


def _answer(response: Response, account: Account) -> AccountOut:
    set_etag(response, account.id, account.version)
    return render(AccountOut, account)


@router.post("/accounts", status_code=201)
async def create_account(
    body: AccountCreate,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> AccountOut:
    """Create an account; an account manager's is their own."""
    account = await service.create_account(session, outbox, caller, body)
    response.headers["Location"] = f"/v1/accounts/{account.id}"
    return _answer(response, account)


@router.get("/accounts")
async def list_accounts(
    request: Request,
    reads: Reads,
    caller: PortfolioCaller,
    filters: Annotated[AccountFilters, Query()],
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[AccountOut | Tombstone]:
    """The accounts in the caller's scope, filtered; with ``updated_since``, the changes."""
    items: list[AccountOut | Tombstone]
    if updated_since is None:
        # Every row is live and in scope (the query's own conditions), read as rows.
        listed = await service.list_live_accounts(reads, caller, filters, page)
        items = [render(AccountOut, row) for row in listed.rows]
        return Page(items=items, next_cursor=listed.next_cursor)
    # The ORM session only for a sync list (its statement is built per request).
    session = await read_session(request)
    changed = await service.list_changed_accounts(session, caller, filters, page, updated_since)
    items = [
        Tombstone(id=account.id, updated_at=account.updated_at)
        if service.shows_as_tombstone(caller, account)
        else render(AccountOut, account)
        for account in changed.rows
    ]
    return Page(items=items, next_cursor=changed.next_cursor)


@router.get("/accounts/{account_id}")
async def get_account(
    account_id: uuid.UUID, reads: Reads, caller: PortfolioCaller, response: Response
) -> AccountOut:
    account = await service.account_to_render(reads, caller, account_id)
    return _answer(response, account)


@router.patch("/accounts/{account_id}")
async def update_account(
    account_id: uuid.UUID,
    body: AccountPatch,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> AccountOut:
    """Change an account's details (If-Match required). The owner changes by a transfer."""
    account = await service.changeable_account(session, caller, account_id)
    check_if_match(request, account.id, account.version)
    account = await service.update_account(session, outbox, caller, account, body)
    return _answer(response, account)


@router.delete("/accounts/{account_id}", status_code=204)
async def delete_account(
    account_id: uuid.UUID,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
) -> Response:
    """Delete an account (soft: offline clients receive a tombstone). If-Match required."""
    account = await service.changeable_account(session, caller, account_id)
    check_if_match(request, account.id, account.version)
    await service.delete_account(session, outbox, caller, account)
    return Response(status_code=204)


@router.post("/accounts/{account_id}/transfer")
async def transfer_account(
    account_id: uuid.UUID,
    body: TransferRequest,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> AccountOut:
    """Move an account to another account manager (district manager or admin); the move is
    kept in the account's history. If-Match is honoured when sent."""
    account = await service.readable_account(session, caller, account_id)
    check_if_match_when_sent(request, account.id, account.version)
    account = await service.transfer_account(session, outbox, caller, account, body)
    return _answer(response, account)


@router.get("/accounts/{account_id}/transfers")
async def list_account_transfers(
    account_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller
) -> Page[AssignmentOut]:
    """Who held the account before: transfers, territory and key account changes, oldest
    first."""
    account = await service.readable_account(session, caller, account_id)
    history = await service.assignment_history(session, account)
    return Page(items=[AssignmentOut.model_validate(h, from_attributes=True) for h in history])
