"""Market-intel events → the market view."""

from __future__ import annotations

from tread_reporting.market.models import (
    MarketObservationRecord,
    MarketPositioningHistoryRecord,
    MarketPositioningRecord,
    MarketProductRecord,
)
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_shared.events.payloads import market_intel as mi

projection = Projection()


@projection.on(mi.ObservationRecorded)
def observation(payload: mi.ObservationRecorded, at: Landing, writes: Writes) -> None:
    writes.insert_fact(
        MarketObservationRecord,
        {
            "observation_id": payload.observation_id,
            "territory": payload.territory,
            "kind": payload.kind,
            "product_code": payload.product_code,
            "competitor": payload.competitor,
            "outlier": payload.outlier,
            "observed_at": payload.observed_at,
            "recorded_at": at.event.time,
        },
    )


@projection.on(mi.ProductCreated, mi.ProductChanged, mi.ProductDiscontinued)
def product(payload: mi.ProductEvent, _at: Landing, writes: Writes) -> None:
    state = payload.product
    writes.upsert_newer(
        MarketProductRecord,
        {
            "code": state.code,
            "version": state.product_version,
            "range": state.range,
            "status": state.status,
        },
    )


@projection.on(mi.PricePositioningChanged)
def positioning(payload: mi.PricePositioningChanged, at: Landing, writes: Writes) -> None:
    row = {
        "product_code": payload.product_code,
        "territory": payload.territory,
        "month": payload.month,
        "version": at.stream_seq,
        "index": payload.index,
        "previous_index": payload.previous_index,
        "band": payload.band,
        "previous_band": payload.previous_band,
        "observations": payload.observations,
    }
    writes.upsert_newer(MarketPositioningRecord, row)
    writes.insert_fact(MarketPositioningHistoryRecord, {**row, "changed_at": at.event.time})
