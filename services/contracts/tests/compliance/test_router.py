"""Compliance: commitments and tier requirements against sell-in (from the accounts service's
events) and the latest audit."""

from __future__ import annotations

from typing import Any

import httpx

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
            "performed_at": utcnow().isoformat(),
            "auditor": "Wang Fang",
            "scores": [{"criterion": "LP1", "score": 80}, {"criterion": "LP2", "score": 40}],
        },
        callers["am"],
    )

    # In early May: Q1 reached 1300 ≥ 1200; the year has 1800 of 6000 with four of twelve months
    # closed (2000 due by now): behind pace. Gold's 5000 a year: 1800 against 1667 due — on track.
    may = await _compliance(client, contract["id"], callers["am"], "2026-05-05")
    items = {(i["kind"], i["period"] or i["criterion"]): i for i in may["items"]}
    assert items[("volume", "2026-Q1")]["status"] == "met"
    assert items[("volume", "2026")]["status"] == "at_risk"
    assert items[("volume", "2026")]["actual"] == "1800"
    assert items[("volume", "2026")]["expected_to_date"] == "2000"
    assert items[("tier_volume", "2026-01-01/2026-12-31")]["status"] == "on_track"
    assert items[("audit_score", "LP1")]["status"] == "met"
    assert items[("audit_score", "LP2")]["status"] == "at_risk"
    assert may["overall"] == "at_risk"
    assert may["latest_audit"]["overall_score"] == "60"

    # After the year: what was not reached is missed.
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
