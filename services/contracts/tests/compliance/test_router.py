"""Compliance: commitments and tier requirements against sell-in (from the accounts service's
events) and the latest audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


async def _compliance(
    client: httpx.AsyncClient, contract_id: str, by: Caller, as_of: str
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/contracts/{contract_id}/compliance", params={"as_of": as_of}, headers=by.headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _by_kind(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["criterion"] or item["kind"]: item for item in report["items"]}


async def test_volumes_and_scores_are_met_on_track_at_risk_or_missed(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(
        account_id,
        program,
        start_date="2026-01-01",
        end_date="2026-12-31",
        commitments=[
            {"kind": "volume", "period": "2026-Q1", "quantity": 1200},
            {"kind": "volume", "period": "2026", "quantity": 6000},
        ],
    )
    for month, units in (("2026-01", 400), ("2026-02", 300), ("2026-03", 600), ("2026-04", 500)):
        await accounts.sell_in(account_id, month, units)
    await partnerships.post(
        "/v1/audits",
        {
            "account_id": str(account_id),
            "contract_id": contract["id"],
            "performed_at": "2026-04-20T09:00:00Z",
            "auditor": "Wang Fang",
            "scores": [{"criterion": "LP1", "score": 80}, {"criterion": "LP2", "score": 40}],
        },
        callers["am"],
    )

    # In early May: Q1 reached 1300 ≥ 1200; the year has 1800 of 6000 with four of twelve months
    # judged (2000 due by now): 10 % behind, inside the tolerance, on track. Gold's 5000 a
    # year: 1800 against 1667 due — on track.
    may = await _compliance(client, contract["id"], callers["am"], "2026-05-05")
    items = {(i["kind"], i["period"] or i["criterion"]): i for i in may["items"]}
    assert items[("volume", "2026-Q1")]["status"] == "met"
    assert items[("volume", "2026")]["status"] == "on_track"
    assert items[("volume", "2026")]["actual"] == "1800"
    assert items[("volume", "2026")]["expected_to_date"] == "2000"
    assert items[("volume", "2026")]["judged_through"] == "2026-04"
    assert items[("tier_volume", "2026-01-01/2026-12-31")]["status"] == "on_track"
    assert items[("audit_score", "LP1")]["status"] == "met"
    assert items[("audit_score", "LP2")]["status"] == "at_risk"
    assert may["overall"] == "at_risk"
    assert may["latest_audit"]["overall_score"] == "60"

    # May's sell-in never came: judged without it after the grace period, the year is behind
    # by more than the tolerance (1800 against 2500 due).
    june = await _compliance(client, contract["id"], callers["am"], "2026-06-15")
    assert _by_kind(june)["volume"]["status"] == "at_risk"

    # After the year and December's grace: what was not reached is missed.
    next_year = await _compliance(client, contract["id"], callers["am"], "2027-01-15")
    statuses = {(i["kind"], i["period"] or i["criterion"]): i["status"] for i in next_year["items"]}
    assert statuses[("volume", "2026")] == "missed"
    assert statuses[("volume", "2026-Q1")] == "met"
    assert statuses[("audit_score", "LP2")] == "missed"
    assert next_year["overall"] == "missed"


async def test_a_later_sell_in_report_replaces_the_earlier_and_announces_the_change(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program(
        tiers=[
            {
                "code": "gold",
                "min_annual_volume": 0,
                "facilitation_budget": {"amount": "0", "currency": "CNY"},
            }
        ]
    )
    year = utcnow().year
    contract = await partnerships.active_contract(
        account_id,
        program,
        start_date=f"{year}-01-01",
        end_date=f"{year}-12-31",
        commitments=[{"kind": "volume", "period": f"{year}-01", "quantity": 100}],
    )
    (first,) = await events.wait_for(
        "tread.contracts.compliance.changed.v1", where=lambda e: e["subject"] == contract["id"]
    )
    assert first["data"]["previous_overall"] is None
    assert first["data"]["overall"] == "missed"

    await accounts.sell_in(account_id, f"{year}-01", 60)
    await accounts.sell_in(account_id, f"{year}-01", 120)
    report = await _compliance(client, contract["id"], callers["am"], f"{year}-02-01")
    assert report["items"][0]["actual"] == "120"
    assert report["overall"] == "met"
    changes = await events.wait_for(
        "tread.contracts.compliance.changed.v1", 3, where=lambda e: e["subject"] == contract["id"]
    )
    assert [c["data"]["overall"] for c in changes] == ["missed", "missed", "met"]
    assert changes[-1]["data"]["previous_overall"] == "missed"
    assert changes[-1]["data"]["items"][0]["actual"] == "120"


async def test_compliance_is_read_within_scope(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(account_id, program)
    for role, status in (
        ("am", 200),
        ("dm", 200),
        ("central", 200),
        ("other_am", 404),
        ("other_dm", 404),
        ("integration", 403),
    ):
        response = await client.get(
            f"/v1/contracts/{contract['id']}/compliance", headers=callers[role].headers
        )
        if status == 200:
            assert response.status_code == 200, role
        else:
            assert_problem(response, status)


async def test_a_month_is_judged_when_its_sell_in_arrives_or_its_grace_has_passed(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(
        account_id,
        program,
        start_date="2026-01-01",
        end_date="2026-12-31",
        commitments=[{"kind": "volume", "period": "2026", "quantity": 6000}],
    )
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        await accounts.sell_in(account_id, month, 500)
    am = callers["am"]

    async def year_item(as_of: str) -> dict[str, Any]:
        report = await _compliance(client, contract["id"], am, as_of)
        return _by_kind(report)["volume"]

    # June 3rd: May's sell-in has not arrived yet, so May is not judged (no false alarm on the
    # first of the month): 2000 against the 2000 due for January-April.
    early_june = await year_item("2026-06-03")
    assert (early_june["status"], early_june["expected_to_date"]) == ("on_track", "2000")
    assert early_june["judged_through"] == "2026-04"
    # Ten days of grace passed without May's sell-in: May is judged as it is.
    mid_june = await year_item("2026-06-12")
    assert (mid_june["status"], mid_june["expected_to_date"]) == ("at_risk", "2500")
    # May's sell-in arrives: judged at once.
    await accounts.sell_in(account_id, "2026-05", 450)
    arrived = await year_item("2026-06-03")
    assert (arrived["status"], arrived["expected_to_date"]) == ("on_track", "2500")
    assert arrived["judged_through"] == "2026-05"
    # The year is missed only once December is judged, not on January 1st.
    assert (await year_item("2027-01-05"))["status"] == "at_risk"
    assert (await year_item("2027-01-12"))["status"] == "missed"


@pytest.mark.parametrize("settings_overrides", [{"pace_tolerance_pct": "0"}])
async def test_the_pace_tolerance_is_a_setting(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    contract = await partnerships.active_contract(
        account_id,
        await partnerships.program(),
        start_date="2026-01-01",
        end_date="2026-12-31",
        commitments=[{"kind": "volume", "period": "2026", "quantity": 1200}],
    )
    await accounts.sell_in(account_id, "2026-01", 99)
    report = await _compliance(client, contract["id"], callers["am"], "2026-02-05")
    assert _by_kind(report)["volume"]["status"] == "at_risk"


async def test_audits_count_for_a_time_and_the_first_one_is_due_months_after_the_start(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    contract = await partnerships.active_contract(
        account_id,
        await partnerships.program(),
        start_date="2025-01-01",
        end_date="2026-12-31",
        commitments=[],
    )
    am = callers["am"]

    async def scores(as_of: str) -> dict[str, dict[str, Any]]:
        report = await _compliance(client, contract["id"], am, as_of)
        return {i["criterion"]: i for i in report["items"] if i["kind"] == "audit_score"}

    # A new contract is not at risk for want of an audit before its first one is due.
    before = await scores("2025-03-01")
    assert {c: i["status"] for c, i in before.items()} == {"LP1": "on_track", "LP2": "on_track"}
    assert before["LP1"]["due_by"] == "2025-07-01"
    assert (await scores("2025-07-02"))["LP1"]["status"] == "at_risk"

    audit = await partnerships.post(
        "/v1/audits",
        {
            "account_id": str(account_id),
            "contract_id": contract["id"],
            "performed_at": "2025-02-10T09:00:00Z",
            "auditor": "Wang Fang",
            "scores": [{"criterion": "LP1", "score": 80}, {"criterion": "LP2", "score": 75}],
        },
        am,
    )
    valid = await scores("2025-12-01")
    assert {c: i["status"] for c, i in valid.items()} == {"LP1": "met", "LP2": "met"}
    assert valid["LP1"]["audit_id"] == audit["id"]
    # Twelve months on, the audit no longer counts: a new one is due.
    lapsed = await scores("2026-02-11")
    assert {c: i["status"] for c, i in lapsed.items()} == {"LP1": "at_risk", "LP2": "at_risk"}
    assert lapsed["LP1"]["actual"] is None
    assert lapsed["LP1"]["due_by"] == "2026-02-10"


async def test_pace_follows_the_tiers_seasonal_profile_and_tolerance(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    def tier(profile: Any) -> dict[str, Any]:
        return {
            "code": "gold",
            "pace_tolerance_pct": "0",
            "seasonal_profile": profile,
            "facilitation_budget": {"amount": "0", "currency": "CNY"},
        }

    year = {
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "commitments": [{"kind": "volume", "period": "2026", "quantity": 1200}],
    }
    # Winter tyres: January and February weigh three months each (16 in all).
    winter = await partnerships.program(tiers=[tier(["3", "3"] + ["1"] * 10)])
    assert winter["tiers"][0]["seasonal_profile"][0] == "3"
    shaped = await accounts.open()
    contract = await partnerships.active_contract(shaped, winter, **year)
    for month in ("2026-01", "2026-02"):
        await accounts.sell_in(shaped, month, 200)
    report = await _compliance(client, contract["id"], callers["am"], "2026-03-05")
    volume = _by_kind(report)["volume"]
    # 400 against 1200 x 6/16 = 450 (a straight line would expect 200).
    assert (volume["expected_to_date"], volume["status"]) == ("450", "at_risk")

    # Last year's shape: half of last year's tyres were bought in January.
    habit = await partnerships.program(tiers=[tier("last_year")])
    account_id = await accounts.open()
    contract = await partnerships.active_contract(account_id, habit, **year)
    await accounts.sell_in(account_id, "2025-01", 300)
    await accounts.sell_in(account_id, "2025-07", 300)
    await accounts.sell_in(account_id, "2026-01", 100)
    report = await _compliance(client, contract["id"], callers["am"], "2026-02-05")
    volume = _by_kind(report)["volume"]
    assert (volume["expected_to_date"], volume["status"]) == ("600", "at_risk")

    bad = await client.post(
        "/v1/programs",
        json={"name": "Bad profile", "tiers": [tier(["1"] * 11)]},
        headers=callers["central"].headers,
    )
    assert_problem(bad, 422)
