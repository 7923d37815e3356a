from __future__ import annotations

from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def _cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


async def _guideline(client: httpx.AsyncClient, kam: Caller, **fields: Any) -> dict[str, Any]:
    body = {
        "type": "marketing_fund",
        "eligible_tiers": ["gold"],
        "cap_per_account_per_year": _cny("5000.00"),
        "approval_threshold": _cny("2000.00"),
        **fields,
    }
    response = await client.post("/v1/facilitation-guidelines", json=body, headers=kam.headers)
    assert response.status_code == 201, response.text
    guideline: dict[str, Any] = response.json()
    return guideline


def _request(account_id: Any, guideline: dict[str, Any], amount: str) -> dict[str, Any]:
    return {
        "account_id": str(account_id),
        "guideline_id": guideline["id"],
        "amount": _cny(amount),
        "justification": "Spring campaign",
    }


async def test_requests_under_the_threshold_are_granted_at_once(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    contract = await partnerships.active_contract(account_id, await partnerships.program())
    guideline = await _guideline(client, callers["kam"])
    granted = await partnerships.post(
        "/v1/facilitations", _request(account_id, guideline, "1500.00"), callers["am"]
    )
    assert granted["status"] == "granted"
    assert granted["requires_approval"] is False
    assert granted["contract_id"] == contract["id"] and granted["tier"] == "gold"
    assert granted["year"] == utcnow().year
    (requested,) = await events.wait_for("tread.contracts.facilitation.requested.v1")
    (event,) = await events.wait_for("tread.contracts.facilitation.granted.v1")
    assert event["data"]["automatic"] is True
    assert event["data"]["balance"]["granted"] == _cny("1500.00")
    assert event["data"]["balance"]["remaining"] == _cny("3500.00")
    assert requested["data"]["guideline_type"] == "marketing_fund"


async def test_above_the_threshold_a_key_account_manager_decides(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open(key_account_manager_id="kam-1")
    await partnerships.active_contract(account_id, await partnerships.program())
    guideline = await _guideline(client, callers["kam"])
    am = callers["am"]
    waiting = await partnerships.post(
        "/v1/facilitations", _request(account_id, guideline, "2500.00"), am
    )
    assert waiting["status"] == "pending_approval"
    url = f"/v1/facilitations/{waiting['id']}"
    assert_problem(await client.post(f"{url}/approve", headers=am.headers), 403)
    assert_problem(await client.post(f"{url}/approve", headers=callers["dm"].headers), 403)
    assert_problem(await client.post(f"{url}/approve", headers=callers["other_kam"].headers), 404)
    cannot_spend_yet = await client.post(
        f"{url}/spendings", json={"amount": _cny("1"), "description": "x"}, headers=am.headers
    )
    assert_problem(cannot_spend_yet, 409, "illegal-transition")

    approved = await partnerships.post(f"{url}/approve", None, callers["kam"], 200)
    assert approved["status"] == "granted" and approved["decided_by"] == "kam-1"
    assert_problem(await client.post(f"{url}/approve", headers=callers["kam"].headers), 409)
    (event,) = await events.wait_for("tread.contracts.facilitation.granted.v1")
    assert event["data"]["automatic"] is False and event["data"]["granted_by"] == "kam-1"

    rejected = await partnerships.post(
        "/v1/facilitations", _request(account_id, guideline, "2100.00"), am
    )
    refused = await partnerships.post(
        f"/v1/facilitations/{rejected['id']}/reject",
        {"reason": "Budget frozen"},
        callers["kam"],
        200,
    )
    assert refused["status"] == "rejected"
    (event,) = await events.wait_for("tread.contracts.facilitation.rejected.v1")
    assert event["data"]["balance"]["requested"] == _cny("0.00")


async def test_over_the_cap_is_refused_naming_what_remains(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
) -> None:
    account_id = await accounts.open()
    await partnerships.active_contract(account_id, await partnerships.program())
    guideline = await _guideline(client, callers["kam"])
    am = callers["am"]
    await partnerships.post("/v1/facilitations", _request(account_id, guideline, "1800.00"), am)
    # Awaiting approval counts against the cap too.
    await partnerships.post("/v1/facilitations", _request(account_id, guideline, "2700.00"), am)
    over = await client.post(
        "/v1/facilitations", json=_request(account_id, guideline, "600.00"), headers=am.headers
    )
    problem = assert_problem(over, 422, "facilitation-cap-exceeded")
    assert problem["remaining"] == _cny("500.00")
    assert "500.00 CNY" in problem["detail"]
    fits = await partnerships.post(
        "/v1/facilitations", _request(account_id, guideline, "500.00"), am
    )
    assert fits["status"] == "granted"

    balances = await client.get(
        "/v1/facilitations/balances", params={"account_id": str(account_id)}, headers=am.headers
    )
    (balance,) = balances.json()
    assert balance["cap"] == _cny("5000.00")
    assert balance["granted"] == _cny("2300.00")
    assert balance["requested"] == _cny("2700.00")
    assert balance["remaining"] == _cny("0.00")


async def test_spending_is_tracked_and_never_exceeds_the_grant(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    await partnerships.active_contract(account_id, await partnerships.program())
    guideline = await _guideline(client, callers["kam"])
    am = callers["am"]
    granted = await partnerships.post(
        "/v1/facilitations", _request(account_id, guideline, "1000.00"), am
    )
    url = f"/v1/facilitations/{granted['id']}/spendings"
    spent = await partnerships.post(url, {"amount": _cny("400"), "description": "Banners"}, am, 200)
    assert spent["spent"] == _cny("400.00")
    too_much = await client.post(
        url, json={"amount": _cny("600.01"), "description": "Radio"}, headers=am.headers
    )
    assert assert_problem(too_much, 422, "facilitation-overspent")["remaining"] == _cny("600.00")
    (event,) = await events.wait_for("tread.contracts.facilitation.spent.v1")
    assert event["data"]["spent_total"] == _cny("400.00")
    assert event["data"]["balance"]["spent"] == _cny("400.00")
    balances = await client.get(
        "/v1/facilitations/balances",
        params={"account_id": str(account_id), "year": utcnow().year},
        headers=am.headers,
    )
    assert balances.json()[0]["spent"] == _cny("400.00")


async def test_eligibility_by_tier_and_segment(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    program = await partnerships.program()
    silver_account = await accounts.open(segment="farm")
    await partnerships.active_contract(silver_account, program, tier="silver")
    no_contract = await accounts.open(segment="farm")
    gold_only = await _guideline(client, callers["kam"])
    for account_id in (silver_account, no_contract):
        refused = await client.post(
            "/v1/facilitations",
            json=_request(account_id, gold_only, "100"),
            headers=callers["am"].headers,
        )
        assert_problem(refused, 422, "not-eligible")
    fleets_only = await _guideline(
        client, callers["kam"], type="training", eligible_tiers=[], eligible_segments=["fleet"]
    )
    refused = await client.post(
        "/v1/facilitations",
        json=_request(silver_account, fleets_only, "100"),
        headers=callers["am"].headers,
    )
    assert "farm" in assert_problem(refused, 422, "not-eligible")["detail"]
    farms = await _guideline(
        client, callers["kam"], type="demo_products", eligible_tiers=[], eligible_segments=["farm"]
    )
    accepted = await partnerships.post(
        "/v1/facilitations", _request(no_contract, farms, "100"), callers["am"]
    )
    assert accepted["contract_id"] is None


async def test_guidelines_are_written_by_key_account_managers(
    client: httpx.AsyncClient, callers: dict[str, Caller], events: EventStream
) -> None:
    body = {
        "type": "event_support",
        "cap_per_account_per_year": _cny("800"),
        "approval_threshold": _cny("300"),
    }
    for role in ("am", "dm", "central", "integration"):
        response = await client.post(
            "/v1/facilitation-guidelines", json=body, headers=callers[role].headers
        )
        assert_problem(response, 403)
    bad = [
        {**body, "type": "free_holidays"},
        {**body, "approval_threshold": {"amount": "300", "currency": "EUR"}},
        {**body, "cap_per_account_per_year": _cny("-1")},
        {**body, "active": 0},  # true or false only
    ]
    for body_ in bad:
        response = await client.post(
            "/v1/facilitation-guidelines", json=body_, headers=callers["kam"].headers
        )
        assert_problem(response, 422)
    guideline = await _guideline(client, callers["kam"], **body)
    assert guideline["name"] == "event support"
    for role in ("am", "dm", "central"):
        read = await client.get(
            f"/v1/facilitation-guidelines/{guideline['id']}", headers=callers[role].headers
        )
        assert read.status_code == 200
    url = f"/v1/facilitation-guidelines/{guideline['id']}"
    etag = (await client.get(url, headers=callers["kam"].headers)).headers["etag"]
    retired = await client.patch(
        url, json={"active": False}, headers=callers["kam"].with_(**{"If-Match": etag})
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["active"] is False
    published = await events.wait_for("tread.contracts.facilitation_guideline.published.v1", 2)
    assert [e["data"]["active"] for e in published] == [True, False]
    active = await client.get(
        "/v1/facilitation-guidelines", params={"active": True}, headers=callers["am"].headers
    )
    assert active.json()["items"] == []


async def test_bad_requests_are_refused_and_nothing_changes(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    await partnerships.active_contract(account_id, await partnerships.program())
    guideline = await _guideline(client, callers["kam"])
    am = callers["am"].headers
    unknown = "0193e0a0-0000-7000-8000-000000000000"
    cases = [
        ({"amount": _cny("0")}, "validation-error"),
        ({"amount": _cny("-5")}, "validation-error"),
        ({"amount": {"amount": "5", "currency": "EUR"}}, "currency-mismatch"),
        ({"guideline_id": unknown}, "unknown-guideline"),
        ({"account_id": unknown}, "unknown-account"),
        ({"justification": ""}, "validation-error"),
    ]
    for change, slug in cases:
        body = {**_request(account_id, guideline, "100"), **change}
        assert_problem(await client.post("/v1/facilitations", json=body, headers=am), 422, slug)
    assert (await client.get("/v1/facilitations", headers=am)).json()["items"] == []
    # The one good request after them is the only one the stream hears of.
    await partnerships.post(
        "/v1/facilitations", _request(account_id, guideline, "100"), callers["am"]
    )
    await events.wait_for("tread.contracts.facilitation.granted.v1")
    assert len(await events.of_type("tread.contracts.facilitation.requested.v1")) == 1


async def test_the_tiers_facilitation_budget_holds_across_guidelines(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    # Silver's facilitation budget is 3,000 CNY a year; each guideline alone allows 5,000.
    await partnerships.active_contract(account_id, await partnerships.program(), tier="silver")
    marketing = await _guideline(client, callers["kam"], eligible_tiers=["silver"])
    training = await _guideline(client, callers["kam"], type="training", eligible_tiers=["silver"])
    am = callers["am"]
    await partnerships.post("/v1/facilitations", _request(account_id, marketing, "1500.00"), am)
    await partnerships.post("/v1/facilitations", _request(account_id, training, "1000.00"), am)
    over = await client.post(
        "/v1/facilitations", json=_request(account_id, training, "800.00"), headers=am.headers
    )
    problem = assert_problem(over, 422, "tier-budget-exceeded")
    assert problem["remaining"] == _cny("500.00")
    fits = await partnerships.post(
        "/v1/facilitations", _request(account_id, marketing, "500.00"), am
    )
    assert fits["status"] == "granted"
