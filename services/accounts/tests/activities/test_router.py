"""Activities and the investment control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

VISIT = {
    "type": "visit",
    "started_at": "2026-11-10T02:00:00Z",
    "duration_minutes": 90,
    "cost": {"amount": "120.00", "currency": "CNY"},
    "outcome": "Agreed a winter tyre stock plan",
}


async def test_logging_a_visit(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    contact = await client.post(
        f"/v1/accounts/{account['id']}/contacts",
        json={"full_name": "Li Na", "roles": ["buyer"]},
        headers=am.headers,
    )
    response = await client.post(
        f"/v1/accounts/{account['id']}/activities",
        json={
            **VISIT,
            "participants": [{"name": "Li Na", "contact_id": contact.json()["id"]}],
            "follow_ups": [{"action": "Send the offer", "due_on": "2026-11-20"}],
        },
        headers=am.headers,
    )
    assert response.status_code == 201, response.text
    activity = response.json()
    assert activity["performed_by"] == "am-1"
    assert activity["cost"] == {"amount": "120.00", "currency": "CNY"}
    assert activity["follow_ups"][0]["done"] is False
    assert response.headers["etag"] == f'"{activity["id"]}-v1"'
    [event] = await events.wait_for("tread.accounts.activity.logged")
    assert event["data"]["activity"]["duration_minutes"] == 90
    assert event["data"]["activity"]["participant_count"] == 1
    assert event["data"]["activity"]["cost"] == {"amount": "120.00", "currency": "CNY"}


async def test_bad_activities_are_refused_and_nothing_is_logged(
    client: httpx.AsyncClient, portfolio: Any, am: Caller
) -> None:
    account = await portfolio.account(by=am)
    other = await portfolio.account(by=am)
    foreign_contact = await client.post(
        f"/v1/accounts/{other['id']}/contacts", json={"full_name": "X"}, headers=am.headers
    )
    url = f"/v1/accounts/{account['id']}/activities"
    for bad, slug in (
        ({"duration_minutes": -5}, "validation-error"),
        ({"type": "lunch"}, "validation-error"),
        ({"started_at": "2026-11-10T02:00:00"}, "validation-error"),
        ({"cost": {"amount": "-1", "currency": "CNY"}}, "validation-error"),
        ({"cost": {"amount": "1", "currency": "yuan"}}, "validation-error"),
        ({"outcome": "x" * 4001}, "validation-error"),
        ({"performed_by": "am-2"}, "validation-error"),
        (
            {"participants": [{"name": "X", "contact_id": foreign_contact.json()["id"]}]},
            "unknown-contact",
        ),
    ):
        assert_problem(await client.post(url, json={**VISIT, **bad}, headers=am.headers), 422, slug)
    unknown = "/v1/accounts/0192f0c4-0000-7000-8000-000000000000/activities"
    assert_problem(await client.post(unknown, json=VISIT, headers=am.headers), 404)
    assert (await client.get(url, headers=am.headers)).json()["items"] == []


async def test_activities_follow_the_accounts_scope(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    other_am: Caller,
    dm: Caller,
    central: Caller,
    integration: Caller,
) -> None:
    account = await portfolio.account(by=am)
    logged = await client.post(
        f"/v1/accounts/{account['id']}/activities", json=VISIT, headers=am.headers
    )
    url = f"/v1/activities/{logged.json()['id']}"
    assert_problem(await client.get(url, headers=other_am.headers), 404)
    assert_problem(
        await client.post(
            f"/v1/accounts/{account['id']}/activities", json=VISIT, headers=other_am.headers
        ),
        404,
    )
    assert_problem(
        await client.patch(url, json={"outcome": "x"}, headers=other_am.with_(**{"If-Match": "*"})),
        404,
    )
    assert (await client.get("/v1/activities", headers=other_am.headers)).json()["items"] == []
    assert (await client.get(url, headers=dm.headers)).status_code == 200
    assert (await client.get(url, headers=central.headers)).status_code == 200
    assert_problem(await client.delete(url, headers=central.with_(**{"If-Match": "*"})), 403)
    assert_problem(
        await client.post(
            f"/v1/accounts/{account['id']}/activities", json=VISIT, headers=central.headers
        ),
        403,
    )
    assert_problem(await client.get("/v1/activities", headers=integration.headers), 403)
    assert_problem(
        await client.get(f"/v1/accounts/{account['id']}/investment", headers=other_am.headers), 404
    )


async def test_correcting_listing_and_deleting_activities(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/activities"
    visit = await client.post(url, json=VISIT, headers=am.headers)
    call = await client.post(
        url,
        json={"type": "call", "started_at": "2026-11-12T01:00:00Z", "duration_minutes": 15},
        headers=am.headers,
    )
    calls = await client.get("/v1/activities", params={"type": "call"}, headers=am.headers)
    assert [a["id"] for a in calls.json()["items"]] == [call.json()["id"]]
    november = await client.get(
        "/v1/activities",
        params={"started_from": "2026-11-11T00:00:00Z", "account_id": account["id"]},
        headers=am.headers,
    )
    assert [a["id"] for a in november.json()["items"]] == [call.json()["id"]]

    activity_url = f"/v1/activities/{visit.json()['id']}"
    corrected = await client.patch(
        activity_url,
        json={"duration_minutes": 120, "cost": None},
        headers=am.with_(**{"If-Match": visit.headers["etag"]}),
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["cost"] is None
    assert_problem(
        await client.patch(
            activity_url,
            json={"duration_minutes": -1},
            headers=am.with_(**{"If-Match": corrected.headers["etag"]}),
        ),
        422,
    )
    deleted = await client.delete(
        activity_url, headers=am.with_(**{"If-Match": corrected.headers["etag"]})
    )
    assert deleted.status_code == 204
    sync = await client.get(url, params={"updated_since": since.isoformat()}, headers=am.headers)
    states = {a["id"]: a.get("deleted", False) for a in sync.json()["items"]}
    assert states == {visit.json()["id"]: True, call.json()["id"]: False}

    [updated] = await events.wait_for("tread.accounts.activity.updated")
    assert updated["data"]["changed_fields"] == ["cost", "duration_minutes"]
    await events.wait_for("tread.accounts.activity.deleted")


async def test_investment_control_against_the_qualification(
    client: httpx.AsyncClient, portfolio: Any, am: Caller
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}"
    plan = {
        "expected": {
            "annual_volume_units": 1500,
            "margin_potential": {"amount": "200000", "currency": "CNY"},
        },
        "planned_investment": {
            "visits_per_year": 24,
            "hours_per_year": 48,
            "budget": {"amount": "12000", "currency": "CNY"},
        },
    }
    unplanned = await client.get(
        f"{url}/investment", params={"period": "2026-11"}, headers=am.headers
    )
    assert unplanned.status_code == 200, unplanned.text
    assert unplanned.json()["planned"] is None and unplanned.json()["deviation"] is None

    assert (
        await client.put(f"{url}/qualification", json=plan, headers=am.headers)
    ).status_code == 201
    for activity in (
        VISIT,
        {**VISIT, "started_at": "2026-11-30T16:30:00Z"},  # 1 December in Shanghai
        {
            **VISIT,
            "started_at": "2026-10-31T17:00:00Z",
            "cost": {"amount": "10", "currency": "EUR"},
        },
        {"type": "call", "started_at": "2026-11-20T03:00:00Z", "duration_minutes": 30},
    ):
        response = await client.post(f"{url}/activities", json=activity, headers=am.headers)
        assert response.status_code == 201

    november = (
        await client.get(f"{url}/investment", params={"period": "2026-11"}, headers=am.headers)
    ).json()
    assert november["share_of_year"] == "0.0833"
    assert november["planned"] == {
        "visits": "2.00",
        "hours": "4.00",
        "budget": {"amount": "1000.00", "currency": "CNY"},
    }
    actual = november["actual"]
    assert (actual["visits"], actual["hours"], actual["activities"]) == (2, "3.50", 3)
    assert actual["budget"] == {"amount": "120.00", "currency": "CNY"}
    assert actual["spent"] == [
        {"amount": "120.00", "currency": "CNY"},
        {"amount": "10.00", "currency": "EUR"},
    ]
    assert actual["by_type"]["call"] == {"count": 1, "hours": "0.50"}
    deviation = november["deviation"]
    assert deviation["visits"] == "0.00"
    assert deviation["hours"] == "-0.50"
    assert deviation["budget"] == {"amount": "-880.00", "currency": "CNY"}
    assert deviation["budget_percent"] == "-88.0"

    quarter = (
        await client.get(f"{url}/investment", params={"period": "2026-Q4"}, headers=am.headers)
    ).json()
    assert quarter["planned"]["visits"] == "6.00"
    assert quarter["actual"]["visits"] == 3
    year = (
        await client.get(f"{url}/investment", params={"period": "2026"}, headers=am.headers)
    ).json()
    assert year["actual"]["activities"] == 4
    assert year["starts_at"] == "2025-12-31T16:00:00Z"
    for bad in ("2026-13", "2026-Q5", "26", "last-year"):
        response = await client.get(f"{url}/investment", params={"period": bad}, headers=am.headers)
        assert_problem(response, 422, "invalid-period")


async def test_a_planned_visit_is_not_done_until_it_is_and_the_investment_shows_both(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/activities"
    next_week = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    planned = await client.post(
        url,
        json={
            "type": "visit",
            "subject": "Winter stock review",
            "started_at": next_week.isoformat(),
            "duration_minutes": 60,
        },
        headers=am.headers,
    )
    assert planned.status_code == 201, planned.text
    assert planned.json()["status"] == "planned"
    [logged] = await events.wait_for("tread.accounts.activity.logged")
    assert logged["data"]["activity"]["status"] == "planned"
    ahead_done = await client.post(
        url,
        json={**VISIT, "status": "done", "started_at": next_week.isoformat()},
        headers=am.headers,
    )
    assert_problem(ahead_done, 422, "activity-not-yet-done")
    # A visit planned earlier that did not happen.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    skipped = await client.post(
        url,
        json={**VISIT, "status": "planned", "started_at": yesterday.isoformat(), "cost": None},
        headers=am.headers,
    )
    assert skipped.json()["status"] == "planned"
    missed = await client.patch(
        f"/v1/activities/{skipped.json()['id']}",
        json={"status": "missed"},
        headers=am.with_(**{"If-Match": skipped.headers["etag"]}),
    )
    assert missed.status_code == 200, missed.text
    assert missed.json()["status"] == "missed"
    # Not done before its time; done and missed are final.
    too_early = await client.patch(
        f"/v1/activities/{planned.json()['id']}",
        json={"status": "done"},
        headers=am.with_(**{"If-Match": planned.headers["etag"]}),
    )
    assert_problem(too_early, 422, "activity-not-yet-done")
    again = await client.patch(
        f"/v1/activities/{skipped.json()['id']}",
        json={"status": "done"},
        headers=am.with_(**{"If-Match": missed.headers["etag"]}),
    )
    assert_problem(again, 409, "illegal-transition")
    done = await client.post(
        url, json={**VISIT, "started_at": yesterday.isoformat()}, headers=am.headers
    )
    assert done.json()["status"] == "done"

    period = str(yesterday.year)
    investment = (
        await client.get(
            f"/v1/accounts/{account['id']}/investment",
            params={"period": period},
            headers=am.headers,
        )
    ).json()
    if next_week.year == yesterday.year:
        assert investment["scheduled"] == {"activities": 1, "visits": 1, "hours": "1.00"}
    assert investment["missed"] == {"activities": 1, "visits": 1, "hours": "1.50"}
    assert (investment["actual"]["activities"], investment["actual"]["visits"]) == (1, 1)
    planned_only = await client.get(
        "/v1/activities", params={"status": "planned"}, headers=am.headers
    )
    assert [a["id"] for a in planned_only.json()["items"]] == [planned.json()["id"]]
