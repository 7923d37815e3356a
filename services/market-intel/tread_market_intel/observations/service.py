"""Field observations: the field records what it sees in its territories (central and admins
anywhere), offline first — a client-made id sent again answers the first record.

Who sees what: central and admins everything; the field the observations of its territories
and its own."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.competitors import repository as competitor_products
from tread_market_intel.directory.service import account_named, covers_territory
from tread_market_intel.observations import repository
from tread_market_intel.observations.events import observation_recorded
from tread_market_intel.observations.models import Observation
from tread_market_intel.observations.outliers import outlier_reason
from tread_market_intel.observations.schemas import ObservationIn
from tread_market_intel.positioning.service import follow_band
from tread_market_intel.products import repository as products
from tread_market_intel.settings import Settings
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox

# A clock on a phone may run a little ahead; further than this, the date is wrong.
FUTURE_SLACK = timedelta(hours=1)


async def observation_of(
    session: AsyncSession, principal: Principal, observation_id: uuid.UUID
) -> Observation:
    observation = await session.get(Observation, observation_id)
    if (
        observation is None
        or observation.deleted_at is not None
        or not (
            covers_territory(principal, observation.territory)
            or observation.recorded_by == principal.sub
        )
    ):
        raise NotFound(f"No observation {observation_id}.")
    return observation


async def _check_references(
    session: AsyncSession, principal: Principal, data: ObservationIn
) -> str | None:
    """The competitor named (or that of the competitor product); 422 for unknown references,
    403 for a territory the caller does not work in."""
    if data.observed_at > utcnow() + FUTURE_SLACK:
        raise Unprocessable("observed_at is in the future.", slug="observed-in-future")
    in_territory = covers_territory(principal, data.territory)
    if data.account_id is not None:
        account = await account_named(session, principal, data.account_id)
        in_territory = in_territory or account.territory == data.territory
    if not in_territory:
        raise Forbidden(
            f"You record observations in your territories, not in {data.territory}.",
            slug="territory-outside-scope",
        )
    if data.product_code is not None and await products.by_code(session, data.product_code) is None:
        raise Unprocessable(
            f"Product {data.product_code} is not in the catalogue.",
            slug="unknown-product",
            product_codes=[data.product_code],
        )
    competitor = data.competitor
    if data.competitor_product_id is not None:
        rival = await competitor_products.get_live(session, data.competitor_product_id)
        if rival is None:
            raise Unprocessable(
                f"No competitor product {data.competitor_product_id}.",
                slug="unknown-competitor-product",
            )
        competitor = competitor or rival.competitor
    return competitor


async def record(
    session: AsyncSession,
    outbox: Outbox,
    settings: Settings,
    principal: Principal,
    data: ObservationIn,
) -> tuple[Observation, bool]:
    """The observation, and whether it is new (``False``: the client's id was known)."""
    if data.id is not None:
        known = await session.get(Observation, data.id)
        if known is not None:
            if known.recorded_by != principal.sub or known.deleted_at is not None:
                raise Conflict(f"Observation {data.id} exists.", slug="observation-exists")
            return known, False
    competitor = await _check_references(session, principal, data)
    price = data.observed_price
    observation = Observation(
        **data.model_dump(
            exclude={"id", "observed_price", "conditions", "competitor"}, exclude_none=False
        ),
        competitor=competitor,
        price_amount=price.amount if price else None,
        currency=price.currency if price else None,
        conditions=data.conditions.model_dump(mode="json", exclude_none=True),
        recorded_by=principal.sub,
        outlier=False,
    )
    if data.id is not None:
        observation.id = data.id
    if data.kind == "competitor_price" and price is not None and data.product_code:
        recent = await repository.recent_prices(
            session,
            data.product_code,
            data.territory,
            price.currency,
            data.unit,
            data.observed_at - timedelta(days=settings.outlier_window_days),
            data.observed_at,
        )
        reason = outlier_reason(
            price.amount,
            recent,
            settings.outlier_tolerance_pct,
            settings.outlier_min_observations,
        )
        observation.outlier, observation.outlier_reason = reason is not None, reason
    session.add(observation)
    await emit(session, outbox, observation, lambda: observation_recorded(observation))
    if observation.kind == "competitor_price" and not observation.outlier:
        await follow_band(session, outbox, settings, observation)
    return observation, True


async def remove(session: AsyncSession, principal: Principal, observation: Observation) -> None:
    if observation.recorded_by != principal.sub and not principal.reads_everything:
        raise Forbidden("Only its author or central removes an observation.")
    observation.deleted_at = utcnow()
    await flush_changes(session)
