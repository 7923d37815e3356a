"""Deviations follow their indicator's period (opened once, closed on recovery, reopened on a
relapse); causes, corrective actions, re-forecasts and overdue actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tread_actionplans.schedule import run_daily_work
from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

OPENED = "tread.actionplans.deviation.opened"
CLOSED = "tread.actionplans.deviation.closed"


async def test_a_red_period_opens_one_deviation_and_recovery_closes_it(
    accounts: Any, planner: Any, events: EventStream, year: int
) -> None:
    plan = await planner.active_plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    january = f"{year}-01"
    await planner.measure(indicator["id"], january, "1")  # 75 % short: red
    await planner.measure(indicator["id"], january, "1")  # 50 % short: still red
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert (deviation["period"], deviation["severity"], deviation["status"]) == (
        january,
        "red",
        "open",
    )
    await planner.measure(indicator["id"], january, "1")  # 25 % short: red at the edge
    await planner.measure(indicator["id"], january, "1")  # on target
    [closed] = await planner.deviations(plan_id=plan["id"])
    assert (closed["id"], closed["status"]) == (deviation["id"], "closed")
    assert closed["allowed_steps"] == ["reopen"]
    assert len(await events.wait_for(OPENED)) == 1
    assert len(await events.wait_for(CLOSED)) == 1
    assert await planner.deviations(plan_id=plan["id"], status="open") == []


async def test_a_relapse_reopens_the_same_deviation(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    events: EventStream,
    year: int,
) -> None:
    plan = await planner.active_plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    first = await planner.measure(indicator["id"], f"{year}-02", "2")
    await planner.measure(indicator["id"], f"{year}-02", "2")
    path = f"/v1/indicators/{indicator['id']}/measurements/{first['id']}"
    assert (await client.delete(path, headers=callers["am"].headers)).status_code == 204
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert (deviation["status"], deviation["severity"]) == ("open", "red")
    assert len(await events.wait_for(OPENED, 2)) == 2


async def test_only_followed_plans_deviate_and_approval_catches_up(
    accounts: Any, planner: Any, callers: dict[str, Caller], year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    await planner.measure(indicator["id"], f"{year}-01", "3")  # 25 % short
    await planner.measure(indicator["id"], f"{year}-02", "0")
    assert await planner.deviations(plan_id=plan["id"]) == []
    await planner.step(plan["id"], "submit")
    await planner.step(plan["id"], "approve", callers["dm"])
    found = await planner.deviations(plan_id=plan["id"])
    assert sorted((d["period"], d["severity"]) for d in found) == [
        (f"{year}-01", "red"),
        (f"{year}-02", "red"),
    ]


async def test_cause_actions_and_reforecast(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    events: EventStream,
    year: int,
) -> None:
    plan = await planner.active_plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    await planner.measure(indicator["id"], f"{year}-01", "0")
    [deviation] = await planner.deviations()
    path = f"/v1/deviations/{deviation['id']}"
    am = callers["am"]

    bad = await client.post(f"{path}/cause", json={"cause": "bad luck"}, headers=am.headers)
    assert_problem(bad, 422)
    cause = {"cause": "dealer_capacity", "analysis": "Two mechanics left in December."}
    analysed = await planner.post(f"{path}/cause", cause, status=200)
    assert (analysed["cause"], analysed["analysis"]) == ("dealer_capacity", cause["analysis"])
    assert [d["id"] for d in await planner.deviations(cause="dealer_capacity")] == [deviation["id"]]

    due = (utcnow().date() + timedelta(days=14)).isoformat()
    action = await planner.post(
        f"{path}/actions",
        {
            "title": "Train two new mechanics",
            "due_on": due,
            "budget": {"amount": "1200", "currency": "CNY"},
            "expected_effect": "Four visits a month again from March",
        },
    )
    assert (action["owner_id"], action["status"], action["overdue"]) == ("am-1", "open", False)
    assert action["budget"] == {"amount": "1200.00", "currency": "CNY"}
    done = await planner.post(
        f"/v1/corrective-actions/{action['id']}/complete", {"outcome": "Trained"}, status=200
    )
    assert (done["status"], done["completed_by"], done["allowed_steps"]) == ("done", "am-1", [])
    again = await client.post(
        f"/v1/corrective-actions/{action['id']}/cancel", json={}, headers=am.headers
    )
    assert assert_problem(again, 409, "illegal-transition")["allowed"] == []
    await events.wait_for("tread.actionplans.corrective_action.completed")
    await events.wait_for("tread.actionplans.deviation.cause_recorded")

    ahead = f"{year}-12"
    forecast = await planner.post(
        f"{path}/reforecast", {"periods": [{"period": ahead, "forecast": "3"}]}, status=200
    )
    assert forecast["forecast"] == {ahead: "3"}
    assert (await planner.periods(indicator["id"]))[ahead]["forecast"] == "3"
    past = await client.post(
        f"{path}/reforecast",
        json={"periods": [{"period": f"{year - 1}-12", "forecast": "3"}]},
        headers=am.headers,
    )
    assert_problem(past, 422)

    hidden = await client.get(path, headers=callers["other_am"].headers)
    assert_problem(hidden, 404)
    assert_problem(await client.post(f"{path}/close", headers=callers["central"].headers), 403)
    closed = await planner.post(f"{path}/close", None, status=200)
    assert closed["status"] == "closed"


async def test_overdue_actions_are_flagged_and_announced_once(
    app: FastAPI,
    accounts: Any,
    planner: Any,
    events: EventStream,
    year: int,
) -> None:
    plan = await planner.active_plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    await planner.measure(indicator["id"], f"{year}-01", "0")
    [deviation] = await planner.deviations()
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    late = await planner.post(
        f"/v1/deviations/{deviation['id']}/actions", {"title": "Call", "due_on": yesterday}
    )
    assert late["overdue"] is True
    overdue = await planner.call("GET", "/v1/corrective-actions?overdue=true")
    assert [a["id"] for a in overdue["items"]] == [late["id"]]
    runtime = app.state.runtime
    assert await run_daily_work(runtime) == {"overdue_actions": 1}
    assert await run_daily_work(runtime) == {"overdue_actions": 0}
    [announced] = await events.wait_for("tread.actionplans.corrective_action.overdue")
    assert announced["data"]["days_overdue"] == 1
    assert announced["data"]["action"]["action_id"] == late["id"]
