"""The rebate earned: settled by the daily job once a contract's period is over and judged, at
the rebate % of the tier reached, on the period's sell-in value; announced by
``rebate.earned`` and shown on the contract's compliance."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller

YEAR_2025 = {
    "start_date": "2025-01-01",
    "end_date": "2025-12-31",
    "commitments": [{"kind": "volume", "period": "2025", "quantity": 6000}],
}
MONTHS = [f"2025-{month:02d}" for month in range(1, 13)]


async def _rebate(client: httpx.AsyncClient, contract_id: str, by: Caller) -> Any:
    response = await client.get(f"/v1/contracts/{contract_id}/compliance", headers=by.headers)
    assert response.status_code == 200, response.text
    return response.json()["rebate"]


async def _audit(
    partnerships: Any,
    account_id: uuid.UUID,
    contract: dict[str, Any],
    when: str,
    lp1: int,
    lp2: int,
) -> None:
    await partnerships.post(
        "/v1/audits",
        {
            "account_id": str(account_id),
            "contract_id": contract["id"],
            "performed_at": when,
            "auditor": "Wang Fang",
            "scores": [{"criterion": "LP1", "score": lp1}, {"criterion": "LP2", "score": lp2}],
        },
        partnerships.callers["am"],
    )


async def test_the_rebate_of_the_tier_reached_is_settled_once_the_period_is_judged(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    # Gold: 2.5 % for 5000 tyres a year, LP1 ≥ 70 and LP2 ≥ 60; silver: 1 % for 2000, LP1 ≥ 50.
    program = await partnerships.program()
    account_id = await accounts.open()
    contract = await partnerships.active_contract(account_id, program, **YEAR_2025)
    await _audit(partnerships, account_id, contract, "2025-06-10T09:00:00Z", 80, 70)
    for month in MONTHS[:11]:
        await accounts.sell_in(account_id, month, 500, amount="50000.00")

    # The period is over but December's sell-in has not arrived: nothing is settled yet.
    assert (await partnerships.run_daily_work(date(2026, 1, 5)))["rebates_earned"] == 0
    assert await _rebate(client, contract["id"], callers["am"]) is None

    await accounts.sell_in(account_id, "2025-12", 500, amount="50000.00")
    assert (await partnerships.run_daily_work(date(2026, 1, 6)))["rebates_earned"] == 1
    rebate = await _rebate(client, contract["id"], callers["am"])
    assert rebate["tier_reached"] == "gold"
    assert rebate["rebate_pct"] == "2.5"
    assert rebate["compliance"] == "met"
    assert rebate["sell_in_units"] == 6000
    assert rebate["amounts"] == [
        {
            "sell_in_value": {"amount": "600000.00", "currency": "CNY"},
            "rebate": {"amount": "15000.00", "currency": "CNY"},
        }
    ]
    assert rebate["judged_on"] == "2026-01-06"

    (earned,) = await events.wait_for(
        "tread.contracts.rebate.earned.v1", where=lambda e: e["subject"] == contract["id"]
    )
    assert earned["data"]["tier_reached"] == "gold"
    assert earned["data"]["amounts"][0]["rebate"] == {"amount": "15000.00", "currency": "CNY"}
    assert earned["data"]["period_end"] == "2025-12-31"

    # Settled once: a later run, or a late correction of the sell-in, changes nothing.
    await accounts.sell_in(account_id, "2025-12", 900, amount="90000.00")
    assert (await partnerships.run_daily_work(date(2026, 1, 7)))["rebates_earned"] == 0
    assert (await _rebate(client, contract["id"], callers["am"]))["amounts"] == rebate["amounts"]


async def test_short_of_the_contracted_tier_the_best_tier_below_that_was_met_pays(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    program = await partnerships.program()
    # 3000 tyres and LP1 60: short of gold (5000, LP1 70) and of the 6000 committed, but silver
    # (2000, LP1 50) was met. An audit after the period's end does not count for it.
    silver_level = await accounts.open()
    short = await partnerships.active_contract(silver_level, program, **YEAR_2025)
    await _audit(partnerships, silver_level, short, "2025-05-10T09:00:00Z", 60, 40)
    await _audit(partnerships, silver_level, short, "2026-01-03T09:00:00Z", 95, 95)
    # 1200 tyres: no tier's volume was met.
    below_all = await accounts.open()
    nothing = await partnerships.active_contract(below_all, program, **YEAR_2025)
    await _audit(partnerships, below_all, nothing, "2025-05-10T09:00:00Z", 90, 90)
    for month in MONTHS:
        await accounts.sell_in(silver_level, month, 250, amount="25000.00")
        await accounts.sell_in(below_all, month, 100, amount="10000.00")

    # December's grace (10 days) passed on January 11th: the periods are judged.
    assert (await partnerships.run_daily_work(date(2026, 1, 11)))["rebates_earned"] == 2

    silver = await _rebate(client, short["id"], callers["dm"])
    assert (silver["tier_reached"], silver["rebate_pct"], silver["compliance"]) == (
        "silver",
        "1",
        "missed",
    )
    assert silver["amounts"][0]["rebate"] == {"amount": "3000.00", "currency": "CNY"}

    none = await _rebate(client, nothing["id"], callers["central"])
    assert (none["tier_reached"], none["rebate_pct"]) == (None, "0")
    assert none["amounts"] == [
        {
            "sell_in_value": {"amount": "120000.00", "currency": "CNY"},
            "rebate": {"amount": "0.00", "currency": "CNY"},
        }
    ]
    (announced,) = await events.wait_for(
        "tread.contracts.rebate.earned.v1", where=lambda e: e["subject"] == nothing["id"]
    )
    assert announced["data"]["tier_reached"] is None


async def test_a_terminated_contract_earns_no_rebate(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    contract = await partnerships.active_contract(
        account_id, await partnerships.program(), **YEAR_2025
    )
    await partnerships.post(
        f"/v1/contracts/{contract['id']}/terminate",
        {"reason": "Dealer closed the workshop"},
        callers["dm"],
        200,
    )
    for month in MONTHS:
        await accounts.sell_in(account_id, month, 600, amount="60000.00")
    assert (await partnerships.run_daily_work(date(2026, 1, 20)))["rebates_earned"] == 0
    assert await _rebate(client, contract["id"], callers["am"]) is None


async def test_a_lower_tier_needs_its_other_requirements_attested(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    def tier(code: str, pct: str, volume: int, staff: str) -> dict[str, Any]:
        return {
            "code": code,
            "rebate_pct": pct,
            "min_annual_volume": volume,
            "other_requirements": [{"name": "Trained staff", "minimum": staff}],
            "facilitation_budget": {"amount": "0", "currency": "CNY"},
        }

    program = await partnerships.program(
        tiers=[tier("gold", "2.5", 1000, "4"), tier("silver", "1", 500, "2")]
    )
    attested, unattested = await accounts.open(), await accounts.open()
    contracts = {}
    for account_id in (attested, unattested):
        contracts[account_id] = await partnerships.active_contract(
            account_id, program, **{**YEAR_2025, "commitments": []}
        )
        for month in MONTHS:
            await accounts.sell_in(account_id, month, 100, amount="10000.00")
    # Three trained fitters: short of gold's four, enough for silver's two.
    await partnerships.post(
        f"/v1/contracts/{contracts[attested]['id']}/attestations",
        {
            "requirement": "Trained staff",
            "value": "3",
            "evidence": "Three certificates",
            "attested_at": "2025-06-01T09:00:00Z",
        },
        callers["am"],
    )

    assert (await partnerships.run_daily_work(date(2026, 1, 11)))["rebates_earned"] == 2
    silver = await _rebate(client, contracts[attested]["id"], callers["am"])
    assert (silver["tier_reached"], silver["compliance"]) == ("silver", "at_risk")
    assert silver["amounts"][0]["rebate"] == {"amount": "1200.00", "currency": "CNY"}
    # Never attested, the requirement was not met for any tier.
    none = await _rebate(client, contracts[unattested]["id"], callers["am"])
    assert (none["tier_reached"], none["amounts"][0]["rebate"]["amount"]) == (None, "0.00")
