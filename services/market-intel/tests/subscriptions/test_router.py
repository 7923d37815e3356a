from __future__ import annotations

import httpx

from tread_shared.testing.http import Caller, assert_problem


async def test_each_user_keeps_his_own_subscriptions(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    am, dm = callers["am"], callers["dm"]
    created = await client.post(
        "/v1/subscriptions",
        json={
            "email": "lucas@example.com",
            "competitors": ["Rival"],
            "kinds": ["competitor_price"],
        },
        headers=am.headers,
    )
    assert created.status_code == 201, created.text
    mine = created.json()
    assert mine["territories"] == ["north"] and mine["subscriber_id"] == "am-1"
    url = f"/v1/subscriptions/{mine['id']}"
    assert_problem(await client.get(url, headers=dm.headers), 404)
    assert (await client.get("/v1/subscriptions", headers=dm.headers)).json()["items"] == []
    admin_sees = await client.get("/v1/subscriptions", headers=callers["admin"].headers)
    assert [s["id"] for s in admin_sees.json()["items"]] == [mine["id"]]

    outside = await client.post(
        "/v1/subscriptions", json={"territories": ["south"]}, headers=am.headers
    )
    assert_problem(outside, 403, "territory-outside-scope")
    central_anywhere = await client.post(
        "/v1/subscriptions", json={"territories": ["south"]}, headers=callers["central"].headers
    )
    assert central_anywhere.status_code == 201
    for body in ({"email": "not-an-address"}, {"kinds": ["gossip"]}, {"x": 1}):
        assert_problem(await client.post("/v1/subscriptions", json=body, headers=am.headers), 422)

    assert_problem(await client.patch(url, json={"ranges": ["X Multi"]}, headers=am.headers), 428)
    changed = await client.patch(
        url,
        json={"ranges": ["X Multi"]},
        headers=am.with_(**{"If-Match": created.headers["ETag"]}),
    )
    assert changed.json()["ranges"] == ["X Multi"] and changed.json()["version"] == 2
    cleared = await client.patch(
        url, json={"ranges": None}, headers=am.with_(**{"If-Match": changed.headers["ETag"]})
    )
    assert_problem(cleared, 422)
    stale = await client.delete(url, headers=am.with_(**{"If-Match": created.headers["ETag"]}))
    assert_problem(stale, 412)
    gone = await client.delete(url, headers=am.with_(**{"If-Match": changed.headers["ETag"]}))
    assert gone.status_code == 204
    assert_problem(await client.get(url, headers=am.headers), 404)
