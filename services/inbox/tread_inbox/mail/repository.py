from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.models import InboxItem
from tread_inbox.mail.models import DigestRun, OutgoingMail


async def mail_by_key(session: AsyncSession, key: str) -> OutgoingMail | None:
    found: OutgoingMail | None = await session.scalar(
        select(OutgoingMail).where(OutgoingMail.key == key)
    )
    return found


async def due_mails(session: AsyncSession, now: datetime, limit: int) -> Sequence[OutgoingMail]:
    """Unsent mails whose time has come and that no sender holds; locked (PostgreSQL skips
    rows another sender is claiming)."""
    query = (
        select(OutgoingMail)
        .where(
            OutgoingMail.state == "pending",
            OutgoingMail.next_attempt_at <= now,
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .order_by(OutgoingMail.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def digest_run(session: AsyncSession, day: str) -> DigestRun | None:
    found: DigestRun | None = await session.get(DigestRun, day)
    return found


async def items_between(
    session: AsyncSession, start: datetime, end: datetime
) -> Sequence[tuple[InboxItem, AccountDirectory | None]]:
    query = (
        select(InboxItem, AccountDirectory)
        .outerjoin(AccountDirectory, AccountDirectory.account_id == InboxItem.account_id)
        .where(
            and_(InboxItem.since >= start, InboxItem.since < end),
            InboxItem.deleted_at.is_(None),
        )
        .order_by(InboxItem.id)
    )
    return [(item, entry) for item, entry in (await session.execute(query)).all()]
