"""Plans: drafting within scope, the approval workflow and its refusals, changes with If-Match,
lists with filters, pages and tombstones."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

PLAN_CREATED = "tread.actionplans.plan.created.v1"


async def test_a_plan_is_drafted_for_an_account_and_owned_by_its_manager(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open(owner_id="am-1", territory="north")
    body = planner.plan_body(
        account_id,
        stakeholders=[{"kind": "user", "id": "dm-north"}, {"kind": "contact", "id": "c-1"}],
        budget_lines=[{"category": "training", "planned": {"amount": "5000", "currency": "CNY"}}],
    )
    response = await client.post("/v1/plans", json=body, headers=callers["kam"].headers)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert response.headers["Location"] == f"/v1/plans/{plan['id']}"
    assert response.headers["ETag"] == f'"{plan["id"]}-v1"'
    assert (plan["status"], plan["owner_id"], plan["territory"]) == ("draft", "am-1", "north")
    assert plan["allowed_steps"] == ["submit"]
    assert plan["budget_lines"][0]["planned"] == {"amount": "5000.00", "currency": "CNY"}
    created = await events.wait_for(PLAN_CREATED)
    assert created[0]["data"]["plan"]["owner_id"] == "am-1"
    assert created[0]["data"]["origin"] == "user"


async def test_the_plan_goes_from_draft_to_closed_one_step_at_a_time(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open()
    plan = await planner.plan(account_id)
    path = f"/v1/plans/{plan['id']}"

    refused = await client.post(f"{path}/approve", headers=callers["dm"].headers)
    problem = assert_problem(refused, 409, "illegal-transition")
    assert (problem["status_now"], problem["allowed"]) == ("draft", ["submit"])

    await planner.step(plan["id"], "submit")
    rejected = await planner.step(plan["id"], "reject", callers["dm"], reason="No budget line.")
    assert (rejected["status"], rejected["rejection_reason"]) == ("draft", "No budget line.")
    await planner.step(plan["id"], "submit")
    approved = await planner.step(plan["id"], "approve", callers["dm"])
    assert (approved["status"], approved["approved_by"]) == ("approved", "dm-north")
    assert approved["allowed_steps"] == ["activate"]
    refused = await client.post(f"{path}/close", headers=callers["am"].headers)
    assert assert_problem(refused, 409)["allowed"] == ["activate"]
    assert (await planner.step(plan["id"], "activate"))["status"] == "active"
    closed = await planner.step(plan["id"], "close")
    assert (closed["status"], closed["allowed_steps"]) == ("closed", [])
    refused = await client.post(f"{path}/submit", headers=callers["am"].headers)
    assert assert_problem(refused, 409)["allowed"] == []


async def test_who_may_approve(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open(territory="north", key_account_manager_id="kam-1")
    plan = await planner.plan(account_id)
    await planner.step(plan["id"], "submit")
    approve = f"/v1/plans/{plan['id']}/approve"
    # An account manager may not approve; a manager elsewhere does not even see the plan.
    assert_problem(await client.post(approve, headers=callers["am"].headers), 403)
    assert_problem(await client.post(approve, headers=callers["other_dm"].headers), 404)
    assert_problem(await client.post(approve, headers=callers["other_kam"].headers), 404)
    # The account's key account manager may.
    approved = await planner.step(plan["id"], "approve", callers["kam"])
    assert approved["approved_by"] == "kam-1"


async def test_nobody_approves_their_own_plan(
    client: httpx.AsyncClient, callers: dict[str, Caller], planner: Any
) -> None:
    dm = callers["dm"]
    plan = await planner.plan(None, dm, scope="portfolio", territory="north")
    assert plan["owner_id"] == "dm-north"
    await planner.step(plan["id"], "submit", dm)
    refused = await client.post(f"/v1/plans/{plan['id']}/approve", headers=dm.headers)
    assert_problem(refused, 403)
    assert (await planner.call("GET", f"/v1/plans/{plan['id']}", by=dm))["status"] == "submitted"
    approved = await planner.step(plan["id"], "approve", callers["admin"])
    assert approved["status"] == "approved"


async def test_scope_decides_who_sees_and_who_acts(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open(owner_id="am-1", territory="north")
    plan = await planner.plan(account_id)
    path = f"/v1/plans/{plan['id']}"
    for who in ("am", "dm", "kam", "central", "admin"):
        assert (await client.get(path, headers=callers[who].headers)).status_code == 200, who
    for who in ("other_am", "other_dm", "other_kam"):
        assert_problem(await client.get(path, headers=callers[who].headers), 404)
    assert_problem(await client.get(path, headers=callers["integration"].headers), 403)
    # Central reads but does not act.
    assert_problem(await client.post(f"{path}/submit", headers=callers["central"].headers), 403)
    # Someone else's account is unknown to the caller.
    refused = await client.post(
        "/v1/plans", json=planner.plan_body(account_id), headers=callers["other_am"].headers
    )
    assert_problem(refused, 422, "unknown-account")


async def test_a_territory_plan_is_the_district_managers(
    client: httpx.AsyncClient, callers: dict[str, Caller], planner: Any
) -> None:
    body = planner.plan_body(None, scope="territory", territory="north")
    assert_problem(await client.post("/v1/plans", json=body, headers=callers["am"].headers), 403)
    plan = await planner.plan(None, callers["dm"], scope="territory", territory="north")
    path = f"/v1/plans/{plan['id']}"
    assert (await client.get(path, headers=callers["central"].headers)).status_code == 200
    assert_problem(await client.get(path, headers=callers["other_dm"].headers), 404)
    assert_problem(await client.get(path, headers=callers["am"].headers), 404)


async def test_a_plan_follows_its_account_to_another_manager(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open(owner_id="am-1")
    plan = await planner.plan(account_id)
    path = f"/v1/plans/{plan['id']}"
    await accounts.reassign(account_id, "am-2")
    assert_problem(await client.get(path, headers=callers["am"].headers), 404)
    moved = (await client.get(path, headers=callers["other_am"].headers)).json()
    assert moved["owner_id"] == "am-2"
    await accounts.update(account_id, territory="south")
    assert_problem(await client.get(path, headers=callers["dm"].headers), 404)
    moved = (await client.get(path, headers=callers["other_dm"].headers)).json()
    assert moved["territory"] == "south"


async def test_a_draft_changes_only_with_the_etag_last_read(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open()
    plan = await planner.plan(account_id)
    path, am = f"/v1/plans/{plan['id']}", callers["am"]
    change = {"title": "Grow the truck line"}
    assert_problem(await client.patch(path, json=change, headers=am.headers), 428)
    etag = (await client.get(path, headers=am.headers)).headers["ETag"]
    changed = await client.patch(path, json=change, headers=am.with_(**{"If-Match": etag}))
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Grow the truck line"
    stale = await client.patch(path, json={"title": "x"}, headers=am.with_(**{"If-Match": etag}))
    assert_problem(stale, 412)
    bad = await client.patch(
        path,
        json={"reaudit_on": "1999-01-01"},
        headers=am.with_(**{"If-Match": changed.headers["ETag"]}),
    )
    assert_problem(bad, 422, "reaudit-outside-period")
    await planner.step(plan["id"], "submit")
    etag = (await client.get(path, headers=am.headers)).headers["ETag"]
    refused = await client.patch(path, json=change, headers=am.with_(**{"If-Match": etag}))
    assert_problem(refused, 409, "plan-not-draft")


async def test_bad_plans_are_refused_and_change_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    account_id = await accounts.open()
    am = callers["am"]
    bad_bodies = [
        planner.plan_body(account_id, end_date="2000-01-01"),
        planner.plan_body(account_id, kind="wishful"),
        planner.plan_body(None),
        planner.plan_body(account_id, scope="territory", territory="north"),
        planner.plan_body(
            account_id,
            budget_lines=[
                {
                    "category": "x",
                    "planned": {"amount": "1", "currency": "CNY"},
                    "spent": {"amount": "1", "currency": "EUR"},
                }
            ],
        ),
    ]
    for body in bad_bodies:
        assert_problem(await client.post("/v1/plans", json=body, headers=am.headers), 422)
    assert (await client.get("/v1/plans", headers=am.headers)).json()["items"] == []


async def test_lists_filter_page_and_tell_offline_clients_of_deletions(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    first = await accounts.open()
    second = await accounts.open()
    am = callers["am"]
    plans = [
        await planner.plan(first),
        await planner.plan(first, kind="professionalism"),
        await planner.plan(second),
    ]
    await planner.step(plans[0]["id"], "submit")

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/v1/plans", params=params, headers=am.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(account_id=str(first)) == [plans[0]["id"], plans[1]["id"]]
    assert await ids(kind="professionalism") == [plans[1]["id"]]
    assert await ids(status="submitted") == [plans[0]["id"]]
    assert await ids(owner_id="am-1", territory="north") == [p["id"] for p in plans]
    assert await ids(active_to="1990-01-01") == []
    page = (await client.get("/v1/plans", params={"limit": 2}, headers=am.headers)).json()
    rest = await client.get(
        "/v1/plans", params={"limit": 2, "cursor": page["next_cursor"]}, headers=am.headers
    )
    assert [p["id"] for p in page["items"] + rest.json()["items"]] == [p["id"] for p in plans]
    assert (await client.get("/v1/plans", headers=callers["other_am"].headers)).json()[
        "items"
    ] == []

    since = plans[2]["updated_at"]
    path = f"/v1/plans/{plans[2]['id']}"
    etag = (await client.get(path, headers=am.headers)).headers["ETag"]
    deleted = await client.delete(path, headers=am.with_(**{"If-Match": etag}))
    assert deleted.status_code == 204, deleted.text
    assert_problem(await client.get(path, headers=am.headers), 404)
    synced = await client.get("/v1/plans", params={"updated_since": since}, headers=am.headers)
    tombstones = [i for i in synced.json()["items"] if i.get("deleted")]
    assert [t["id"] for t in tombstones] == [plans[2]["id"]]
    assert plans[2]["id"] not in await ids()


async def test_the_approvals_list_holds_what_awaits_the_caller(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    north = await accounts.open(territory="north")
    south = await accounts.open(territory="south", owner_id="am-2")
    mine = await planner.plan(north)
    theirs = await planner.plan(south, callers["other_am"])
    await planner.step(mine["id"], "submit")
    await planner.step(theirs["id"], "submit", callers["other_am"])
    awaiting = await planner.call("GET", "/v1/plans/approvals", by=callers["dm"])
    assert [p["id"] for p in awaiting] == [mine["id"]]
    await planner.step(mine["id"], "approve", callers["dm"])
    assert await planner.call("GET", "/v1/plans/approvals", by=callers["dm"]) == []
    assert_problem(await client.get("/v1/plans/approvals", headers=callers["am"].headers), 403)


async def test_the_status_page_shows_what_a_follow_up_meeting_needs(
    accounts: Any, planner: Any, callers: dict[str, Caller], year: int
) -> None:
    budget = [
        {
            "category": "training",
            "planned": {"amount": "10000", "currency": "CNY"},
            "spent": {"amount": "2500", "currency": "CNY"},
        }
    ]
    plan = await planner.active_plan(await accounts.open(), budget_lines=budget)
    visits = await planner.indicator(plan["id"], code="VISITS")
    calls = await planner.indicator(plan["id"], code="CALLS", unit="calls")
    await planner.measure(visits["id"], f"{year}-01", "4")
    await planner.measure(visits["id"], f"{year}-02", "1")
    await planner.measure(calls["id"], f"{year}-01", "4")
    [deviation] = await planner.deviations()
    for title, days in (("Call", 3), ("Visit", 5), ("Train", -2)):
        await planner.post(
            f"/v1/deviations/{deviation['id']}/actions",
            {"title": title, "due_on": (utcnow().date() - timedelta(days=days)).isoformat()},
        )
    request = await planner.post(
        f"/v1/plans/{plan['id']}/resource-requests",
        {"kind": "money", "amount": "4000", "currency": "CNY", "justification": "Fair"},
    )
    await planner.post(
        f"/v1/resource-requests/{request['id']}/approve", {"amount": "3000"}, callers["dm"], 200
    )
    page = await planner.call("GET", f"/v1/plans/{plan['id']}/status")
    assert [(i["code"], i["period"], i["actual"], i["status"]) for i in page["indicators"]] == [
        ("CALLS", f"{year}-01", "4", "green"),
        ("VISITS", f"{year}-02", "1", "red"),
    ]
    assert page["statuses"] == {"green": 1, "amber": 0, "red": 1}
    assert [d["id"] for d in page["open_deviations"]] == [deviation["id"]]
    # Each brief says what the deviation's and the action's own pages say, in the same words.
    [brief] = page["open_deviations"]
    shown = await planner.call("GET", f"/v1/deviations/{deviation['id']}")
    assert brief == {name: shown[name] for name in brief}
    # The overdue ones, the longest overdue first.
    assert [(a["title"], a["days_overdue"]) for a in page["overdue_actions"]] == [
        ("Visit", 5),
        ("Call", 3),
    ]
    actions = await planner.call("GET", f"/v1/deviations/{deviation['id']}/actions")
    listed = {action["id"]: action for action in actions["items"]}
    for action in page["overdue_actions"]:
        assert {name: listed[action["id"]][name] for name in ("title", "owner_id", "due_on")} == {
            name: action[name] for name in ("title", "owner_id", "due_on")
        }
    assert page["budget"] == [
        {
            "currency": "CNY",
            "planned": "10000",
            "committed": "0",
            "spent": "2500",
            "requested": "4000",
            "approved": "3000",
            "approved_committed": "0",
        }
    ]
    assert page["plan"]["id"] == plan["id"]
    assert page["plan"] == await planner.call("GET", f"/v1/plans/{plan['id']}")


async def test_the_status_page_shows_objectives_and_resources_within_scope_only(
    client: httpx.AsyncClient, accounts: Any, planner: Any, callers: dict[str, Caller], year: int
) -> None:
    plan = await planner.active_plan(await accounts.open())
    calls = await planner.indicator(plan["id"], code="CALLS", unit="calls")
    unmeasured = await planner.indicator(plan["id"], code="VISITS")
    for indicator, statement in ((calls, "Four calls"), (unmeasured, "Four visits")):
        await planner.post(
            f"/v1/plans/{plan['id']}/objectives",
            {
                "kind": "quantitative",
                "statement": statement,
                "indicator_id": indicator["id"],
                "baseline": "2",
                "target": "4",
                "due_on": f"{year}-06-30",
            },
        )
    await planner.measure(calls["id"], f"{year}-01", "5")
    await planner.post(
        f"/v1/plans/{plan['id']}/resource-requests",
        {"kind": "hours", "amount": "12", "justification": "Training days"},
    )
    page = await planner.call("GET", f"/v1/plans/{plan['id']}/status")
    objectives = await planner.objectives(plan["id"])
    assert [(o["statement"], o["latest"], o["met"]) for o in page["objectives"]] == [
        (o["statement"], o["latest"], o["met"]) for o in objectives
    ]
    assert sorted((o["statement"], o["latest"], o["met"]) for o in objectives) == [
        ("Four calls", "5", True),
        ("Four visits", None, None),
    ]
    assert page["resources"] == [
        {"kind": "hours", "requested": "12", "approved": "0", "committed": "0"}
    ]
    path = f"/v1/plans/{plan['id']}/status"
    for caller in (callers["other_am"], callers["other_dm"]):
        hidden = await client.get(path, headers=caller.headers)
        assert_problem(hidden, 404, "not-found")
        assert hidden.json()["detail"] == f"No plan {plan['id']}."
    assert_problem(
        await client.get(f"/v1/plans/{uuid.uuid4()}/status", headers=callers["am"].headers), 404
    )
