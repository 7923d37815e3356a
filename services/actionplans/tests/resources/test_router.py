"""Resource requests: arbitrated by the district manager (never by the requester), committed
never beyond what was approved; a manager's approvals list."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


async def _request(planner: Any, plan_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "money",
        "amount": "8000",
        "currency": "CNY",
        "justification": "Two training days for the dealer's mechanics",
        **fields,
    }
    answer: dict[str, Any] = await planner.post(f"/v1/plans/{plan_id}/resource-requests", body)
    return answer


async def test_approved_with_a_smaller_amount_and_committed_within_it(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    events: EventStream,
) -> None:
    plan = await planner.active_plan(await accounts.open())
    request = await _request(planner, plan["id"])
    assert (request["status"], request["allowed_steps"]) == ("requested", ["approve", "reject"])
    path = f"/v1/resource-requests/{request['id']}"
    assert_problem(
        await client.post(f"{path}/approve", json={}, headers=callers["am"].headers), 403
    )
    too_much = await client.post(
        f"{path}/approve", json={"amount": "9000"}, headers=callers["dm"].headers
    )
    assert_problem(too_much, 422, "more-than-asked")
    approved = await planner.post(f"{path}/approve", {"amount": "5000"}, callers["dm"], 200)
    assert (approved["status"], approved["approved_amount"], approved["remaining"]) == (
        "approved",
        "5000",
        "5000",
    )
    committed = await planner.post(f"{path}/commitments", {"amount": "3000"}, status=200)
    assert (committed["committed"], committed["remaining"]) == ("3000", "2000")
    over = await client.post(
        f"{path}/commitments", json={"amount": "2500"}, headers=callers["am"].headers
    )
    assert assert_problem(over, 422, "over-approved")["remaining"] == "2000"
    assert (await planner.call("GET", path))["committed"] == "3000"
    again = await client.post(f"{path}/reject", json={"reason": "x"}, headers=callers["dm"].headers)
    assert assert_problem(again, 409, "illegal-transition")["allowed"] == []
    [decided] = await events.wait_for("tread.actionplans.resource_request.decided")
    assert decided["data"]["request"]["approved_amount"] == "5000"


async def test_rejected_with_a_reason_and_nothing_to_commit(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    plan = await planner.active_plan(await accounts.open())
    request = await _request(planner, plan["id"], kind="visits", amount="6", currency=None)
    path = f"/v1/resource-requests/{request['id']}"
    rejected = await planner.post(
        f"{path}/reject", {"reason": "Visits are already above plan."}, callers["kam"], 200
    )
    assert (rejected["status"], rejected["reason"]) == (
        "rejected",
        "Visits are already above plan.",
    )
    refused = await client.post(
        f"{path}/commitments", json={"amount": "1"}, headers=callers["am"].headers
    )
    assert_problem(refused, 409, "not-approved")


async def test_bad_requests_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    plan = await planner.active_plan(await accounts.open())
    path = f"/v1/plans/{plan['id']}/resource-requests"
    for body in (
        {"kind": "money", "amount": "10", "justification": "no currency"},
        {"kind": "hours", "amount": "10", "currency": "CNY", "justification": "currency"},
        {"kind": "hours", "amount": "-1", "justification": "negative"},
        {"kind": "cars", "amount": "1", "justification": "unknown kind"},
    ):
        assert_problem(await client.post(path, json=body, headers=callers["am"].headers), 422)
    hidden = await client.post(
        path,
        json={"kind": "hours", "amount": "1", "justification": "x"},
        headers=callers["other_am"].headers,
    )
    assert_problem(hidden, 404)


async def test_the_approvals_list_of_a_manager(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    north = await planner.active_plan(await accounts.open(territory="north"))
    mine = await _request(planner, north["id"])
    dm_plan = await planner.plan(None, callers["dm"], scope="portfolio", territory="north")
    own = await planner.post(
        f"/v1/plans/{dm_plan['id']}/resource-requests",
        {"kind": "hours", "amount": "10", "justification": "x"},
        callers["dm"],
    )

    async def awaiting(by: Caller) -> list[str]:
        response = await client.get(
            "/v1/resource-requests", params={"awaiting": "me"}, headers=by.headers
        )
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert await awaiting(callers["dm"]) == [mine["id"]]
    assert await awaiting(callers["other_dm"]) == []
    assert await awaiting(callers["admin"]) == [mine["id"], own["id"]]
    await planner.post(f"/v1/resource-requests/{mine['id']}/approve", {}, callers["dm"], 200)
    assert await awaiting(callers["dm"]) == []
