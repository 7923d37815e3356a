from __future__ import annotations

from tread_market_intel.observations.models import Observation
from tread_shared.events.payloads.market_intel import ObservationRecorded
from tread_shared.money import Money


def price_of(observation: Observation) -> Money | None:
    if observation.price_amount is None or observation.currency is None:
        return None
    return Money.of(observation.price_amount, observation.currency)


def observation_recorded(observation: Observation) -> ObservationRecorded:
    return ObservationRecorded(
        observation_id=observation.id,
        kind=observation.kind,
        territory=observation.territory,
        account_id=observation.account_id,
        product_code=observation.product_code,
        competitor=observation.competitor,
        competitor_product_id=observation.competitor_product_id,
        observed_price=price_of(observation),
        observed_at=observation.observed_at,
        confidence=observation.confidence,
        outlier=observation.outlier,
        recorded_by=observation.recorded_by,
    )
