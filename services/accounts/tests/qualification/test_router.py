"""Qualification: the quadrant rule with its configurable thresholds, and the portfolio
analysis in the caller's scope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def qualification(
    volume: int = 500,
    margin: str = "50000",
    visits: int = 6,
    hours: int = 10,
    budget: str = "5000",
    currency: str = "CNY",
) -> dict[str, Any]:
    return {
        "expected": {
            "annual_volume_units": volume,
            "margin_potential": {"amount": margin, "currency": currency},
        },
        "planned_investment": {
            "visits_per_year": visits,
            "hours_per_year": hours,
            "budget": {"amount": budget, "currency": currency},
        },
    }


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "quadrant_thresholds": {
            "annual_volume_units": 1000,
            "margin_potential": {"CNY": "100000"},
            "visits_per_year": 12,
            "hours_per_year": 40,
            "budget": {"CNY": "20000"},
        }
    }


@pytest.mark.parametrize(
    ("answers", "quadrant"),
    [
        ({"volume": 1000}, "maintain"),
        ({"margin": "100000.00"}, "maintain"),
        ({"volume": 2000, "visits": 12}, "develop"),
        ({"margin": "250000", "budget": "20000"}, "develop"),
        ({}, "optimise"),
        ({"hours": 40}, "reduce"),
        ({"budget": "25000.50"}, "reduce"),
    ],
)
async def test_the_quadrant_follows_the_configured_thresholds(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, answers: dict[str, Any], quadrant: str
) -> None:
    account = await portfolio.account(by=am)
    response = await client.put(
        f"/v1/accounts/{account['id']}/qualification",
        json=qualification(**answers),
        headers=am.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["quadrant"] == quadrant
    refreshed = await client.get(f"/v1/accounts/{account['id']}", headers=am.headers)
    assert refreshed.json()["quadrant"] == quadrant
    filtered = await client.get("/v1/accounts", params={"quadrant": quadrant}, headers=am.headers)
    assert [a["id"] for a in filtered.json()["items"]] == [account["id"]]


async def test_requalifying_needs_if_match_and_emits_account_qualified(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/qualification"
    assert_problem(await client.get(url, headers=am.headers), 404)
    first = await client.put(url, json=qualification(), headers=am.headers)
    assert first.status_code == 201
    assert_problem(await client.put(url, json=qualification(volume=5000), headers=am.headers), 428)
    second = await client.put(
        url,
        json=qualification(volume=5000),
        headers=am.with_(**{"If-Match": first.headers["etag"]}),
    )
    assert second.status_code == 200, second.text
    assert second.json()["quadrant"] == "maintain"
    assert second.json()["version"] == 2
    read = await client.get(url, headers=am.headers)
    assert read.json()["expected"]["margin_potential"] == {"amount": "50000.00", "currency": "CNY"}

    qualified = await events.wait_for("tread.accounts.account.qualified", 2)
    assert [e["data"]["qualification"]["quadrant"] for e in qualified] == ["optimise", "maintain"]
    assert qualified[1]["data"]["previous_quadrant"] == "optimise"
    assert qualified[1]["data"]["account"]["quadrant"] == "maintain"
    account_now = await client.get(f"/v1/accounts/{account['id']}", headers=am.headers)
    assert qualified[1]["data"]["account"]["version"] == account_now.json()["version"]


async def test_bad_qualifications_are_refused(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, central: Caller, other_am: Caller
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/qualification"
    assert_problem(await client.put(url, json=qualification(visits=-1), headers=am.headers), 422)
    assert_problem(await client.put(url, json=qualification(budget="-5"), headers=am.headers), 422)
    assert_problem(
        await client.put(url, json=qualification(budget="1.23456"), headers=am.headers), 422
    )
    assert_problem(
        await client.put(url, json=qualification(currency="USD"), headers=am.headers),
        422,
        "no-threshold-for-currency",
    )
    assert_problem(await client.put(url, json=qualification(), headers=central.headers), 403)
    assert_problem(await client.put(url, json=qualification(), headers=other_am.headers), 404)
    assert_problem(await client.get(url, headers=am.headers), 404)


async def test_the_portfolio_analysis_counts_and_lists_by_quadrant_in_scope(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, other_am: Caller, admin: Caller
) -> None:
    mine = [await portfolio.account(by=am, name=f"Mine {i}") for i in range(3)]
    theirs = await portfolio.account(by=other_am, name="Theirs")
    await portfolio.account(by=am, name="Unqualified")
    for account, answers in zip(
        [*mine, theirs],
        [{"volume": 2000, "visits": 20}, {"volume": 3000, "visits": 30}, {}, {"hours": 99}],
        strict=True,
    ):
        response = await client.put(
            f"/v1/accounts/{account['id']}/qualification",
            json=qualification(**answers),
            headers=admin.headers,
        )
        assert response.status_code == 201

    analysis = await client.get(
        "/v1/portfolio/analysis", params={"limit_per_quadrant": 1}, headers=am.headers
    )
    assert analysis.status_code == 200, analysis.text
    body = analysis.json()
    by_quadrant = {q["quadrant"]: q for q in body["quadrants"]}
    assert body["total_accounts"] == 4
    assert by_quadrant["develop"]["count"] == 2
    assert by_quadrant["develop"]["annual_volume_units"] == 5000
    assert by_quadrant["develop"]["planned_investment"] == {
        "visits_per_year": 50,
        "hours_per_year": 20,
        "budget": [{"amount": "10000.00", "currency": "CNY"}],
    }
    assert [a["name"] for a in by_quadrant["develop"]["accounts"]] == ["Mine 0"]
    assert by_quadrant["develop"]["more_accounts"] is True
    assert by_quadrant["optimise"]["count"] == 1
    assert by_quadrant["reduce"]["count"] == 0
    assert by_quadrant["maintain"]["accounts"] == []
    assert body["unqualified"]["count"] == 1
    assert body["unqualified"]["accounts"][0]["name"] == "Unqualified"
    assert body["thresholds"]["annual_volume_units"] == 1000

    everyone = (await client.get("/v1/portfolio/analysis", headers=admin.headers)).json()
    assert {q["quadrant"]: q["count"] for q in everyone["quadrants"]}["reduce"] == 1
    by_owner = await client.get(
        "/v1/portfolio/analysis", params={"owner_id": "am-2"}, headers=admin.headers
    )
    assert by_owner.json()["total_accounts"] == 1


async def test_the_analysis_is_closed_to_the_integration_role(
    client: httpx.AsyncClient, integration: Caller
) -> None:
    assert_problem(await client.get("/v1/portfolio/analysis", headers=integration.headers), 403)
