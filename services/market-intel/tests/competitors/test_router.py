from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.http import Caller, assert_problem


def _rival(**fields: Any) -> dict[str, Any]:
    return {
        "competitor": "Rival",
        "brand": "Rival",
        "range": "Long Haul Pro",
        "name": "Rival LHP 315/80R22.5",
        "spec": {"width": 315, "aspect_ratio": 80, "rim": "22.5"},
        "positioning": "mid",
        **fields,
    }


async def test_competitor_products_name_the_own_products_they_compete_with(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any
) -> None:
    own = await market.product("TR-315/80R22.5-XMD")
    other = await market.product("TR-315/70R22.5-XDN")
    central, am = callers["central"], callers["am"]
    body = _rival(equivalents=[{"product_code": own["code"], "note": "same size, same use"}])
    created = await client.post("/v1/competitor-products", json=body, headers=central.headers)
    assert created.status_code == 201, created.text
    rival = created.json()
    assert rival["equivalents"] == [{"product_code": own["code"], "note": "same size, same use"}]
    budget = await market.post(
        "/v1/competitor-products", _rival(competitor="Cheapo", brand="Cheapo", positioning="budget")
    )

    by_product = await client.get(
        "/v1/competitor-products", params={"product_code": own["code"]}, headers=am.headers
    )
    assert [r["id"] for r in by_product.json()["items"]] == [rival["id"]]

    url = f"/v1/competitor-products/{rival['id']}"
    both = await client.patch(
        url,
        json={"equivalents": [{"product_code": own["code"]}, {"product_code": other["code"]}]},
        headers=central.with_(**{"If-Match": created.headers["ETag"]}),
    )
    assert both.status_code == 200, both.text
    assert [e["product_code"] for e in both.json()["equivalents"]] == sorted(
        [own["code"], other["code"]]
    )
    assert both.json()["version"] == 2
    by_other = await client.get(
        "/v1/competitor-products", params={"product_code": other["code"]}, headers=am.headers
    )
    assert [r["id"] for r in by_other.json()["items"]] == [rival["id"]]

    since = both.json()["updated_at"]
    gone = await client.delete(
        f"/v1/competitor-products/{budget['id']}", headers=central.with_(**{"If-Match": "*"})
    )
    assert gone.status_code == 204
    synced = await client.get(
        "/v1/competitor-products", params={"updated_since": since}, headers=am.headers
    )
    tombstones = [i for i in synced.json()["items"] if i.get("deleted")]
    assert [t["id"] for t in tombstones] == [budget["id"]]
    assert_problem(
        await client.get(f"/v1/competitor-products/{budget['id']}", headers=am.headers), 404
    )


async def test_unknown_products_and_field_roles_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any
) -> None:
    own = await market.product("TR-315/80R22.5-XMD")
    central = callers["central"].headers
    unknown = await client.post(
        "/v1/competitor-products",
        json=_rival(equivalents=[{"product_code": "TR-NOT-THERE"}]),
        headers=central,
    )
    problem = assert_problem(unknown, 422, "unknown-product")
    assert problem["product_codes"] == ["TR-NOT-THERE"] and "TR-NOT-THERE" in problem["detail"]
    twice = _rival(equivalents=[{"product_code": own["code"]}, {"product_code": own["code"]}])
    assert_problem(await client.post("/v1/competitor-products", json=twice, headers=central), 422)
    for body in (_rival(positioning="luxury"), _rival(competitor=""), {**_rival(), "x": 1}):
        answer = await client.post("/v1/competitor-products", json=body, headers=central)
        assert_problem(answer, 422, "validation-error")
    by_am = await client.post(
        "/v1/competitor-products", json=_rival(), headers=callers["am"].headers
    )
    assert_problem(by_am, 403)
    assert (await client.get("/v1/competitor-products", headers=central)).json()["items"] == []
