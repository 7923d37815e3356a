"""Follow-up meetings: objective evaluations and decisions that become corrective actions in
the same request; a bad decision records nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


async def _qualitative(planner: Any, plan_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = await planner.post(
        f"/v1/plans/{plan_id}/objectives",
        {
            "kind": "qualitative",
            "statement": "The workshop follows the fitting procedure",
            "scale_min": 1,
            "scale_max": 5,
            "target": "4",
            "evidence": "Checklist of five fittings observed",
        },
    )
    return answer


async def test_a_meeting_evaluates_objectives_and_decides_actions(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    events: EventStream,
    year: int,
) -> None:
    plan = await planner.active_plan(await accounts.open())
    objective = await _qualitative(planner, plan["id"])
    indicator = await planner.indicator(plan["id"])
    await planner.measure(indicator["id"], f"{year}-01", "0")
    [deviation] = await planner.deviations()
    due = f"{year}-12-15"
    meeting = await planner.post(
        f"/v1/plans/{plan['id']}/meetings",
        {
            "held_at": utcnow().isoformat(),
            "participants": ["am-1", "dm-north", "contact:li-wei"],
            "agenda": "Visits, workshop procedure",
            "minutes": "Visits short since the mechanics left.",
            "evaluations": [{"objective_id": objective["id"], "score": "3", "comment": "Better"}],
            "decisions": [
                {"title": "Recruit a mechanic", "due_on": due, "deviation_id": deviation["id"]},
                {"title": "Weekly call with the owner", "due_on": due, "owner_id": "dm-north"},
            ],
        },
    )
    assert len(meeting["corrective_action_ids"]) == 2
    [evaluated] = await planner.objectives(plan["id"])
    assert (evaluated["latest"], evaluated["met"], evaluated["evaluated_by"]) == (
        "3",
        False,
        "am-1",
    )
    actions = (await planner.call("GET", f"/v1/corrective-actions?plan_id={plan['id']}"))["items"]
    assert sorted((a["title"], a["owner_id"], a["deviation_id"]) for a in actions) == [
        ("Recruit a mechanic", "am-1", deviation["id"]),
        ("Weekly call with the owner", "dm-north", None),
    ]
    held = await events.wait_for("tread.actionplans.meeting.held")
    assert held[0]["data"]["objectives_evaluated"] == 1
    await events.wait_for("tread.actionplans.objective.evaluated")
    listed = await planner.call("GET", f"/v1/plans/{plan['id']}/meetings")
    assert [m["id"] for m in listed["items"]] == [meeting["id"]]
    hidden = await client.get(f"/v1/meetings/{meeting['id']}", headers=callers["other_am"].headers)
    assert_problem(hidden, 404)


async def test_a_meeting_with_a_bad_evaluation_records_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.active_plan(await accounts.open())
    objective = await _qualitative(planner, plan["id"])
    body = {
        "held_at": utcnow().isoformat(),
        "participants": ["am-1"],
        "evaluations": [{"objective_id": objective["id"], "score": "9"}],
        "decisions": [{"title": "Something", "due_on": f"{year}-12-01"}],
    }
    refused = await client.post(
        f"/v1/plans/{plan['id']}/meetings", json=body, headers=callers["am"].headers
    )
    assert_problem(refused, 422, "score-off-scale")
    assert (await planner.call("GET", f"/v1/plans/{plan['id']}/meetings"))["items"] == []
    assert (await planner.call("GET", "/v1/corrective-actions"))["items"] == []
