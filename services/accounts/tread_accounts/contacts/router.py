from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tread_accounts.access import PortfolioCaller
from tread_accounts.accounts.router import Paging
from tread_accounts.accounts.service import changeable_account, readable_account
from tread_accounts.contacts import service
from tread_accounts.contacts.models import Contact
from tread_accounts.contacts.schemas import ContactCreate, ContactFilters, ContactOut, ContactPatch
from tread_shared.app import EventOutbox
from tread_shared.db.listing import sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["contacts"])


def _answer(response: Response, contact: Contact) -> ContactOut:
    set_etag(response, contact.id, contact.version)
    return _out(contact)


def _out(contact: Contact) -> ContactOut:
    return ContactOut.model_validate(contact, from_attributes=True)


@router.post("/accounts/{account_id}/contacts", status_code=201)
async def add_contact(
    account_id: uuid.UUID,
    body: ContactCreate,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> ContactOut:
    account = await changeable_account(session, caller, account_id)
    contact = await service.add_contact(session, outbox, caller, account, body)
    response.headers["Location"] = f"/v1/contacts/{contact.id}"
    return _answer(response, contact)


@router.get("/accounts/{account_id}/contacts")
async def list_account_contacts(
    account_id: uuid.UUID,
    session: ReadSession,
    caller: PortfolioCaller,
    page: Paging,
    q: Annotated[str | None, Query(max_length=100)] = None,
    updated_since: UpdatedSince = None,
) -> Page[ContactOut | Tombstone]:
    await readable_account(session, caller, account_id)
    filters = ContactFilters(account_id=account_id, q=q)
    listed = await service.list_contacts(session, caller, filters, page, updated_since)
    return sync_page(listed, _out)


@router.get("/contacts")
async def list_contacts(
    session: ReadSession,
    caller: PortfolioCaller,
    filters: Annotated[ContactFilters, Query()],
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[ContactOut | Tombstone]:
    """The contacts of every account in the caller's scope (offline sync of the address book)."""
    listed = await service.list_contacts(session, caller, filters, page, updated_since)
    return sync_page(listed, _out)


@router.get("/contacts/{contact_id}")
async def get_contact(
    contact_id: uuid.UUID, session: ReadSession, caller: PortfolioCaller, response: Response
) -> ContactOut:
    return _answer(response, await service.contact_in_scope(session, caller, contact_id))


@router.patch("/contacts/{contact_id}")
async def update_contact(
    contact_id: uuid.UUID,
    body: ContactPatch,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
    response: Response,
) -> ContactOut:
    contact = await service.contact_in_scope(session, caller, contact_id, change=True)
    check_if_match(request, contact.id, contact.version)
    contact = await service.update_contact(session, outbox, caller, contact, body)
    return _answer(response, contact)


@router.delete("/contacts/{contact_id}", status_code=204)
async def remove_contact(
    contact_id: uuid.UUID,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioCaller,
) -> Response:
    contact = await service.contact_in_scope(session, caller, contact_id, change=True)
    check_if_match(request, contact.id, contact.version)
    await service.remove_contact(session, outbox, caller, contact)
    return Response(status_code=204)
