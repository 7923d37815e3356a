"""The market view, fed only by the market-intel service's events."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.events.payloads import market_intel as mi
from tread_shared.money import Money
from tread_shared.testing.http import Caller, assert_problem

CODE = "TR-315/80R22.5-XMD"


async def _market_story(producers: Any) -> str:
    """A product of the X Multi range; three prices in the north (one an outlier), a promotion
    in the south; the north's index crossing above the band this month."""
    product_id = uuid.uuid4()
    state = mi.ProductState(
        product_id=product_id,
        code=CODE,
        kind="tyre",
        brand="Tread",
        range="X Multi",
        name="X Multi D",
        status="active",
        product_version=1,
    )
    await producers.publish(mi.ProductCreated(product=state, changed_by="central-1"), product_id)
    now = utcnow()
    seen = [
        ("north", "competitor_price", "Rival", False),
        ("north", "competitor_price", "Rival", False),
        ("north", "competitor_price", "Cheapo", True),
        ("south", "competitor_promotion", "Rival", False),
    ]
    for territory, kind, competitor, outlier in seen:
        observation_id = uuid.uuid4()
        await producers.publish(
            mi.ObservationRecorded(
                observation_id=observation_id,
                kind=kind,
                territory=territory,
                account_id=None,
                product_code=CODE,
                competitor=competitor,
                competitor_product_id=None,
                observed_price=Money.of("2300.00", "CNY"),
                observed_at=now - timedelta(days=1),
                confidence="high",
                outlier=outlier,
                recorded_by="am-1",
            ),
            observation_id,
        )
    month = now.strftime("%Y-%m")
    await producers.publish(
        mi.PricePositioningChanged(
            product_code=CODE,
            territory="north",
            month=month,
            index=Decimal("112.5"),
            previous_index=Decimal("99.0"),
            band="above",
            previous_band="within",
            band_low=Decimal(90),
            band_high=Decimal(110),
            observations=2,
        ),
        product_id,
    )
    return month


async def test_the_market_view_per_territory_range_and_competitor(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    month = await _market_story(producers)
    central = await client.get("/v1/reports/market", headers=callers["central"].headers)
    assert central.status_code == 200, central.text
    body = central.json()
    assert [
        (o["territory"], o["kind"], o["observations"], o["outliers"]) for o in body["observations"]
    ] == [
        ("north", "competitor_price", 3, 1),
        ("south", "competitor_promotion", 1, 0),
    ]
    (positioning,) = body["positioning"]
    assert (positioning["range"], positioning["territory"], positioning["above"]) == (
        "X Multi",
        "north",
        1,
    )
    assert positioning["median_index"] == "112.50"
    (move,) = body["top_moves"]
    assert (move["month"], move["previous_band"], move["band"]) == (month, "within", "above")
    assert body["competitors"][0] == {"competitor": "Rival", "observations": 3, "territories": 2}

    # A district manager of the north sees the north's observations only.
    north = await client.get("/v1/reports/market", headers=callers["dm"].headers)
    assert [o["territory"] for o in north.json()["observations"]] == ["north"]
    refused = await client.get(
        "/v1/reports/market",
        params={"from": "2026-05-01", "to": "2026-04-01"},
        headers=callers["central"].headers,
    )
    assert_problem(refused, 422)
    outsider = await client.get("/v1/reports/market", headers=callers["integration"].headers)
    assert_problem(outsider, 403)
