"""Qualification on potential: the account's potential against its current result (recorded
sell-in, margin) by its segment's thresholds gives the quadrant, which recommends a service
level; the planned investment is compared with it; a district manager validates."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tread_accounts.integrations.signature import sign
from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

BILLING_SECRET = "billing-secret"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"billing_webhook_secret": BILLING_SECRET}


def _month(months_ago: int) -> str:
    """The month ``months_ago`` months before this one."""
    today: date = utcnow().date()
    index = today.year * 12 + today.month - 1 - months_ago
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


async def _sell_in(client: httpx.AsyncClient, by: Caller, erp: str, month: str, units: int) -> None:
    event = {
        "id": f"si-{erp}-{month}",
        "type": "sell_in.monthly",
        "occurred_at": (utcnow() - timedelta(days=1)).isoformat(),
        "data": {
            "erp_customer_id": erp,
            "month": month,
            "lines": [{"product_line": "truck-radial", "units": units}],
        },
    }
    body = json.dumps(event).encode()
    headers = by.with_(
        **{"Content-Type": "application/json", "Tread-Signature": sign(body, BILLING_SECRET)}
    )
    response = await client.post("/v1/integrations/billing/events", content=body, headers=headers)
    assert response.status_code == 200, response.text


def _proposal(
    purchases: int,
    share: str,
    margin: str,
    visits: int = 30,
    hours: int = 40,
    budget: str = "20000",
) -> dict[str, Any]:
    return {
        "estimated_annual_purchases_units": purchases,
        "target_share_pct": share,
        "current_margin": {"amount": margin, "currency": "CNY"},
        "planned_investment": {
            "visits_per_year": visits,
            "hours_per_year": hours,
            "budget": {"amount": budget, "currency": "CNY"},
        },
    }


async def test_potential_against_current_result_recommends_a_service_level_a_dm_validates(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    dm: Caller,
    caller: Any,
    events: EventStream,
) -> None:
    integration = caller("integration", sub="billing-system")
    account = await portfolio.account(
        by=am, erp_customer_id="C-2001", segment="truck_dealer", owner_id="am-1"
    )
    # Twelve months back counts; thirteen does not; the current month is not over.
    await _sell_in(client, integration, "C-2001", _month(1), 300)
    await _sell_in(client, integration, "C-2001", _month(12), 420)
    await _sell_in(client, integration, "C-2001", _month(13), 900)
    await _sell_in(client, integration, "C-2001", _month(0), 800)
    path = f"/v1/accounts/{account['id']}/qualifications"

    # 6000 tyres a year, half of them winnable: 3000 ≥ 2000, high potential. 720 sold and
    # 100,000 CNY of margin are below 1000 and 300,000: low current result. Develop.
    response = await client.post(path, json=_proposal(6000, "50", "100000"), headers=am.headers)
    assert response.status_code == 201, response.text
    proposed = response.json()
    assert proposed["segment"] == "*"
    assert (proposed["potential"]["units"], proposed["potential"]["high"]) == (3000, True)
    current = proposed["current_result"]
    assert (current["sell_in_units"], current["share_pct"], current["high"]) == (720, "12.0", False)
    assert (current["sell_in_from"], current["sell_in_to"]) == (_month(12), _month(1))
    assert (proposed["quadrant"], proposed["status"]) == ("develop", "proposed")
    assert proposed["recommended"] == {
        "visits_per_year": 24,
        "hours_per_year": 60,
        "budget": {"amount": "50000.00", "currency": "CNY"},
    }
    # Planned against recommended: the deviation the district manager sees.
    assert proposed["deviation"] == {
        "visits_per_year": 6,
        "hours_per_year": -20,
        "budget": {"amount": "-30000.00", "currency": "CNY"},
    }
    # Proposed, not yet the account's.
    unchanged = await client.get(f"/v1/accounts/{account['id']}", headers=am.headers)
    assert unchanged.json()["quadrant"] is None

    decision = f"{path}/{proposed['id']}/decision"
    assert_problem(
        await client.post(decision, json={"decision": "validated"}, headers=am.headers), 403
    )
    validated = await client.post(
        decision, json={"decision": "validated", "note": "Agreed"}, headers=dm.headers
    )
    assert validated.status_code == 200, validated.text
    assert (validated.json()["status"], validated.json()["decided_by"]) == ("validated", "dm-north")
    account_now = await client.get(f"/v1/accounts/{account['id']}", headers=am.headers)
    assert account_now.json()["quadrant"] == "develop"
    # It is now the account's current qualification: what investment control plans with and the
    # portfolio analysis counts.
    current_one = (
        await client.get(f"/v1/accounts/{account['id']}/qualification", headers=am.headers)
    ).json()
    assert (current_one["quadrant"], current_one["planned_investment"]["visits_per_year"]) == (
        "develop",
        30,
    )
    analysis = (await client.get("/v1/portfolio/analysis", headers=dm.headers)).json()
    develop = next(q for q in analysis["quadrants"] if q["quadrant"] == "develop")
    assert [a["id"] for a in develop["accounts"]] == [account["id"]]
    assert develop["planned_investment"]["visits_per_year"] == 30
    (qualified,) = await events.wait_for(
        "tread.accounts.account.qualified", where=lambda e: e["subject"] == account["id"]
    )
    assert qualified["data"]["qualification"]["quadrant"] == "develop"
    assert_problem(
        await client.post(decision, json={"decision": "rejected"}, headers=dm.headers),
        409,
        "qualification-decided",
    )

    # A later proposal, rejected: the history keeps both, latest first.
    later = await client.post(path, json=_proposal(6000, "10", "100000"), headers=am.headers)
    assert later.json()["quadrant"] == "reduce"
    await client.post(
        f"{path}/{later.json()['id']}/decision",
        json={"decision": "rejected", "note": "Share too pessimistic"},
        headers=dm.headers,
    )
    history = (await client.get(path, headers=dm.headers)).json()["items"]
    assert [(q["quadrant"], q["status"]) for q in history] == [
        ("reduce", "rejected"),
        ("develop", "validated"),
    ]
    assert (await client.get(f"/v1/accounts/{account['id']}", headers=am.headers)).json()[
        "quadrant"
    ] == "develop"


async def test_thresholds_are_per_segment(
    client: httpx.AsyncClient, portfolio: Any, am: Caller
) -> None:
    # 150,000 CNY of margin is a high result for a long-haul fleet (from 120,000), not for a
    # dealer (from 300,000).
    fleet = await portfolio.account(by=am, kind="end_user", segment="long_haul_fleet")
    dealer = await portfolio.account(by=am, segment="truck_dealer")
    answers = {}
    for account in (fleet, dealer):
        response = await client.post(
            f"/v1/accounts/{account['id']}/qualifications",
            json=_proposal(1500, "40", "150000", visits=6, hours=12, budget="5000"),
            headers=am.headers,
        )
        assert response.status_code == 201, response.text
        answers[account["id"]] = response.json()
    assert (answers[fleet["id"]]["segment"], answers[fleet["id"]]["quadrant"]) == (
        "long_haul_fleet",
        "optimise",
    )
    assert answers[fleet["id"]]["deviation"]["visits_per_year"] == 0
    assert (answers[dealer["id"]]["segment"], answers[dealer["id"]]["quadrant"]) == ("*", "reduce")


async def test_bad_qualifications_are_refused(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, other_am: Caller, central: Caller
) -> None:
    account = await portfolio.account(by=am)
    path = f"/v1/accounts/{account['id']}/qualifications"
    usd = _proposal(1000, "50", "1000")
    usd["current_margin"]["currency"] = "USD"
    for body, slug in (
        (usd, "no-threshold-for-currency"),
        (_proposal(1000, "0", "1000"), "validation-error"),
        (_proposal(-1, "50", "1000"), "validation-error"),
    ):
        assert_problem(await client.post(path, json=body, headers=am.headers), 422, slug)
    assert_problem(
        await client.post(path, json=_proposal(1000, "50", "1"), headers=other_am.headers), 404
    )
    assert_problem(
        await client.post(path, json=_proposal(1000, "50", "1"), headers=central.headers), 403
    )
    assert (await client.get(path, headers=central.headers)).json()["items"] == []
