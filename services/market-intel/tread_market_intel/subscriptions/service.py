"""Subscriptions: each user keeps his own (admins see all). A field user subscribes to
territories he works in; none named means all of his. Central and admins may follow any."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.subscriptions.models import Subscription
from tread_market_intel.subscriptions.schemas import SubscriptionIn, SubscriptionPatch
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.errors import Forbidden, NotFound


def _territories(principal: Principal, wanted: list[str]) -> list[str]:
    if principal.reads_everything:
        return sorted(set(wanted))
    if not wanted:
        return sorted(principal.territories)
    outside = sorted(set(wanted) - principal.territories)
    if outside:
        raise Forbidden(
            f"You follow your own territories, not {', '.join(outside)}.",
            slug="territory-outside-scope",
        )
    return sorted(set(wanted))


def visible(principal: Principal) -> Select[Subscription]:
    query = select(Subscription)
    if not principal.is_admin:
        query = query.where(Subscription.subscriber_id == principal.sub)
    return query


async def subscription_of(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    row = await session.get(Subscription, subscription_id)
    if (
        row is None
        or row.deleted_at is not None
        or (row.subscriber_id != principal.sub and not principal.is_admin)
    ):
        raise NotFound(f"No subscription {subscription_id}.")
    return row


async def subscribe(
    session: AsyncSession, principal: Principal, data: SubscriptionIn
) -> Subscription:
    row = Subscription(
        subscriber_id=principal.sub,
        email=data.email,
        territories=_territories(principal, data.territories),
        competitors=sorted(set(data.competitors)),
        ranges=sorted(set(data.ranges)),
        kinds=sorted(set(data.kinds)),
    )
    session.add(row)
    await flush_changes(session)
    return row


async def change(
    session: AsyncSession, principal: Principal, row: Subscription, patch: SubscriptionPatch
) -> Subscription:
    values: dict[str, Any] = {n: getattr(patch, n) for n in patch.model_fields_set}
    if "territories" in values:
        values["territories"] = _territories(principal, values["territories"])
    for name in ("competitors", "ranges", "kinds"):
        if name in values:
            values[name] = sorted(set(values[name]))
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    await flush_changes(session)
    return row


async def unsubscribe(session: AsyncSession, row: Subscription) -> None:
    row.deleted_at = utcnow()
    await flush_changes(session)
