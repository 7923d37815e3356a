"""A contract at risk or missed opens a deviation on the plans that follow it; back on track
closes it; without any plan, a draft corrective plan carries it."""

from __future__ import annotations

import uuid
from typing import Any

from tread_shared.clock import utcnow
from tread_shared.events.payloads.contracts import ComplianceChanged


def _compliance(account_id: uuid.UUID, contract_id: uuid.UUID, overall: str) -> ComplianceChanged:
    return ComplianceChanged(
        contract_id=contract_id,
        account_id=account_id,
        program_id=uuid.uuid4(),
        tier="gold",
        overall=overall,  # type: ignore[arg-type]
        previous_overall=None,
        items=[],
        as_of=utcnow().date(),
        evaluated_at=utcnow(),
    )


async def test_a_contract_at_risk_deviates_the_plan_that_follows_it(
    accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open()
    contract_id = uuid.uuid4()
    plan = await planner.active_plan(account_id, contract_id=str(contract_id))
    await accounts.publish(_compliance(account_id, contract_id, "at_risk"), contract_id)
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert (deviation["origin"], deviation["severity"], deviation["contract_id"]) == (
        "compliance",
        "amber",
        str(contract_id),
    )
    await accounts.publish(_compliance(account_id, contract_id, "missed"), contract_id)
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert (deviation["severity"], deviation["status"]) == ("red", "open")
    await accounts.publish(_compliance(account_id, contract_id, "on_track"), contract_id)
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert deviation["status"] == "closed"


async def test_without_a_plan_a_corrective_plan_is_drafted(accounts: Any, planner: Any) -> None:
    account_id = await accounts.open(owner_id="am-1")
    contract_id = uuid.uuid4()
    await accounts.publish(_compliance(account_id, contract_id, "missed"), contract_id)
    await accounts.publish(_compliance(account_id, contract_id, "missed"), contract_id)
    plans = (await planner.call("GET", f"/v1/plans?account_id={account_id}"))["items"]
    assert [(p["kind"], p["origin"], p["owner_id"]) for p in plans] == [
        ("corrective", "compliance", "am-1")
    ]
    [deviation] = await planner.deviations(plan_id=plans[0]["id"])
    assert (deviation["severity"], deviation["status"]) == ("red", "open")
