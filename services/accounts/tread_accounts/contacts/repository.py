from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts.models import Account
from tread_accounts.contacts.models import Contact
from tread_accounts.contacts.schemas import ContactFilters
from tread_shared.db.listing import Listed, contains_text, list_page
from tread_shared.http.pagination import PageParams


async def get_live(session: AsyncSession, contact_id: uuid.UUID) -> Contact | None:
    contact = await session.get(Contact, contact_id)
    return contact if contact is not None and contact.deleted_at is None else None


async def list_contacts(
    session: AsyncSession,
    scope: ColumnElement[bool],
    filters: ContactFilters,
    page: PageParams,
    updated_since: datetime | None,
) -> Listed[Contact]:
    query = (
        select(Contact)
        .join(Account, Account.id == Contact.account_id)
        .where(scope, Account.deleted_at.is_(None))
    )
    if filters.account_id is not None:
        query = query.where(Contact.account_id == filters.account_id)
    if filters.q:
        query = query.where(contains_text(Contact.full_name, filters.q))
    return await list_page(session, query, Contact, page, updated_since=updated_since)


async def live_ids_of_account(
    session: AsyncSession, account_id: uuid.UUID, contact_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``contact_ids`` are live contacts of the account."""
    if not contact_ids:
        return set()
    query = select(Contact.id).where(
        Contact.account_id == account_id,
        Contact.deleted_at.is_(None),
        Contact.id.in_(contact_ids),
    )
    return set((await session.scalars(query)).all())
