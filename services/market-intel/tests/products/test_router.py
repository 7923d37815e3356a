from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


async def test_central_builds_the_catalogue_and_everyone_reads_it(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    tyre: Callable[..., dict[str, Any]],
    events: EventStream,
) -> None:
    body = tyre("TR-315/80R22.5-XMD")
    created = await client.post("/v1/products", json=body, headers=callers["central"].headers)
    assert created.status_code == 201, created.text
    product = created.json()
    assert created.headers["Location"] == f"/v1/products/{product['id']}"
    assert created.headers["ETag"] == f'"{product["id"]}-v1"'
    assert product["status"] == "active"
    assert product["spec"] == {
        "width": 315,
        "aspect_ratio": 80,
        "rim": "22.5",
        "load_index": "156/150",
        "speed_index": "L",
    }

    for role in ("am", "dm", "kam", "central"):
        listed = await client.get(
            "/v1/products", params={"code": "TR-315/80R22.5-XMD"}, headers=callers[role].headers
        )
        assert [p["id"] for p in listed.json()["items"]] == [product["id"]]
    (event,) = await events.wait_for("tread.market-intel.product.created.v1")
    assert event["data"]["product"]["code"] == "TR-315/80R22.5-XMD"
    assert event["data"]["product"]["product_version"] == 1

    taken = await client.post("/v1/products", json=body, headers=callers["central"].headers)
    assert_problem(taken, 409, "product-code-taken")


async def test_field_roles_read_but_do_not_change_the_catalogue(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    tyre: Callable[..., dict[str, Any]],
    market: Any,
) -> None:
    product = await market.product()
    for role in ("am", "dm", "kam"):
        refused = await client.post("/v1/products", json=tyre(), headers=callers[role].headers)
        assert_problem(refused, 403)
        price = await client.post(
            f"/v1/products/{product['id']}/prices",
            json={"list_price": {"amount": "1", "currency": "CNY"}, "valid_from": "2026-01-01"},
            headers=callers[role].headers,
        )
        assert_problem(price, 403)
    outsider = await client.get("/v1/products", headers=callers["integration"].headers)
    assert_problem(outsider, 403)


async def test_bad_products_are_refused_and_change_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller], tyre: Callable[..., dict[str, Any]]
) -> None:
    central = callers["central"].headers
    bad = [
        tyre(spec=None),
        tyre(spec={"width": 3150, "aspect_ratio": 80, "rim": "22.5"}),
        tyre(spec={"width": 315, "aspect_ratio": 80, "rim": "22.3"}),
        tyre(spec={"width": 315, "aspect_ratio": 80, "rim": "22.5", "load_index": "x"}),
        tyre(spec={"width": 315, "aspect_ratio": 80, "rim": "22.5", "speed_index": "I"}),
        tyre(kind="service"),
        tyre(kind="rubber"),
        tyre(code=""),
        tyre(code="has space"),
        tyre(usage_types=["space"]),
        {**tyre(), "surprise": 1},
    ]
    for body in bad:
        answer = await client.post("/v1/products", json=body, headers=central)
        assert_problem(answer, 422, "validation-error")
    assert (await client.get("/v1/products", headers=central)).json()["items"] == []
    service = await client.post(
        "/v1/products",
        json={"code": "SV-RETREAD-AUDIT", "kind": "service", "brand": "Tread", "name": "Audit"},
        headers=central,
    )
    assert service.status_code == 201, service.text
    assert service.json()["spec"] is None


