"""The weekly digests: after each ISO week, one digest per live subscription.

Every replica runs the job (see ``schedule``); each digest is written in a transaction of its
own and the (subscription, week) pair is unique, so a replica that loses the race rolls that
one back and moves on: each subscriber gets one digest, and one ``digest.issued``, per week."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.digests import repository
from tread_market_intel.digests.content import digest_content, digest_html
from tread_market_intel.digests.models import Digest
from tread_market_intel.subscriptions.models import Subscription
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.per_item import each_in_own_transaction
from tread_shared.errors import NotFound
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.market_intel import DigestIssued


def last_week(today: date) -> tuple[str, date, date]:
    """The ISO week before ``today``'s: its name (``2026-W48``), Monday and Sunday."""
    monday = today - timedelta(days=today.weekday() + 7)
    year, number, _day = monday.isocalendar()
    return f"{year}-W{number:02d}", monday, monday + timedelta(days=6)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


async def issue_digest(
    session: AsyncSession, outbox: Outbox, subscription: Subscription, today: date
) -> Digest | None:
    week, start, end = last_week(today)
    if await repository.of_week(session, subscription.id, week) is not None:
        return None
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    content = digest_content(
        week,
        start,
        end,
        await repository.observations_for(session, subscription, since, until),
        await repository.band_changes_for(session, subscription, since, until),
        await repository.arguments_validated(session, since, until),
    )
    digest = Digest(
        subscription_id=subscription.id,
        subscriber_id=subscription.subscriber_id,
        week=week,
        period_start=start,
        period_end=end,
        content=content,
        html=digest_html(content, subscription.subscriber_id),
        issued_at=utcnow(),
    )
    session.add(digest)
    await emit(
        session,
        outbox,
        digest,
        lambda: DigestIssued(
            digest_id=digest.id,
            subscription_id=subscription.id,
            subscriber_id=subscription.subscriber_id,
            week=week,
            observations=content["observations"]["total"],
            positioning_changes=len(content["positioning_changes"]),
            path=f"/v1/digests/{digest.id}",
        ),
    )
    return digest


async def issue_weekly_digests(db: Database, outbox: Outbox, today: date) -> int:
    """Last week's digest for every subscription that has none yet; how many were issued."""
    week, _start, _end = last_week(today)
    async with db.unit_of_work() as session:
        pending = await repository.subscriptions_without(session, week)

    async def issue(session: AsyncSession, subscription_id: uuid.UUID) -> bool:
        subscription = await session.get(Subscription, subscription_id)
        if subscription is None or subscription.deleted_at is not None:
            return False
        return await issue_digest(session, outbox, subscription, today) is not None

    return await each_in_own_transaction(db, pending, issue)


async def digest_of(session: AsyncSession, principal: Principal, digest_id: uuid.UUID) -> Digest:
    digest = await session.get(Digest, digest_id)
    if digest is None or (digest.subscriber_id != principal.sub and not principal.is_admin):
        raise NotFound(f"No digest {digest_id}.")
    return digest
