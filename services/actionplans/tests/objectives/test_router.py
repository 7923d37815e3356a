"""Objectives: quantitative ones bound to an indicator of the plan, qualitative ones on a
scale; refused when incomplete."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.http import Caller, assert_problem


async def test_a_quantitative_objective_is_met_when_its_indicator_reaches_the_target(
    accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    objective = await planner.post(
        f"/v1/plans/{plan['id']}/objectives",
        {
            "kind": "quantitative",
            "statement": "Four visits a month",
            "indicator_id": indicator["id"],
            "baseline": "2",
            "target": "4",
            "due_on": f"{year}-06-30",
        },
    )
    assert (objective["latest"], objective["met"]) == (None, None)
    await planner.measure(indicator["id"], f"{year}-01", "3")
    [objective] = await planner.objectives(plan["id"])
    assert (objective["latest"], objective["met"]) == ("3", False)
    await planner.measure(indicator["id"], f"{year}-02", "5")
    [objective] = await planner.objectives(plan["id"])
    assert (objective["latest"], objective["met"]) == ("5", True)


async def test_incomplete_objectives_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    other = await planner.plan(await accounts.open())
    foreign = await planner.indicator(other["id"])
    path = f"/v1/plans/{plan['id']}/objectives"
    cases = [
        ({"kind": "quantitative", "statement": "x", "target": "1"}, None),
        ({"kind": "qualitative", "statement": "x", "scale_min": 5, "scale_max": 1}, None),
        (
            {
                "kind": "quantitative",
                "statement": "x",
                "indicator_id": foreign["id"],
                "target": "1",
                "due_on": f"{year}-03-01",
            },
            "unknown-indicator",
        ),
    ]
    for body, slug in cases:
        response = await client.post(path, json=body, headers=callers["am"].headers)
        assert_problem(response, 422, slug)
    assert await planner.objectives(plan["id"]) == []
