from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.arguments.models import Argument
from tread_market_intel.digests.models import Digest
from tread_market_intel.observations.models import Observation
from tread_market_intel.positioning.models import PositioningBand
from tread_market_intel.products.models import Product
from tread_market_intel.subscriptions.models import Subscription


async def subscriptions_without(session: AsyncSession, week: str) -> Sequence[uuid.UUID]:
    """Live subscriptions that have no digest for ``week`` yet."""
    issued = select(Digest.subscription_id).where(Digest.week == week)
    query = select(Subscription.id).where(
        Subscription.deleted_at.is_(None), Subscription.id.not_in(issued)
    )
    return (await session.scalars(query.order_by(Subscription.id))).all()


async def of_week(session: AsyncSession, subscription_id: uuid.UUID, week: str) -> Digest | None:
    query = select(Digest).where(Digest.subscription_id == subscription_id, Digest.week == week)
    return (await session.scalars(query)).first()


def _recorded_between(
    query: Select[Observation], start: datetime, end: datetime
) -> Select[Observation]:
    return query.where(
        Observation.deleted_at.is_(None),
        Observation.created_at >= start,
        Observation.created_at < end,
    )


async def observations_for(
    session: AsyncSession, subscription: Subscription, start: datetime, end: datetime
) -> Sequence[Observation]:
    """The observations recorded in the period that the subscription follows."""
    query = _recorded_between(select(Observation), start, end)
    if subscription.territories:
        query = query.where(Observation.territory.in_(subscription.territories))
    if subscription.competitors:
        query = query.where(Observation.competitor.in_(subscription.competitors))
    if subscription.kinds:
        query = query.where(Observation.kind.in_(subscription.kinds))
    if subscription.ranges:
        in_ranges = select(Product.code).where(Product.range.in_(subscription.ranges))
        query = query.where(Observation.product_code.in_(in_ranges))
    return (await session.scalars(query.order_by(Observation.observed_at))).all()


async def band_changes_for(
    session: AsyncSession, subscription: Subscription, start: datetime, end: datetime
) -> Sequence[PositioningBand]:
    query = select(PositioningBand).where(
        PositioningBand.crossed_at >= start, PositioningBand.crossed_at < end
    )
    if subscription.territories:
        query = query.where(PositioningBand.territory.in_(subscription.territories))
    if subscription.ranges:
        in_ranges = select(Product.code).where(Product.range.in_(subscription.ranges))
        query = query.where(PositioningBand.product_code.in_(in_ranges))
    return (await session.scalars(query.order_by(PositioningBand.product_code))).all()


async def arguments_validated(
    session: AsyncSession, start: datetime, end: datetime
) -> Sequence[Argument]:
    query = select(Argument).where(
        Argument.status == "validated",
        Argument.validated_at >= start,
        Argument.validated_at < end,
    )
    return (await session.scalars(query.order_by(Argument.validated_at))).all()


def visible(subscriber_id: str | None) -> Select[Digest]:
    query = select(Digest)
    if subscriber_id is not None:
        query = query.where(Digest.subscriber_id == subscriber_id)
    return query
