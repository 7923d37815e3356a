from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.contacts.models import Contact
from tread_accounts.snapshots import snapshot
from tread_shared.db.concurrency import flush_changes
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import ContactChanged, ContactSnapshot


async def record_contact_changed(
    session: AsyncSession,
    outbox: Outbox,
    contact: Contact,
    change: Literal["created", "updated", "deleted"],
    changed_by: str,
    changed_fields: list[str] | None = None,
) -> None:
    await flush_changes(session)
    contact_snapshot = snapshot(
        ContactSnapshot,
        contact,
        contact_id=contact.id,
        deleted=contact.deleted_at is not None,
    )
    payload = ContactChanged(
        change=change,
        contact=contact_snapshot,
        changed_fields=changed_fields or [],
        changed_by=changed_by,
    )
    await outbox.add(session, payload, subject=str(contact.id))