async def test_changes_need_if_match_and_discontinuing_is_announced(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any, events: EventStream
) -> None:
    product = await market.product()
    url = f"/v1/products/{product['id']}"
    central = callers["central"]
    missing = await client.patch(url, json={"name": "New"}, headers=central.headers)
    assert_problem(missing, 428)
    stale = await client.patch(
        url, json={"name": "New"}, headers=central.with_(**{"If-Match": '"nope"'})
    )
    assert_problem(stale, 412)
    etag = (await client.get(url, headers=central.headers)).headers["ETag"]
    renamed = await client.patch(
        url, json={"name": "X Multi D2"}, headers=central.with_(**{"If-Match": etag})
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["version"] == 2
    discontinued = await client.patch(
        url,
        json={"status": "discontinued"},
        headers=central.with_(**{"If-Match": renamed.headers["ETag"]}),
    )
    assert discontinued.json()["status"] == "discontinued"
    null_name = await client.patch(
        url, json={"name": None}, headers=central.with_(**{"If-Match": "*"})
    )
    assert_problem(null_name, 422)

    (changed,) = await events.wait_for("tread.market-intel.product.changed.v1")
    assert changed["data"]["changed_fields"] == ["name"]
    (gone,) = await events.wait_for("tread.market-intel.product.discontinued.v1")
    assert gone["data"]["product"]["status"] == "discontinued"
    assert gone["data"]["product"]["product_version"] == 3

    since = renamed.json()["updated_at"]
    synced = await client.get(
        "/v1/products", params={"updated_since": since}, headers=central.headers
    )
    assert [p["status"] for p in synced.json()["items"]] == ["discontinued"]


async def test_the_price_in_force_on_a_day_prefers_the_territory_then_the_latest(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any, events: EventStream
) -> None:
    product = await market.product(price=None)
    await market.price(product, "2000.00", "2026-01-01")
    await market.price(product, "2100.00", "2026-07-01")
    await market.price(product, "1950.00", "2026-03-01", territory="north", valid_to="2026-09-30")
    url = f"/v1/products/{product['id']}/price"
    am = callers["am"].headers

    async def price(**params: str) -> Any:
        answer = await client.get(url, params=params, headers=am)
        return answer

    cases = [
        ({"on": "2026-02-01"}, "2000.00", None),
        ({"on": "2026-08-01"}, "2100.00", None),
        ({"on": "2026-02-01", "territory": "north"}, "2000.00", None),
        ({"on": "2026-04-01", "territory": "north"}, "1950.00", "north"),
        ({"on": "2026-10-01", "territory": "north"}, "2100.00", None),
        ({"on": "2026-04-01", "territory": "south"}, "2000.00", None),
    ]
    for params, amount, territory in cases:
        answer = await price(**params)
        assert answer.status_code == 200, (params, answer.text)
        assert answer.json()["list_price"] == {"amount": amount, "currency": "CNY"}, params
        assert answer.json()["price_territory"] == territory, params

    assert_problem(await price(on="2025-12-31"), 404, "no-price-in-force")
    assert_problem(await price(currency="EUR"), 404, "no-price-in-force")
    assert_problem(await price(currency="ABC"), 422)

    # The same entry again with the same values changes nothing; with another amount corrects.
    await market.price(product, "2100.00", "2026-07-01")
    corrected = await market.price(product, "2150.00", "2026-07-01")
    assert corrected["version"] == 2
    assert (await price(on="2026-08-01")).json()["list_price"]["amount"] == "2150.00"
    book = await client.get(f"/v1/products/{product['id']}/prices", headers=am)
    assert len(book.json()["items"]) == 3
    changes = await events.wait_for("tread.market-intel.price_list.changed.v1", 4)
    assert len(changes) == 4
    assert changes[-1]["data"]["list_price"] == {"amount": "2150.00", "currency": "CNY"}


async def test_prices_must_be_positive_in_a_known_currency(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any
) -> None:
    product = await market.product(price=None)
    url = f"/v1/products/{product['id']}/prices"
    bad = [
        {"list_price": {"amount": "0", "currency": "CNY"}, "valid_from": "2026-01-01"},
        {"list_price": {"amount": "-5", "currency": "CNY"}, "valid_from": "2026-01-01"},
        {"list_price": {"amount": "5", "currency": "ABC"}, "valid_from": "2026-01-01"},
        {"list_price": {"amount": "5", "currency": "cny"}, "valid_from": "2026-01-01"},
        {"list_price": {"amount": "5.123456", "currency": "CNY"}, "valid_from": "2026-01-01"},
        {
            "list_price": {"amount": "5", "currency": "CNY"},
            "valid_from": "2026-02-01",
            "valid_to": "2026-01-01",
        },
    ]
    for body in bad:
        assert_problem(await client.post(url, json=body, headers=callers["central"].headers), 422)
    book = await client.get(url, headers=callers["central"].headers)
    assert book.json()["items"] == []
    unknown = await client.get(
        "/v1/products/0190a8a0-0000-7000-8000-000000000000/price",
        headers=callers["central"].headers,
    )
    assert_problem(unknown, 404)
