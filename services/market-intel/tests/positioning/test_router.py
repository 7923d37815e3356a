from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

Seen = Callable[..., dict[str, Any]]
CODE = "TR-315/80R22.5-XMD"


async def _record(client: httpx.AsyncClient, by: Caller, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        answer = await client.post("/v1/observations", json=body, headers=by.headers)
        assert answer.status_code == 201, answer.text


async def test_positioning_per_month_against_the_list_price_in_force(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    market: Any,
    seen: Seen,
    events: EventStream,
) -> None:
    product = await market.product(CODE, price="2000.00")
    await market.price(product, "2100.00", "2026-11-01", territory="north")
    other = await market.product("TR-295/80R22.5-XZA", price="1800.00")
    am, dm = callers["am"], callers["dm"]
    await _record(
        client,
        am,
        seen(CODE, "1800.00", "2026-09-03T08:00:00Z"),
        seen(CODE, "1900.00", "2026-09-10T08:00:00Z"),
        seen(CODE, "2000.00", "2026-09-20T08:00:00Z", competitor="Cheapo"),
        seen(CODE, "2200.00", "2026-10-02T08:00:00Z"),
        seen(CODE, "2300.00", "2026-10-12T08:00:00Z"),
        seen(CODE, "9000.00", "2026-10-20T08:00:00Z"),  # an outlier: left out, counted
        seen(CODE, "2100.00", "2026-11-05T08:00:00Z"),
        seen(other["code"], "1710.00", "2026-11-05T08:00:00Z"),
    )
    await _record(client, dm, seen(CODE, "1500.00", "2026-10-05T08:00:00Z", territory="east"))

    answer = await client.get(
        "/v1/price-positioning",
        params={"product": CODE, "territory": "north", "from": "2026-01-01", "to": "2026-11-30"},
        headers=am.headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["currency"]) == ("2026-01-01", "2026-11-30", "CNY")
    months = {m["month"]: m for m in body["months"]}
    assert list(months) == ["2026-09", "2026-10", "2026-11"]
    september, october, november = months.values()
    assert september["observations"] == 3 and september["outliers_excluded"] == 0
    assert september["median"] == {"amount": "1900.00", "currency": "CNY"}
    assert (september["q1"]["amount"], september["q3"]["amount"]) == ("1850.00", "1950.00")
    assert september["own_list_price"] == {"amount": "2000.00", "currency": "CNY"}
    assert september["index"] == "95.0" and september["trend"] is None
    assert september["band"] == "within"
    assert october["observations"] == 2 and october["outliers_excluded"] == 1
    assert october["index"] == "112.5" and october["trend"] == "17.5"
    assert october["band"] == "above"
    # November: the north's own price (2100) is in force.
    assert november["own_list_price"]["amount"] == "2100.00"
    assert november["index"] == "100.0" and november["trend"] == "-12.5"
    by_competitor = {c["competitor"]: c for c in body["by_competitor"]}
    assert by_competitor["Cheapo"]["observations"] == 1
    assert by_competitor["Cheapo"]["index"] == "100.0"
    assert by_competitor["Rival"]["observations"] == 5

    everywhere = await client.get(
        "/v1/price-positioning",
        params={"product": CODE, "from": "2026-10-01", "to": "2026-10-31"},
        headers=am.headers,
    )
    assert everywhere.json()["months"][0]["observations"] == 3

    by_range = await client.get(
        "/v1/price-positioning",
        params={"range": "X Multi", "territory": "north", "from": "2026-11-01", "to": "2026-11-30"},
        headers=am.headers,
    )
    (range_month,) = by_range.json()["months"]
    assert range_month["observations"] == 2
    # 2100 / 2100 and 1710 / 1800: a median of the two indices, 100 and 95.
    assert range_month["index"] == "97.5" and range_month["own_list_price"] is None

    crossings = await events.wait_for(
        "tread.market-intel.price_positioning.changed.v1",
        2,
        where=lambda e: e["data"]["territory"] == "north",
    )
    assert [
        (e["data"]["month"], e["data"]["band"], e["data"]["previous_band"]) for e in crossings
    ] == [
        ("2026-10", "above", "within"),
        ("2026-11", "within", "above"),
    ]
    east = await events.wait_for(
        "tread.market-intel.price_positioning.changed.v1",
        where=lambda e: e["data"]["territory"] == "east",
    )
    assert east[0]["data"]["band"] == "below" and east[0]["data"]["previous_band"] is None


async def test_positioning_questions_that_cannot_be_answered_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    am = callers["am"].headers
    for params in (
        {},
        {"product": CODE, "range": "X Multi"},
        {"product": CODE, "from": "2026-05-01", "to": "2026-04-01"},
        {"product": CODE, "from": "2020-01-01", "to": "2026-04-01"},
        {"product": CODE, "currency": "ABC"},
    ):
        answer = await client.get("/v1/price-positioning", params=params, headers=am)
        assert_problem(answer, 422)
    nothing = await client.get("/v1/price-positioning", params={"product": CODE}, headers=am)
    assert nothing.json()["months"] == []
    outsider = await client.get(
        "/v1/price-positioning", params={"product": CODE}, headers=callers["integration"].headers
    )
    assert_problem(outsider, 403)
