from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def _line(**fields: Any) -> dict[str, Any]:
    return {
        "product_code": "TR-315/80R22.5",
        "quantity": 3,
        "list_price": {"amount": "1999.99", "currency": "CNY"},
        "discount_pct": "7.5",
        **fields,
    }


def _valid_until(days: int = 30) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


async def test_net_is_computed_exactly_and_the_offer_goes_to_the_customer(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, events: EventStream
) -> None:
    account_id = await accounts.open()
    response = await client.post(
        "/v1/offers",
        json={
            "account_id": str(account_id),
            "valid_until": _valid_until(),
            "lines": [_line(), _line(product_code="AG-480/70R38", quantity=1, discount_pct="0")],
        },
        headers=callers["am"].headers,
    )
    assert response.status_code == 201, response.text
    offer = response.json()
    assert offer["status"] == "submitted"
    # 3 x 1999.99 = 5999.97; less 7.5 % = 5549.972… → 5549.97
    assert offer["lines"][0]["net"] == {"amount": "5549.97", "currency": "CNY"}
    assert offer["list_total"] == {"amount": "7999.96", "currency": "CNY"}
    assert offer["net_total"] == {"amount": "7549.96", "currency": "CNY"}
    assert offer["revision"] == 1 and offer["requires_approval"] is False

    (event,) = await events.wait_for("tread.contracts.offer.submitted.v1")
    assert event["data"]["account_id"] == str(account_id)
    assert event["data"]["net_total"] == {"amount": "7549.96", "currency": "CNY"}
    assert event["data"]["lines"][0]["net"]["amount"] == "5549.97"


