from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

Seen = Callable[..., dict[str, Any]]
CODE = "TR-315/80R22.5-XMD"


async def test_the_field_records_offline_and_sees_its_territories(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    market: Any,
    accounts: Any,
    seen: Seen,
    events: EventStream,
) -> None:
    await market.product(CODE)
    account_id = await accounts.open(owner_id="am-1", territory="north")
    am, south_am, dm = callers["am"], callers["south_am"], callers["dm"]
    client_id = str(uuid.uuid4())
    body = seen(
        CODE,
        "1890.00",
        "2026-12-01T08:00:00Z",
        id=client_id,
        account_id=str(account_id),
        conditions={"payment_terms_days": 60, "rebate_pct": "2", "min_volume": 40},
        text="Rival 315/80 at 1890 with 60-day terms",
    )
    first = await client.post(
        "/v1/observations", json=body, headers=am.with_(**{"Idempotency-Key": "a1"})
    )
    assert first.status_code == 201, first.text
    observation = first.json()
    assert observation["id"] == client_id and observation["outlier"] is False
    assert observation["conditions"] == {
        "payment_terms_days": 60,
        "rebate_pct": "2",
        "min_volume": 40,
    }
    # The phone lost the answer and retries later with another key: the same record.
    again = await client.post(
        "/v1/observations", json=body, headers=am.with_(**{"Idempotency-Key": "a2"})
    )
    assert again.status_code == 200 and again.json()["id"] == client_id
    replay = await client.post(
        "/v1/observations", json=body, headers=am.with_(**{"Idempotency-Key": "a1"})
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    taken = await client.post("/v1/observations", json=body, headers=dm.headers)
    assert_problem(taken, 409, "observation-exists")

    assert (
        await client.get(f"/v1/observations/{client_id}", headers=dm.headers)
    ).status_code == 200
    assert_problem(await client.get(f"/v1/observations/{client_id}", headers=south_am.headers), 404)
    south_list = await client.get("/v1/observations", headers=south_am.headers)
    assert south_list.json()["items"] == []
    north = await client.get(
        "/v1/observations",
        params={"territory": "north", "kind": "competitor_price"},
        headers=dm.headers,
    )
    assert [o["id"] for o in north.json()["items"]] == [client_id]

    (event,) = await events.wait_for("tread.market-intel.observation.recorded.v1")
    assert event["data"]["observed_price"] == {"amount": "1890.00", "currency": "CNY"}
    assert event["data"]["account_id"] == str(account_id)

    since = observation["updated_at"]
    etag = first.headers["ETag"]
    withdrawn = await client.delete(
        f"/v1/observations/{client_id}", headers=am.with_(**{"If-Match": etag})
    )
    assert withdrawn.status_code == 204
    synced = await client.get(
        "/v1/observations", params={"updated_since": since}, headers=am.headers
    )
    assert synced.json()["items"] == [
        {"id": client_id, "deleted": True, "updated_at": synced.json()["items"][0]["updated_at"]}
    ]


async def test_observations_outside_scope_or_malformed_are_refused(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    market: Any,
    accounts: Any,
    seen: Seen,
) -> None:
    await market.product(CODE)
    am = callers["am"]
    someone_elses = await accounts.open(owner_id="am-9", territory="north")
    at = "2026-11-01T08:00:00Z"
    forbidden = await client.post(
        "/v1/observations", json=seen(CODE, "1890", at, territory="south"), headers=am.headers
    )
    assert_problem(forbidden, 403, "territory-outside-scope")
    unknown_account = seen(CODE, "1890", at, account_id=str(someone_elses))
    assert_problem(
        await client.post("/v1/observations", json=unknown_account, headers=am.headers),
        422,
        "unknown-account",
    )
    unknown_product = await client.post(
        "/v1/observations", json=seen("TR-NOPE", "1890", at), headers=am.headers
    )
    assert_problem(unknown_product, 422, "unknown-product")
    future = await client.post(
        "/v1/observations", json=seen(CODE, "1890", "2199-01-01T00:00:00Z"), headers=am.headers
    )
    assert_problem(future, 422, "observed-in-future")
    bad_bodies = [
        seen(CODE, "0", at),
        seen(CODE, "-3", at),
        {**seen(CODE, "5", at), "observed_price": {"amount": "5", "currency": "ABC"}},
        {**seen(CODE, "5", at), "observed_price": None},
        {**seen(CODE, "5", at), "observed_at": "2026-11-01T08:00:00"},
        {**seen(CODE, "5", at), "competitor": None},
        {**seen(CODE, "5", at), "kind": "gossip"},
        {**seen(CODE, "5", at), "confidence": "total"},
        {**seen(CODE, "5", at), "conditions": {"rebate_pct": "150"}},
    ]
    for body in bad_bodies:
        answer = await client.post("/v1/observations", json=body, headers=am.headers)
        assert_problem(answer, 422, "validation-error")
    outsider = await client.post(
        "/v1/observations", json=seen(CODE, "1890", at), headers=callers["integration"].headers
    )
    assert_problem(outsider, 403)
    everything = await client.get("/v1/observations", headers=callers["central"].headers)
    assert everything.json()["items"] == []

    # A key account manager without territories records for an account he manages.
    kam_account = await accounts.open(
        owner_id="am-7", territory="east", key_account_manager_id="kam-1"
    )
    by_kam = await client.post(
        "/v1/observations",
        json={
            "kind": "customer_need",
            "territory": "east",
            "account_id": str(kam_account),
            "observed_at": at,
            "text": "Wants retreading on site",
        },
        headers=callers["kam"].headers,
    )
    assert by_kam.status_code == 201, by_kam.text


async def test_a_price_far_from_the_recent_range_is_kept_but_flagged(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any, seen: Seen
) -> None:
    await market.product(CODE)
    am = callers["am"]
    for day, amount in ((2, "1800.00"), (3, "1850.00"), (4, "1900.00")):
        answer = await client.post(
            "/v1/observations",
            json=seen(CODE, amount, f"2026-11-0{day}T08:00:00Z"),
            headers=am.headers,
        )
        assert answer.json()["outlier"] is False
    typo = await client.post(
        "/v1/observations", json=seen(CODE, "18500.00", "2026-11-05T08:00:00Z"), headers=am.headers
    )
    assert typo.status_code == 201
    assert typo.json()["outlier"] is True
    assert "above the median 1850" in typo.json()["outlier_reason"]
    cheap = await client.post(
        "/v1/observations", json=seen(CODE, "1000.00", "2026-11-06T08:00:00Z"), headers=am.headers
    )
    assert cheap.json()["outlier"] is True and "below" in cheap.json()["outlier_reason"]
    other_territory = await client.post(
        "/v1/observations",
        json=seen(CODE, "18500.00", "2026-11-05T08:00:00Z", territory="east"),
        headers=callers["dm"].headers,
    )
    assert other_territory.json()["outlier"] is False
    flagged = await client.get("/v1/observations", params={"outlier": "true"}, headers=am.headers)
    assert len(flagged.json()["items"]) == 2
