from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.observations.models import Observation
from tread_market_intel.observations.schemas import ObservationFilters
from tread_shared.auth.principal import Principal


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Central and admins see every observation; the field those of its territories and its
    own."""
    if principal.reads_everything:
        return true()
    return or_(
        Observation.territory.in_(sorted(principal.territories)),
        Observation.recorded_by == principal.sub,
    )


def listed(principal: Principal, filters: ObservationFilters) -> Select[Observation]:
    query = select(Observation).where(visible_clause(principal))
    for name in ("kind", "territory", "product_code", "competitor", "account_id", "outlier"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Observation, name) == value)
    return query


async def recent_prices(
    session: AsyncSession,
    product_code: str,
    territory: str,
    currency: str,
    unit: str | None,
    since: datetime,
    until: datetime,
) -> Sequence[Decimal]:
    """The competitor prices of a product in a territory over a window, outliers left out."""
    query = select(Observation.price_amount).where(
        Observation.product_code == product_code,
        Observation.territory == territory,
        Observation.kind == "competitor_price",
        Observation.currency == currency,
        Observation.unit == unit,
        Observation.outlier.is_(False),
        Observation.deleted_at.is_(None),
        Observation.observed_at >= since,
        Observation.observed_at <= until,
    )
    return [amount for amount in (await session.scalars(query)).all() if amount is not None]
