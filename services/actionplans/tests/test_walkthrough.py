"""A professionalism plan from audit to re-audit, through the API and the other services'
events, every step announced on the stream: audit with gaps → draft plan (objective and
indicator per gap) → submitted → approved → active → visits measured from logged activities →
period red → deviation → cause → corrective action → follow-up meeting (evaluation, decision)
→ resources approved and committed → re-audit closing the gaps → objectives met → status page.
Reporting runs beside it (its own process and database, reading the same stream): its
action-plans view and the central report's action-plans section follow each step."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tread_actionplans.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.processes import ServiceProcess


@pytest.fixture
async def reporting(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The reporting service as a process of its own (a service's tests import no other
    service), on a SQLite database of its own, reading this test's stream."""
    env = {
        "REPORTING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}",
        "REPORTING_NATS_URL": settings.nats_url,
        "REPORTING_NATS_STREAM": settings.nats_stream,
        "REPORTING_NATS_SUBJECT_ROOT": settings.nats_subject_root,
        "REPORTING_JWT_PUBLIC_KEY": settings.jwt_public_key or "",
        "REPORTING_CENTRAL_REPORTS_ENABLED": "false",
        "REPORTING_CONSUMER_HEARTBEAT_SECONDS": "0.5",
        "REPORTING_LOG_JSON": "false",
    }
    migrate = [sys.executable, "-m", "tread_reporting", "migrate"]
    await asyncio.to_thread(
        subprocess.run, migrate, env={**os.environ, **env}, check=True, capture_output=True
    )
    process = ServiceProcess("tread_reporting", env, tmp_path / "reporting.log")
    await asyncio.to_thread(process.start)
    try:
        async with httpx.AsyncClient(base_url=process.base_url, timeout=10) as client:
            yield client
    finally:
        await asyncio.to_thread(process.stop)


async def _reported(
    reporting: httpx.AsyncClient, by: Caller, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Reporting's action-plans group of north and am-1 once ``done(group)`` (events take a
    moment to arrive; 15 s at the most)."""
    group: dict[str, Any] = {}
    for _ in range(300):
        answer = await reporting.get("/v1/reports/action-plans", headers=by.headers)
        assert answer.status_code == 200, answer.text
        groups = answer.json()["groups"]
        if groups:
            [group] = groups
            assert (group["territory"], group["owner_id"]) == ("north", "am-1")
            if done(group):
                return group
        await asyncio.sleep(0.05)
    raise AssertionError(f"reporting's action-plans view never got there: {group}")


async def test_a_professionalism_plan_from_audit_to_re_audit(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    sources: Any,
    events: EventStream,
    reporting: httpx.AsyncClient,
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
    await _reported(reporting, dm, lambda g: g["plans_by_status"] == {"active": 1})

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
    # Reporting: the red month, the deviation by its cause, two open actions.
    seen = await _reported(reporting, dm, lambda g: g["open_actions"] == 2)
    assert seen["indicators"]["red"] == 1
    assert seen["open_deviations_by_cause"] == {"dealer_capacity": 1}
    assert seen["overdue_actions"] == 0

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
    seen = await _reported(reporting, dm, lambda g: g["open_actions"] == 1)
    assert seen["resources"] == [
        {"kind": "money", "currency": "CNY", "approved": "3000.00", "committed": "3000.00"}
    ]

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

    # Reporting: every indicator green, no open deviation; the central report's section says
    # the same for this month.
    seen = await _reported(
        reporting, dm, lambda g: g["indicators"] == {"green": 3, "amber": 0, "red": 0}
    )
    assert (seen["plans_by_status"], seen["open_deviations_by_cause"]) == ({"active": 1}, {})
    central = callers["central"]
    report = await reporting.get(
        "/v1/reports/central", params={"period": month}, headers=central.headers
    )
    assert report.status_code == 200, report.text
    assert report.json()["action_plans"] == [seen]

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