async def test_a_discount_above_the_limit_waits_for_a_district_manager(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    offer = await partnerships.offer(account_id, discount="12")
    assert offer["status"] == "pending_approval"
    assert offer["discount_limit_pct"] == "10"

    accept_too_soon = await client.post(
        f"/v1/offers/{offer['id']}/accept", headers=callers["am"].headers
    )
    assert_problem(accept_too_soon, 409, "illegal-transition")
    by_am = await client.post(f"/v1/offers/{offer['id']}/approve", headers=callers["am"].headers)
    assert_problem(by_am, 403)
    by_other_district = await client.post(
        f"/v1/offers/{offer['id']}/approve", headers=callers["other_dm"].headers
    )
    assert_problem(by_other_district, 404)

    approved = await client.post(f"/v1/offers/{offer['id']}/approve", headers=callers["dm"].headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "submitted"
    assert approved.json()["approved_by"] == "dm-north"
    accepted = await client.post(f"/v1/offers/{offer['id']}/accept", headers=callers["am"].headers)
    assert accepted.json()["status"] == "accepted"

    for verb in ("submitted", "approved", "accepted"):
        await events.wait_for(f"tread.contracts.offer.{verb}.v1")


async def test_a_district_manager_may_refuse_the_discount(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    offer = await partnerships.offer(account_id, discount="30")
    am_refusing = await client.post(
        f"/v1/offers/{offer['id']}/reject", json={"reason": "no"}, headers=callers["am"].headers
    )
    assert_problem(am_refusing, 403)
    refused = await client.post(
        f"/v1/offers/{offer['id']}/reject",
        json={"reason": "Margin too thin"},
        headers=callers["dm"].headers,
    )
    assert refused.json()["status"] == "rejected"
    assert refused.json()["rejection_stage"] == "approval"
    (event,) = await events.wait_for("tread.contracts.offer.rejected.v1")
    assert event["data"]["stage"] == "approval" and event["data"]["reason"] == "Margin too thin"


async def test_a_district_managers_own_discount_needs_another_approver(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    offer = await partnerships.offer(account_id, by=callers["dm"], discount="40")
    assert offer["status"] == "pending_approval"
    own = await client.post(f"/v1/offers/{offer['id']}/approve", headers=callers["dm"].headers)
    assert_problem(own, 403)
    by_admin = await client.post(
        f"/v1/offers/{offer['id']}/approve", headers=callers["admin"].headers
    )
    assert by_admin.json()["status"] == "submitted"


async def test_revisions_keep_the_negotiation_history(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    offer = await partnerships.offer(account_id, discount="5")
    am = callers["am"].headers
    revised = await client.post(
        f"/v1/offers/{offer['id']}/revisions",
        json={"lines": [_line(discount_pct="15")], "valid_until": _valid_until(10)},
        headers=am,
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["revision"] == 2
    assert revised.json()["status"] == "pending_approval"
    back_within_limit = await client.post(
        f"/v1/offers/{offer['id']}/revisions",
        json={"lines": [_line(discount_pct="9")], "valid_until": _valid_until(10)},
        headers=am,
    )
    assert back_within_limit.json()["status"] == "submitted"

    history = await client.get(f"/v1/offers/{offer['id']}/revisions", headers=am)
    assert [r["revision"] for r in history.json()] == [1, 2, 3]
    assert [r["lines"][0]["discount_pct"] for r in history.json()] == ["5", "15", "9"]
    submitted = await events.wait_for("tread.contracts.offer.submitted.v1", 3)
    assert [e["data"]["revision"] for e in submitted] == [1, 2, 3]
    assert [e["data"]["offer_version"] for e in submitted] == [1, 2, 3]

    other_currency = await client.post(
        f"/v1/offers/{offer['id']}/revisions",
        json={
            "lines": [_line(list_price={"amount": "10", "currency": "EUR"})],
            "valid_until": _valid_until(),
        },
        headers=am,
    )
    assert_problem(other_currency, 422, "currency-mismatch")


async def test_closed_offers_cannot_move_again(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    am = callers["am"].headers
    rejected = await partnerships.offer(account_id)
    await partnerships.post(
        f"/v1/offers/{rejected['id']}/reject", {"reason": "Bought elsewhere"}, callers["am"], 200
    )
    expired = await partnerships.offer(account_id)
    await partnerships.post(f"/v1/offers/{expired['id']}/expire", None, callers["am"], 200)
    for offer in (rejected, expired):
        for step in ("accept", "expire", "approve"):
            by = callers["dm"] if step == "approve" else callers["am"]
            answer = await client.post(f"/v1/offers/{offer['id']}/{step}", headers=by.headers)
            assert_problem(answer, 409, "illegal-transition")
        again = await client.post(
            f"/v1/offers/{offer['id']}/revisions",
            json={"lines": [_line()], "valid_until": _valid_until()},
            headers=am,
        )
        assert_problem(again, 409)
    unchanged = await client.get(f"/v1/offers/{rejected['id']}", headers=am)
    assert unchanged.json()["status"] == "rejected"


async def test_bad_offers_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, events: EventStream
) -> None:
    account_id = str(await accounts.open())
    am = callers["am"].headers
    cases = [
        ({"lines": [_line(quantity=-1)]}, 422),
        ({"lines": [_line(quantity=0)]}, 422),
        ({"lines": [_line(discount_pct="100.5")]}, 422),
        ({"lines": [_line(discount_pct="-1")]}, 422),
        ({"lines": [_line(list_price={"amount": "-3", "currency": "CNY"})]}, 422),
        ({"lines": [_line(), _line(list_price={"amount": "3", "currency": "EUR"})]}, 422),
        ({"lines": []}, 422),
        ({"valid_until": "2001-01-01"}, 422),
        ({"account_id": "0193e0a0-0000-7000-8000-000000000000"}, 422),
    ]
    for change, status in cases:
        body = {"account_id": account_id, "valid_until": _valid_until(), "lines": [_line()]}
        body.update(change)
        assert_problem(await client.post("/v1/offers", json=body, headers=am), status)
    listed = await client.get("/v1/offers", headers=am)
    assert listed.json()["items"] == []
    # The one good offer after them is the only one the stream hears of.
    body = {"account_id": account_id, "valid_until": _valid_until(), "lines": [_line()]}
    assert (await client.post("/v1/offers", json=body, headers=am)).status_code == 201
    await events.wait_for("tread.contracts.offer.submitted.v1")
    assert len(await events.of_type("tread.contracts.offer")) == 1


async def test_offers_are_seen_within_scope_only(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    mine = await accounts.open(owner_id="am-1", territory="north")
    theirs = await accounts.open(owner_id="am-2", territory="south", key_account_manager_id=None)
    my_offer = await partnerships.offer(mine)
    their_offer = await partnerships.offer(theirs, by=callers["other_am"])

    def ids(response: httpx.Response) -> set[str]:
        return {o["id"] for o in response.json()["items"]}

    expected = {
        "am": {my_offer["id"]},
        "other_am": {their_offer["id"]},
        "dm": {my_offer["id"]},
        "other_dm": {their_offer["id"]},
        "kam": {my_offer["id"]},
        "other_kam": set(),
        "central": {my_offer["id"], their_offer["id"]},
        "admin": {my_offer["id"], their_offer["id"]},
    }
    for role, visible in expected.items():
        headers = callers[role].headers
        assert ids(await client.get("/v1/offers", headers=headers)) == visible, role
        for offer in (my_offer, their_offer):
            single = await client.get(f"/v1/offers/{offer['id']}", headers=headers)
            assert single.status_code == (200 if offer["id"] in visible else 404), role
    on_foreign_account = await client.post(
        "/v1/offers",
        json={"account_id": str(theirs), "valid_until": _valid_until(), "lines": [_line()]},
        headers=callers["am"].headers,
    )
    assert_problem(on_foreign_account, 422, "unknown-account")
    central_writing = await client.post(
        "/v1/offers",
        json={"account_id": str(mine), "valid_until": _valid_until(), "lines": [_line()]},
        headers=callers["central"].headers,
    )
    assert_problem(central_writing, 403)


async def test_the_schedule_expires_lapsed_offers(
    app: Any,
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    from tread_contracts.offers.service import expire_lapsed_offers

    account_id = await accounts.open()
    offer = await partnerships.offer(account_id, valid_until=_valid_until(3))
    runtime = app.state.runtime
    later = utcnow().date() + timedelta(days=4)
    assert await expire_lapsed_offers(runtime.db, runtime.outbox, later) == 1
    assert await expire_lapsed_offers(runtime.db, runtime.outbox, later) == 0
    read = await client.get(f"/v1/offers/{offer['id']}", headers=callers["am"].headers)
    assert read.json()["status"] == "expired"
    (event,) = await events.wait_for("tread.contracts.offer.expired.v1")
    assert event["data"]["expired_by"] == "schedule"
