from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller, assert_problem


async def test_investment_spent_against_planned_per_owner(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(owner_id="am-1")
    await producers.qualify(account_id, "develop", visits=12, hours=30, budget="6000.00")
    await producers.activity(account_id, minutes=90, cost="120.00")
    visit = await producers.activity(account_id, minutes=60, cost="80.00")
    await producers.activity(account_id, type="call", minutes=30, cost=None)
    # Corrected, then a removed visit: the latest version counts.
    await producers.activity(
        account_id, activity_id=visit.activity_id, version=2, minutes=120, cost="80.00"
    )
    await producers.activity(
        account_id, minutes=45, cost="50.00", version=1, started_at=utcnow() - timedelta(days=800)
    )
    removed = await producers.activity(account_id, minutes=30, cost="10.00")
    await producers.activity(
        account_id, activity_id=removed.activity_id, version=2, deleted=True, cost="10.00"
    )

    body = (await client.get("/v1/reports/portfolio", headers=callers["am"].headers)).json()

    [group] = body["groups"]
    assert group["key"] == "am-1"
    assert group["by_quadrant"] == {"develop": 1}
    investment = group["investment"]
    assert investment["planned"] == {
        "visits": 12,
        "hours": "30",
        "budget": [{"amount": "6000.00", "currency": "CNY"}],
    }
    assert investment["spent"]["visits"] == 2
    assert investment["spent"]["hours"] == "4.0"
    assert investment["spent"]["budget"] == [{"amount": "200.00", "currency": "CNY"}]
    # Spent so far against the share of the plan due by today, not against the whole year.
    today = utcnow().date()
    days = (date(today.year, 12, 31) - date(today.year, 1, 1)).days + 1
    share = Decimal((today - date(today.year, 1, 1)).days + 1) / days
    assert Decimal(investment["share_of_year"]) == share.quantize(Decimal("0.0001"))
    due = investment["planned_to_date"]
    assert due["visits"] == int((12 * Decimal(investment["share_of_year"])).to_integral_value())
    assert investment["visits_deviation"] == 2 - due["visits"]
    assert Decimal(investment["hours_deviation"]) == Decimal("4.0") - Decimal(due["hours"])
    (budget_due,) = due["budget"]
    (budget_deviation,) = investment["budget_deviation"]
    assert Decimal(budget_deviation["amount"]) == 200 - Decimal(budget_due["amount"])
    assert body["as_of"]["sequence"] > 0


async def test_a_past_year_compares_with_its_whole_plan_and_planned_visits_are_not_spent(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(owner_id="am-1")
    await producers.qualify(account_id, "develop", visits=12, hours=30, budget="6000.00")
    await producers.activity(account_id, minutes=60, cost="80.00")
    # Dated next week: a visit planned, not done.
    await producers.activity(
        account_id, minutes=60, cost="500.00", started_at=utcnow() + timedelta(days=7)
    )
    now = (await client.get("/v1/reports/portfolio", headers=callers["am"].headers)).json()
    investment = now["total"]["investment"]
    if utcnow().date() + timedelta(days=7) <= date(utcnow().year, 12, 31):
        assert investment["spent"]["visits"] == 1
        assert investment["spent"]["budget"] == [{"amount": "80.00", "currency": "CNY"}]

    last_year = utcnow().year - 1
    past = await client.get(
        "/v1/reports/portfolio", params={"year": last_year}, headers=callers["am"].headers
    )
    investment = past.json()["total"]["investment"]
    assert investment["share_of_year"] == "1"
    assert investment["planned_to_date"]["visits"] == 12
    assert investment["visits_deviation"] == -12
    assert investment["budget_deviation"] == [{"amount": "-6000.00", "currency": "CNY"}]


async def test_coverage_by_tier_and_accounts_by_status_per_territory(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    gold = await producers.account(territory="north", owner_id="am-1")
    await producers.active_contract(gold, tier="gold")
    silver = await producers.account(territory="north", owner_id="am-3")
    await producers.active_contract(silver, tier="silver")
    await producers.account(territory="north", owner_id="am-1", status="prospect")
    await producers.account(territory="north", owner_id="am-1", status="closed")
    ended = await producers.account(territory="south", owner_id="am-2")
    await producers.terminate(await producers.active_contract(ended))

    body = (
        await client.get(
            "/v1/reports/portfolio",
            params={"group_by": "territory"},
            headers=callers["central"].headers,
        )
    ).json()

    north, south = body["groups"]
    assert north["key"] == "north"
    assert north["by_status"] == {"active": 2, "closed": 1, "prospect": 1}
    assert north["coverage"] == {
        "customers": 3,
        "with_active_contract": 2,
        "share": "0.67",
        "by_tier": {"gold": 1, "silver": 1},
    }
    assert south["coverage"]["with_active_contract"] == 0
    assert body["total"]["accounts"] == 5
    assert body["total"]["coverage"]["by_tier"] == {"gold": 1, "silver": 1}

    dm = (await client.get("/v1/reports/portfolio", headers=callers["other_dm"].headers)).json()
    assert [g["key"] for g in dm["groups"]] == ["am-2"]


async def test_bad_portfolio_parameters_are_problems(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    headers = callers["central"].headers
    for params in ({"group_by": "planet"}, {"year": 1800}):
        assert_problem(
            await client.get("/v1/reports/portfolio", params=params, headers=headers), 422
        )
    assert_problem(
        await client.get("/v1/reports/portfolio", headers=callers["integration"].headers), 403
    )


async def test_planned_and_missed_activities_are_not_spent(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(owner_id="am-1")
    await producers.qualify(account_id, "develop", visits=12, hours=30, budget="6000.00")
    await producers.activity(account_id, minutes=60, cost="80.00")
    missed = await producers.activity(account_id, minutes=60, cost="300.00")
    await producers.activity(
        account_id, activity_id=missed.activity_id, version=2, cost="300.00", status="missed"
    )
    body = (await client.get("/v1/reports/portfolio", headers=callers["am"].headers)).json()
    spent = body["total"]["investment"]["spent"]
    assert (spent["visits"], spent["budget"]) == (1, [{"amount": "80.00", "currency": "CNY"}])
