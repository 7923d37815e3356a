"""A contract is in force only inside its period: countersigned ahead of its start date it waits
(``scheduled``) and the daily job brings it into force on that date; "in force on a date" is one
rule (signed by both, start <= date <= end, not terminated before the date)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def _year(year: int, **fields: Any) -> dict[str, Any]:
    return {
        "start_date": f"{year}-01-01",
        "end_date": f"{year}-12-31",
        "commitments": [{"kind": "volume", "period": str(year), "quantity": 6000}],
        **fields,
    }


async def _status(client: httpx.AsyncClient, contract_id: str, by: Caller) -> str:
    response = await client.get(f"/v1/contracts/{contract_id}", headers=by.headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def _in_force_on(
    client: httpx.AsyncClient, day: date, by: Caller, **params: str
) -> list[str]:
    response = await client.get(
        "/v1/contracts", params={"in_force_on": day.isoformat(), **params}, headers=by.headers
    )
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


async def test_a_contract_signed_before_its_start_waits_and_comes_into_force_on_that_date(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    next_year = utcnow().year + 1
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program, **_year(next_year))
    am = callers["am"]

    signed = await partnerships.activate(draft)
    assert signed["status"] == "scheduled"
    assert signed["activated_at"] is None
    assert signed["awaiting_signature_of"] is None
    assert await _in_force_on(client, utcnow().date(), am) == []
    assert await _in_force_on(client, date(next_year, 1, 1), am) == [draft["id"]]
    await events.wait_for(
        "tread.contracts.contract.signed.v1", 2, where=lambda e: e["subject"] == draft["id"]
    )
    assert await events.of_type("tread.contracts.contract.activated") == []
    # No compliance for a contract not in force: nothing can be at risk yet.
    assert await events.of_type("tread.contracts.compliance.changed") == []

    the_day_before = await partnerships.run_daily_work(date(next_year - 1, 12, 31))
    assert the_day_before["contracts_activated"] == 0
    assert await _status(client, draft["id"], am) == "scheduled"

    on_start = await partnerships.run_daily_work(date(next_year, 1, 1))
    assert on_start["contracts_activated"] == 1
    assert await _status(client, draft["id"], am) == "active"
    (activated,) = await events.wait_for("tread.contracts.contract.activated.v1")
    assert activated["subject"] == draft["id"]
    assert activated["data"]["contract"]["status"] == "active"
    # The job runs every hour in every replica: the contract comes into force once.
    again = await partnerships.run_daily_work(date(next_year, 1, 1))
    assert again["contracts_activated"] == 0
    await asyncio.sleep(0.2)
    assert len(await events.of_type("tread.contracts.contract.activated")) == 1


async def test_a_new_contract_for_next_year_takes_over_when_the_current_one_ends(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    this_year = utcnow().year
    account_id = await accounts.open()
    program = await partnerships.program()
    am = callers["am"]
    current = await partnerships.active_contract(account_id, program)
    # A second contract over part of the same period is refused at the countersignature.
    overlapping = await partnerships.draft(
        account_id, program, **_year(this_year + 1, start_date=f"{this_year}-12-31")
    )
    await partnerships.post(f"/v1/contracts/{overlapping['id']}/submit", None, am, 200)
    await partnerships.sign(overlapping["id"], "customer", am)
    refused = await partnerships.sign(overlapping["id"], "manufacturer", callers["dm"], 409)
    assert refused["type"] == "urn:tread:problem:active-contract-exists"
    assert current["id"] in refused["detail"]
    assert await _status(client, overlapping["id"], am) == "signed"

    following = await partnerships.active_contract(
        account_id, program, **_year(this_year + 1, tier="silver")
    )
    assert following["status"] == "scheduled"
    # A third for the same next year overlaps the scheduled one.
    third = await partnerships.draft(account_id, program, **_year(this_year + 1))
    await partnerships.post(f"/v1/contracts/{third['id']}/submit", None, am, 200)
    await partnerships.sign(third["id"], "customer", am)
    refused = await partnerships.sign(third["id"], "manufacturer", callers["dm"], 409)
    assert following["id"] in refused["detail"]

    work = await partnerships.run_daily_work(date(this_year + 1, 1, 1))
    assert (work["contracts_activated"], work["contracts_expired"]) == (1, 0)
    assert await _status(client, current["id"], am) == "expired"
    assert await _status(client, following["id"], am) == "active"


async def test_a_scheduled_contract_is_withdrawn_by_a_manager_and_never_in_force(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    next_year = utcnow().year + 1
    account_id = await accounts.open()
    program = await partnerships.program()
    scheduled = await partnerships.active_contract(account_id, program, **_year(next_year))
    am, dm = callers["am"], callers["dm"]
    by_am = await client.post(
        f"/v1/contracts/{scheduled['id']}/terminate",
        json={"reason": "Dealer sold"},
        headers=am.headers,
    )
    assert_problem(by_am, 403)
    ended = await partnerships.post(
        f"/v1/contracts/{scheduled['id']}/terminate", {"reason": "Dealer sold"}, dm, 200
    )
    assert ended["status"] == "terminated"
    (event,) = await events.wait_for("tread.contracts.contract.terminated.v1")
    assert event["data"]["previous_status"] == "scheduled"
    assert (await partnerships.run_daily_work(date(next_year, 1, 1)))["contracts_activated"] == 0
    assert await _in_force_on(client, date(next_year, 1, 1), am) == []


async def test_in_force_on_a_date_is_signed_by_both_inside_the_period_not_terminated_before(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    today = utcnow().date()
    period = {
        "start_date": (today - timedelta(days=10)).isoformat(),
        "end_date": (today + timedelta(days=10)).isoformat(),
        "commitments": [],
    }
    program = await partnerships.program()
    am, dm = callers["am"], callers["dm"]
    ended = await partnerships.active_contract(await accounts.open(), program, **period)
    running = await partnerships.active_contract(await accounts.open(), program, **period)
    customer_only = await partnerships.draft(await accounts.open(), program, **period)
    await partnerships.post(f"/v1/contracts/{customer_only['id']}/submit", None, am, 200)
    await partnerships.sign(customer_only["id"], "customer", am)
    await partnerships.post(f"/v1/contracts/{ended['id']}/terminate", {"reason": "x"}, dm, 200)

    # Terminated today: in force today, not tomorrow; never before its start nor after its end.
    assert sorted(await _in_force_on(client, today, am)) == sorted([ended["id"], running["id"]])
    assert await _in_force_on(client, today + timedelta(days=1), am) == [running["id"]]
    assert await _in_force_on(client, today + timedelta(days=11), am) == []
    assert await _in_force_on(client, today - timedelta(days=11), am) == []
    assert await _in_force_on(client, today, callers["other_am"]) == []
    bad = await client.get("/v1/contracts", params={"in_force_on": "soon"}, headers=am.headers)
    assert_problem(bad, 422)
