"""Indicators: a phased target path, thresholds validated in the plan's direction, manual
measurements and each period's actual, gap and status."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


async def test_a_period_is_green_amber_or_red_by_how_far_short_it_falls(
    client: httpx.AsyncClient, accounts: Any, planner: Any, events: EventStream, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    # A phased path: 4 visits in January, 8 in February (not a twelfth of the year each).
    indicator = await planner.indicator(
        plan["id"],
        targets=[
            {"period": f"{year}-01", "target": "4"},
            {"period": f"{year}-02", "target": "8"},
        ],
    )
    await planner.measure(indicator["id"], f"{year}-01", "4")
    await planner.measure(indicator["id"], f"{year}-02", "7")
    periods = await planner.periods(indicator["id"])
    assert (periods[f"{year}-01"]["actual"], periods[f"{year}-01"]["status"]) == ("4", "green")
    february = periods[f"{year}-02"]
    # 1 short of 8 is 12.5 % short: past the 10 % warning, before the 25 % critical.
    assert (february["target"], february["gap"], february["status"]) == ("8", "-1", "amber")
    await planner.measure(indicator["id"], f"{year}-02", "-3")
    assert (await planner.periods(indicator["id"]))[f"{year}-02"]["status"] == "red"
    recorded = await events.wait_for("tread.actionplans.measurement.recorded", 3)
    assert recorded[-1]["data"]["reading"] == {
        "period": f"{year}-02",
        "actual": "4",
        "target": "8",
        "gap": "-4",
        "status": "red",
    }


async def test_lower_is_better_and_absolute_thresholds(
    accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    indicator = await planner.indicator(
        plan["id"],
        code="RETURNS",
        name="Returned tyres",
        unit="tyres",
        direction="lower_is_better",
        thresholds={"mode": "absolute", "warning": "2", "critical": "5"},
        targets=[{"period": f"{year}-Q1", "target": "10"}],
        granularity="quarter",
    )
    await planner.measure(indicator["id"], f"{year}-Q1", "9")
    assert (await planner.periods(indicator["id"]))[f"{year}-Q1"]["status"] == "green"
    await planner.measure(indicator["id"], f"{year}-Q1", "3")
    assert (await planner.periods(indicator["id"]))[f"{year}-Q1"]["status"] == "amber"
    await planner.measure(indicator["id"], f"{year}-Q1", "3")
    assert (await planner.periods(indicator["id"]))[f"{year}-Q1"]["status"] == "red"


async def test_bad_indicators_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    path = f"/v1/plans/{plan['id']}/indicators"
    cases = [
        ({"thresholds": {"warning": "30", "critical": "10"}}, None),
        ({"targets": [{"period": f"{year + 3}-01", "target": "1"}]}, "period-outside-plan"),
        ({"targets": [{"period": f"{year}-Q1", "target": "1"}]}, "period-granularity"),
        (
            {
                "targets": [
                    {"period": f"{year}-01", "target": "1"},
                    {"period": f"{year}-01", "target": "2"},
                ]
            },
            "duplicate-period",
        ),
        ({"source": "visits", "unit": "calls"}, "unit-mismatch"),
        ({"source": "visits", "source_filter": "truck"}, "invalid-source-filter"),
        ({"source": "facilitation_spend", "unit": "money"}, "unit-mismatch"),
        ({"targets": []}, None),
    ]
    for fields, slug in cases:
        response = await client.post(
            path, json=planner.indicator_body(**fields), headers=callers["am"].headers
        )
        assert_problem(response, 422, slug)
    territory_plan = await planner.plan(None, callers["dm"], scope="territory", territory="north")
    refused = await client.post(
        f"/v1/plans/{territory_plan['id']}/indicators",
        json=planner.indicator_body(source="visits"),
        headers=callers["dm"].headers,
    )
    assert_problem(refused, 422, "source-needs-account")
    await planner.indicator(plan["id"], code="VISITS")
    taken = await client.post(
        path, json=planner.indicator_body(code="VISITS"), headers=callers["am"].headers
    )
    assert_problem(taken, 409, "indicator-code-taken")
    listed = await planner.call("GET", path)
    assert [i["code"] for i in listed["items"]] == ["VISITS"]


async def test_measurements_by_hand_only_on_manual_indicators_within_the_plan(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    fed = await planner.indicator(plan["id"], source="visits")
    manual = await planner.indicator(plan["id"])
    am = callers["am"]

    async def measure(indicator: dict[str, Any], period: str) -> httpx.Response:
        return await client.post(
            f"/v1/indicators/{indicator['id']}/measurements",
            json={"period": period, "value": "1"},
            headers=am.headers,
        )

    assert_problem(await measure(fed, f"{year}-01"), 422, "indicator-fed-by-events")
    assert_problem(await measure(manual, f"{year + 2}-01"), 422, "period-outside-plan")
    assert_problem(await measure(manual, f"{year}-Q1"), 422, "period-granularity")
    refused = await client.post(
        f"/v1/indicators/{manual['id']}/measurements",
        json={"period": f"{year}-01", "value": "1"},
        headers=callers["central"].headers,
    )
    assert_problem(refused, 403)
    hidden = await client.get(f"/v1/indicators/{manual['id']}", headers=callers["other_am"].headers)
    assert_problem(hidden, 404)
    assert (await planner.periods(manual["id"]))[f"{year}-01"]["actual"] is None


async def test_a_withdrawn_measurement_lowers_the_period_and_leaves_a_tombstone(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    first = await planner.measure(indicator["id"], f"{year}-03", "3")
    await planner.measure(indicator["id"], f"{year}-03", "2")
    assert (await planner.periods(indicator["id"]))[f"{year}-03"]["actual"] == "5"
    path = f"/v1/indicators/{indicator['id']}/measurements"
    deleted = await client.delete(f"{path}/{first['id']}", headers=callers["am"].headers)
    assert deleted.status_code == 204, deleted.text
    assert (await planner.periods(indicator["id"]))[f"{year}-03"]["actual"] == "2"
    synced = await planner.call("GET", f"{path}?updated_since={first['created_at']}")
    assert [i["id"] for i in synced["items"] if i.get("deleted")] == [first["id"]]
    again = await client.delete(f"{path}/{first['id']}", headers=callers["am"].headers)
    assert_problem(again, 404)


async def test_new_thresholds_re_evaluate_the_periods(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any, year: int
) -> None:
    plan = await planner.plan(await accounts.open())
    indicator = await planner.indicator(plan["id"])
    await planner.measure(indicator["id"], f"{year}-01", "3")
    assert (await planner.periods(indicator["id"]))[f"{year}-01"]["status"] == "red"
    path, am = f"/v1/indicators/{indicator['id']}", callers["am"]
    change = {"thresholds": {"mode": "percent", "warning": "30", "critical": "50"}}
    assert_problem(await client.patch(path, json=change, headers=am.headers), 428)
    etag = (await client.get(path, headers=am.headers)).headers["ETag"]
    changed = await client.patch(path, json=change, headers=am.with_(**{"If-Match": etag}))
    assert changed.status_code == 200, changed.text
    assert {p["period"]: p["status"] for p in changed.json()["periods"]}[f"{year}-01"] == "green"
