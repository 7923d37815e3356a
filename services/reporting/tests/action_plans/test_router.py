"""The action-plans view, fed only by the actionplans service's events: per territory and
account manager, within the caller's scope."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.events.payloads import actionplans as ap
from tread_shared.testing.http import Caller


async def _plan_story(producers: Any, account_id: uuid.UUID) -> None:
    """An active plan with a red indicator, an open deviation (cause: competition), an overdue
    action and 3000 CNY approved of which 1000 committed."""
    today = utcnow().date()
    plan_id, indicator_id, deviation_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    reach = {"account_id": account_id, "territory": "north", "owner_id": "am-1"}
    state = ap.PlanState(
        plan_id=plan_id,
        plan_version=1,
        title="Grow trucks",
        kind="development",
        scope="account",
        status="draft",
        start_date=today.replace(month=1, day=1),
        end_date=today.replace(month=12, day=31),
        **reach,
    )
    await producers.publish(ap.PlanCreated(plan=state, origin="user", created_by="am-1"), plan_id)
    active = state.model_copy(update={"plan_version": 4, "status": "active"})
    await producers.publish(ap.PlanActivated(plan=active, activated_by="am-1"), plan_id)
    reading = ap.PeriodReading(
        period=today.strftime("%Y-%m"),
        actual=Decimal(1),
        target=Decimal(4),
        gap=Decimal(-3),
        status="red",
    )
    await producers.publish(
        ap.MeasurementRecorded(
            measurement_id=uuid.uuid4(),
            indicator_id=indicator_id,
            indicator_code="VISITS",
            plan_id=plan_id,
            change="created",
            period=reading.period,
            value=Decimal(1),
            source="visits",
            reading=reading,
            **reach,
        ),
        plan_id,
    )
    deviation = ap.DeviationState(
        deviation_id=deviation_id,
        deviation_version=2,
        plan_id=plan_id,
        origin="indicator",
        indicator_id=indicator_id,
        period=reading.period,
        contract_id=None,
        severity="red",
        status="open",
        cause="competition",
        **reach,
    )
    await producers.publish(
        ap.DeviationCauseRecorded(deviation=deviation, analysis=None, recorded_by="am-1"),
        deviation_id,
    )
    action_id = uuid.uuid4()
    action = ap.CorrectiveActionState(
        action_id=action_id,
        action_version=1,
        plan_id=plan_id,
        deviation_id=deviation_id,
        meeting_id=None,
        account_id=account_id,
        territory="north",
        owner_id="am-1",
        title="Match the rival's price on 315/80",
        due_on=today - timedelta(days=2),
        status="open",
        budget=None,
        currency=None,
    )
    await producers.publish(ap.CorrectiveActionCreated(action=action, created_by="am-1"), action_id)
    request_id = uuid.uuid4()
    request = ap.ResourceRequestState(
        request_id=request_id,
        request_version=3,
        plan_id=plan_id,
        kind="money",
        amount=Decimal(4000),
        currency="CNY",
        status="approved",
        approved_amount=Decimal(3000),
        committed=Decimal(1000),
        requested_by="am-1",
        **reach,
    )
    await producers.publish(
        ap.ResourceRequestCommitted(request=request, amount=Decimal(1000), committed_by="am-1"),
        request_id,
    )


async def test_the_action_plans_view_per_territory_and_account_manager(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(owner_id="am-1", territory="north")
    await _plan_story(producers, account_id)

    response = await client.get("/v1/reports/action-plans", headers=callers["dm"].headers)
    assert response.status_code == 200, response.text
    [group] = response.json()["groups"]
    assert (group["territory"], group["owner_id"]) == ("north", "am-1")
    assert group["plans_by_status"] == {"active": 1}
    assert group["indicators"] == {"green": 0, "amber": 0, "red": 1}
    assert group["open_deviations_by_cause"] == {"competition": 1}
    assert (group["open_actions"], group["overdue_actions"]) == (1, 1)
    assert group["resources"] == [
        {"kind": "money", "currency": "CNY", "approved": "3000.00", "committed": "1000.00"}
    ]
    for who, seen in (("am", 1), ("central", 1), ("other_am", 0), ("other_dm", 0)):
        body = (await client.get("/v1/reports/action-plans", headers=callers[who].headers)).json()
        assert len(body["groups"]) == seen, who
