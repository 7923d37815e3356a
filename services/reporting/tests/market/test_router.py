"""The market view, fed only by the market-intel service's events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller, assert_problem


async def test_the_market_view_per_territory_range_and_competitor(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    month = await producers.market_story(utcnow() - timedelta(days=1))
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
