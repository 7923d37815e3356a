"""Which mails to send: decided in the transaction of what causes them, recorded in the mail
outbox, sent later by :mod:`tread_inbox.mail.sender`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.audience import reaches
from tread_inbox.items.models import InboxItem
from tread_inbox.mail import repository
from tread_inbox.mail.compose import Mail, digest_mail, item_mail
from tread_inbox.mail.models import DigestRun, OutgoingMail
from tread_inbox.preferences.models import MailSubscriber
from tread_inbox.preferences.repository import subscribers
from tread_inbox.preferences.service import delivery_of, principal_of
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database


async def _queue(session: AsyncSession, key: str, to: MailSubscriber, mail: Mail) -> None:
    if await repository.mail_by_key(session, key) is not None:
        return
    now = utcnow()
    session.add(
        OutgoingMail(
            key=key,
            user_id=to.user_id,
            recipient=to.email,
            subject=mail.subject,
            text_body=mail.text,
            html_body=mail.html,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


async def decide_immediate_mails(session: AsyncSession, item: InboxItem, public_url: str) -> None:
    """A mail to each subscriber the new item reaches who wants its kind at once."""
    entry = (
        await session.get(AccountDirectory, item.account_id)
        if item.account_id is not None
        else None
    )
    for subscriber in await subscribers(session):
        if delivery_of(subscriber, item.kind) != "immediate":
            continue
        if reaches(item, principal_of(subscriber), entry):
            mail = item_mail(item, public_url)
            await _queue(session, f"item:{item.id}:{subscriber.user_id}", subscriber, mail)


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(datetime.fromisoformat(day).date(), time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def decide_digests(db: Database, now: datetime, digest_hour: int, public_url: str) -> int:
    """Once the digest hour has passed, one digest per subscriber of yesterday's items of the
    kinds they want daily; once per day whatever the replicas (the day's row is unique)."""
    if now.hour < digest_hour:
        return 0
    day = (now.date() - timedelta(days=1)).isoformat()
    queued = 0
    async with db.unit_of_work() as session:
        if await repository.digest_run(session, day) is not None:
            return 0
        session.add(DigestRun(day=day, ran_at=now))
        await session.flush()
        start, end = _day_bounds(day)
        items = await repository.items_between(session, start, end)
        for subscriber in await subscribers(session):
            principal = principal_of(subscriber)
            chosen: Sequence[InboxItem] = [
                item
                for item, entry in items
                if delivery_of(subscriber, item.kind) == "daily" and reaches(item, principal, entry)
            ]
            if chosen:
                mail = digest_mail(day, chosen, public_url)
                await _queue(session, f"digest:{day}:{subscriber.user_id}", subscriber, mail)
                queued += 1
    return queued
