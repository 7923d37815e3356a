"""Contacts belong to an account: whoever may read the account reads them, whoever may change
it changes them. Consents are recorded with the time they were last changed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.access import visible_accounts
from tread_accounts.accounts.models import Account
from tread_accounts.accounts.service import in_account_scope
from tread_accounts.contacts import repository
from tread_accounts.contacts.events import record_contact_changed
from tread_accounts.contacts.models import Contact
from tread_accounts.contacts.schemas import ContactCreate, ContactFilters, ContactPatch
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.listing import Listed
from tread_shared.events.outbox import Outbox
from tread_shared.http.pagination import PageParams


async def contact_in_scope(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID, *, change: bool = False
) -> Contact:
    contact = await repository.get_live(session, contact_id)
    missing = f"No contact {contact_id}."
    return (await in_account_scope(session, principal, contact, missing=missing, change=change))[0]


async def add_contact(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    account: Account,
    data: ContactCreate,
) -> Contact:
    contact = Contact(
        account_id=account.id,
        full_name=data.full_name,
        roles=list(data.roles),
        job_title=data.job_title,
        phone=data.phone,
        email=data.email,
        consents=data.consents.model_dump(),
        consents_recorded_at=utcnow(),
        notes=data.notes,
    )
    session.add(contact)
    await record_contact_changed(session, outbox, contact, "created", principal.sub)
    return contact


async def update_contact(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contact: Contact,
    patch: ContactPatch,
) -> Contact:
    changes: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if name == "consents":
            value = value.model_dump()
        elif name == "roles":
            value = list(value)
        if getattr(contact, name) != value:
            changes[name] = value
    if not changes:
        return contact
    for name, value in changes.items():
        setattr(contact, name, value)
    if "consents" in changes:
        contact.consents_recorded_at = utcnow()
    await record_contact_changed(
        session, outbox, contact, "updated", principal.sub, sorted(changes)
    )
    return contact


async def remove_contact(
    session: AsyncSession, outbox: Outbox, principal: Principal, contact: Contact
) -> None:
    contact.deleted_at = utcnow()
    await record_contact_changed(session, outbox, contact, "deleted", principal.sub)


async def list_contacts(
    session: AsyncSession,
    principal: Principal,
    filters: ContactFilters,
    page: PageParams,
    updated_since: datetime | None,
) -> Listed[Contact]:
    return await repository.list_contacts(
        session, visible_accounts(principal), filters, page, updated_since
    )
