"""A professionalism plan from audit to re-audit, through the API and the other services'
events, every step announced on the stream: audit with gaps → draft plan (objective and
indicator per gap) → submitted → approved → active → visits measured from logged activities →
period red → deviation → cause → corrective action → follow-up meeting (evaluation, decision)
→ resources approved and committed → re-audit closing the gaps → objectives met → status page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller


async def test_a_professionalism_plan_from_audit_to_re_audit(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    sources: Any,
    events: EventStream,
) -> None:
    am, dm = callers["am"], callers["dm"]
    account_id = await accounts.open(owner_id="am-1", territory="north")
    audited = utcnow() - timedelta(days=40)
    audit = sources.audit(
        account_id, {"LP1": 55, "LP2": 72, "LP3": 40}, {"LP1": 70, "LP2": 60, "LP3": 60}, audited
    )
    await accounts.publish(audit, audit.audit_id)

    # The audit drafted the plan: one objective and one audit-score indicator per gap.
    [plan] = (await planner.call("GET", f"/v1/plans?account_id={account_id}"))["items"]
    assert (plan["kind"], plan["status"], plan["owner_id"]) == ("professionalism", "draft", "am-1")
    objectives = await planner.objectives(plan["id"])
    assert sorted(o["target"] for o in objectives) == ["60", "70"]

    # The account manager adds a visits indicator, then the plan goes through approval.
    month = utcnow().strftime("%Y-%m")
    visits = await planner.indicator(
        plan["id"],
        code="VISITS",
        source="visits",
        targets=[{"period": month, "target": "4"}],
    )
    await planner.step(plan["id"], "submit", am)
    assert (await planner.call("GET", "/v1/plans/approvals", by=dm))[0]["id"] == plan["id"]
    await planner.step(plan["id"], "approve", dm)
    assert (await planner.step(plan["id"], "activate", am))["status"] == "active"

    # One visit logged this month out of four: red, a deviation opens.
    await sources.logged(sources.activity(account_id))
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert (deviation["indicator_id"], deviation["severity"]) == (visits["id"], "red")
    await planner.post(
        f"/v1/deviations/{deviation['id']}/cause",
        {"cause": "dealer_capacity", "analysis": "The workshop lost two mechanics."},
        am,
        200,
    )
    due = (utcnow().date() + timedelta(days=30)).isoformat()
    action = await planner.post(
        f"/v1/deviations/{deviation['id']}/actions",
        {"title": "Fortnightly workshop visit", "due_on": due},
        am,
    )

    # The follow-up meeting evaluates an objective and decides one more action.
    lp1 = next(o for o in objectives if o["target"] == "70")
    meeting = await planner.post(
        f"/v1/plans/{plan['id']}/meetings",
        {
            "held_at": utcnow().isoformat(),
            "participants": ["am-1", "dm-north"],
            "minutes": "Training booked for March.",
            "evaluations": [{"objective_id": lp1["id"], "score": "62"}],
            "decisions": [{"title": "Book the LP1 training", "due_on": due}],
        },
        am,
    )
    assert len(meeting["corrective_action_ids"]) == 1

    # Money for the training: 3,000 of the 4,000 asked, committed within it.
    request = await planner.post(
        f"/v1/plans/{plan['id']}/resource-requests",
        {"kind": "money", "amount": "4000", "currency": "CNY", "justification": "LP1 training"},
        am,
    )
    rr = f"/v1/resource-requests/{request['id']}"
    await planner.post(f"{rr}/approve", {"amount": "3000"}, dm, 200)
    await planner.post(f"{rr}/commitments", {"amount": "3000"}, am, 200)
    await planner.post(f"/v1/corrective-actions/{action['id']}/complete", {}, am, 200)

    # Three more visits: the month recovers and the deviation closes.
    for _ in range(3):
        await sources.logged(sources.activity(account_id))
    assert (await planner.deviations(plan_id=plan["id"]))[0]["status"] == "closed"

    # The re-audit closes the gaps: the objectives show as met.
    reaudit = sources.audit(account_id, {"LP1": 74, "LP2": 75, "LP3": 61}, {"LP1": 70})
    await accounts.publish(reaudit, reaudit.audit_id)
    assert [o["met"] for o in await planner.objectives(plan["id"])] == [True, True]

    page = await planner.call("GET", f"/v1/plans/{plan['id']}/status")
    assert page["statuses"] == {"green": 3, "amber": 0, "red": 0}
    assert page["open_deviations"] == [] and page["overdue_actions"] == []
    assert page["budget"][0]["approved_committed"] == "3000"

    await events.wait_for("tread.actionplans.measurement.recorded", 6)
    announced = [e["type"] for e in await events.all() if e["source"] == "actionplans"]
    steps = [t.removeprefix("tread.actionplans.").removesuffix(".v1") for t in announced]
    assert [step for step in steps if step != "instance.started"] == [
        "plan.created",
        "plan.submitted",
        "plan.approved",
        "plan.activated",
        "deviation.opened",
        "measurement.recorded",
        "deviation.cause_recorded",
        "corrective_action.created",
        "objective.evaluated",
        "corrective_action.created",
        "meeting.held",
        "resource_request.made",
        "resource_request.decided",
        "resource_request.committed",
        "corrective_action.completed",
        "measurement.recorded",
        "measurement.recorded",
        "deviation.closed",
        "measurement.recorded",
        "measurement.recorded",
        "measurement.recorded",
    ]
