"""Transverse cases: SLA, routing, workflow, comments and who may work them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

CREDIT_CASE = {"category": "credit", "priority": "high", "description": "Limit too low for Q4"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"case_routing": {"credit": "central-1", "billing": "central-2"}}


async def open_case(
    client: httpx.AsyncClient, account: dict[str, Any], by: Caller, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/accounts/{account['id']}/cases", json={**CREDIT_CASE, **fields}, headers=by.headers
    )


async def test_a_case_gets_its_sla_and_its_assignee(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    response = await open_case(client, account, am)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["status"] == "open"
    assert case["assignee_id"] == "central-1"
    assert case["opened_by"] == "am-1" and case["source"] == "user"
    opened = datetime.fromisoformat(case["opened_at"])
    assert datetime.fromisoformat(case["due_at"]) - opened == timedelta(hours=8)
    assert case["overdue"] is False and case["escalated"] is False
    assert case["next_statuses"] == ["in_progress", "resolved"]
    supply = await open_case(client, account, am, category="supply", priority="low")
    assert supply.json()["assignee_id"] is None
    due = datetime.fromisoformat(supply.json()["due_at"]) - datetime.fromisoformat(
        supply.json()["opened_at"]
    )
    assert due == timedelta(hours=120)
    [event] = await events.wait_for(
        "tread.accounts.case.opened", where=lambda e: e["subject"] == case["id"]
    )
    assert event["data"]["case"]["assignee_id"] == "central-1"
    assert event["data"]["case"]["category"] == "credit"


async def test_bad_cases_are_refused_and_nothing_is_opened(
    client: httpx.AsyncClient, portfolio: Any, am: Caller
) -> None:
    account = await portfolio.account(by=am)
    for bad, slug in (
        ({"category": "weather"}, "validation-error"),
        ({"priority": "whenever"}, "validation-error"),
        ({"description": ""}, "validation-error"),
        ({"description": "x" * 4001}, "validation-error"),
        ({"status": "closed"}, "validation-error"),
        ({"assignee_id": "central-9"}, "field-not-allowed"),
    ):
        assert_problem(await open_case(client, account, am, **bad), 422, slug)
    assert (await client.get(f"/v1/accounts/{account['id']}/cases", headers=am.headers)).json()[
        "items"
    ] == []


async def test_the_workflow_refuses_illegal_moves(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    central: Caller,
    events: EventStream,
) -> None:
    account = await portfolio.account(by=am)
    case = (await open_case(client, account, am)).json()
    url = f"/v1/cases/{case['id']}"
    etag = f'"{case["id"]}-v1"'

    async def move(status: str, who: Caller = central) -> httpx.Response:
        nonlocal etag
        response = await client.patch(
            url, json={"status": status}, headers=who.with_(**{"If-Match": etag})
        )
        if response.status_code == 200:
            etag = response.headers["etag"]
        return response

    illegal = await move("closed")
    body = assert_problem(illegal, 409, "illegal-transition")
    assert body["allowed"] == ["in_progress", "resolved"]
    for status in ("in_progress", "waiting_customer", "in_progress", "resolved"):
        response = await move(status)
        assert response.status_code == 200, response.text
    assert response.json()["resolved_at"] is not None
    reopened = await move("in_progress", am)
    assert reopened.json()["resolved_at"] is None
    await move("resolved", am)
    closed = await move("closed", am)
    assert closed.json()["closed_at"] is not None and closed.json()["next_statuses"] == []
    assert_problem(await move("in_progress"), 409, "illegal-transition")
    assert_problem(
        await client.patch(
            url, json={"status": "archived"}, headers=am.with_(**{"If-Match": etag})
        ),
        422,
    )
    changes = await events.wait_for("tread.accounts.case.status_changed", 7)
    assert [(e["data"]["previous_status"], e["data"]["case"]["status"]) for e in changes] == [
        ("open", "in_progress"),
        ("in_progress", "waiting_customer"),
        ("waiting_customer", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    assert changes[0]["data"]["changed_by"] == "central-1"


async def test_who_may_read_work_and_assign_a_case(
    client: httpx.AsyncClient,
    portfolio: Any,
    caller: Any,
    am: Caller,
    other_am: Caller,
    dm: Caller,
    central: Caller,
    integration: Caller,
    events: EventStream,
) -> None:
    account = await portfolio.account(by=am)
    case = (await open_case(client, account, am)).json()
    url = f"/v1/cases/{case['id']}"
    other_central = caller("central", sub="central-2")
    any_etag = {"If-Match": "*"}

    assert_problem(await client.get(url, headers=other_am.headers), 404)
    assert_problem(await open_case(client, account, other_am), 404)
    assert (await client.get("/v1/cases", headers=other_am.headers)).json()["items"] == []
    assert_problem(await client.get(url, headers=integration.headers), 403)
    assert_problem(await client.get("/v1/cases", headers=integration.headers), 403)

    # Central reads every case, works only those assigned to them, opens none.
    assert (await client.get(url, headers=other_central.headers)).status_code == 200
    assert len((await client.get("/v1/cases", headers=other_central.headers)).json()["items"]) == 1
    assert_problem(
        await client.patch(
            url, json={"status": "in_progress"}, headers=other_central.with_(**any_etag)
        ),
        403,
    )
    assert_problem(
        await client.post(f"{url}/comments", json={"body": "x"}, headers=other_central.headers), 403
    )
    assert_problem(await open_case(client, account, central), 403)

    # The account manager works the case but does not assign it.
    assert_problem(
        await client.patch(url, json={"assignee_id": "central-2"}, headers=am.with_(**any_etag)),
        422,
        "field-not-allowed",
    )
    raised = await client.patch(url, json={"priority": "urgent"}, headers=am.with_(**any_etag))
    assert raised.status_code == 200
    assert datetime.fromisoformat(raised.json()["due_at"]) - datetime.fromisoformat(
        raised.json()["opened_at"]
    ) == timedelta(hours=2)

    # The assignee hands it over; the district manager assigns it back.
    handed = await client.patch(
        url, json={"assignee_id": "central-2"}, headers=central.with_(**any_etag)
    )
    assert handed.status_code == 200, handed.text
    assert_problem(
        await client.patch(url, json={"status": "in_progress"}, headers=central.with_(**any_etag)),
        403,
    )
    back = await client.patch(url, json={"assignee_id": "central-1"}, headers=dm.with_(**any_etag))
    assert back.json()["assignee_id"] == "central-1"
    assignments = await events.wait_for("tread.accounts.case.assigned", 2)
    assert [(e["data"]["previous_assignee_id"], e["data"]["assigned_by"]) for e in assignments] == [
        ("central-1", "central-1"),
        ("central-2", "dm-north"),
    ]
    [updated] = await events.wait_for("tread.accounts.case.updated")
    assert updated["data"]["changed_fields"] == ["priority"]

    mine = await client.get(
        "/v1/cases", params={"assignee_id": "central-1"}, headers=central.headers
    )
    assert [c["id"] for c in mine.json()["items"]] == [case["id"]]


async def test_comments_on_a_case(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, central: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    case = (await open_case(client, account, am)).json()
    url = f"/v1/cases/{case['id']}/comments"
    first = await client.post(
        url, json={"body": "Customer sent the bank guarantee."}, headers=am.headers
    )
    assert first.status_code == 201, first.text
    await client.post(url, json={"body": "Limit raised to 600k."}, headers=central.headers)
    assert_problem(await client.post(url, json={"body": ""}, headers=am.headers), 422)
    listed = await client.get(url, headers=am.headers)
    assert [(c["author_id"], c["body"]) for c in listed.json()["items"]] == [
        ("am-1", "Customer sent the bank guarantee."),
        ("central-1", "Limit raised to 600k."),
    ]
    commented = await events.wait_for("tread.accounts.case.commented", 2)
    assert commented[0]["data"]["comment_id"] == first.json()["id"]
