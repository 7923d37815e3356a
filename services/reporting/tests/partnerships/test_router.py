from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller, assert_problem


async def test_a_signed_contract_shows_as_the_accounts_partnership(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(name="Huatai Tyres")
    state = await producers.active_contract(account_id, tier="gold")

    answer = await client.get(
        f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["account"]["name"] == "Huatai Tyres"
    assert body["contract_status"] == "active"
    assert body["tier"] == "gold"
    assert body["program_id"] == str(state.program_id)
    assert body["renewal_due"] == state.end_date.isoformat()
    signatures = {s["party"]: s for s in body["contract"]["signatures"]}
    assert set(signatures) == {"customer", "manufacturer"}
    assert signatures["customer"]["signer_name"] == "Li Wei"
    assert body["as_of"]["sequence"] > 0
    assert body["as_of"]["time"] is not None


async def test_the_partnership_tells_audits_commitments_facilitations_cases_and_credit(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account()
    state = await producers.active_contract(account_id, volume=6000)
    await producers.audit(state, {"LP1": 60, "LP2": 70}, {"LP1": 70, "LP2": 60})
    await producers.audit(state, {"LP1": 75, "LP2": 80}, {"LP1": 70, "LP2": 60})
    year = utcnow().year
    await producers.sell_in(account_id, f"{year}-01", 1500)
    await producers.sell_in(account_id, f"{year}-02", 1000)
    # The billing system corrects February: the later report replaces the earlier one.
    await producers.sell_in(account_id, f"{year}-02", 1200)
    await producers.facilitation(state, "1500.00", spent="400.00")
    await producers.facilitation(state, "900.00", granted=False)
    await producers.case(account_id, category="credit")
    billing = await producers.case(account_id, category="billing")
    await producers.case_status(billing, "resolved")
    await producers.credit(account_id, blocked=True)
    await producers.compliance(state, "at_risk")

    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["dm"].headers)
    ).json()

    assert body["latest_audit"]["overall_score"] == "77.50"
    assert body["audit_trend"] == "up"
    assert [p["overall_score"] for p in body["audit_history"]] == ["77.50", "65.00"]
    assert body["open_gaps"] == []
    [volume] = body["commitments"]
    assert volume["quantity"] == 6000
    assert volume["actual_units"] == 2700
    assert volume["share"] == "0.45"
    assert volume["met"] is False
    facilitations = body["facilitations"]
    assert facilitations["granted"] == [{"amount": "1500.00", "currency": "CNY"}]
    assert facilitations["spent"] == [{"amount": "400.00", "currency": "CNY"}]
    assert facilitations["rejected"] == 1
    assert body["open_cases"] == {"credit": 1}
    assert body["credit"]["blocked"] is True
    assert body["compliance"]["overall"] == "at_risk"


async def test_an_account_without_contract_has_no_partnership_yet(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account()

    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers)
    ).json()

    assert body["contract_status"] == "none"
    assert body["contract"] is None
    assert body["renewal_due"] is None


async def test_the_partnership_is_the_contract_in_force_not_the_renewal_draft(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account()
    year = utcnow().year
    current = await producers.active_contract(account_id, tier="silver")
    await producers.contract(
        account_id, tier="gold", start=date(year + 1, 1, 1), end=date(year + 1, 12, 31)
    )

    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers)
    ).json()

    assert body["contract"]["contract_id"] == str(current.contract_id)
    assert body["tier"] == "silver"
    assert [c["status"] for c in body["other_contracts"]] == ["draft"]


async def test_outside_the_callers_scope_a_partnership_is_not_found(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(owner_id="am-1", territory="north")
    await producers.active_contract(account_id)
    path = f"/v1/reports/partnerships/{account_id}"

    for role in ("am", "dm", "central", "admin"):
        assert (await client.get(path, headers=callers[role].headers)).status_code == 200, role
    for role in ("other_am", "other_dm", "kam"):
        assert_problem(await client.get(path, headers=callers[role].headers), 404, "not-found")
    assert_problem(await client.get(path, headers=callers["integration"].headers), 403)
    assert_problem(await client.get(path), 401)
    unknown = await client.get(
        f"/v1/reports/partnerships/{uuid.uuid4()}", headers=callers["admin"].headers
    )
    assert_problem(unknown, 404)
    assert_problem(
        await client.get("/v1/reports/partnerships/not-a-uuid", headers=callers["admin"].headers),
        422,
    )


async def test_the_list_follows_scope_and_filters_and_pages(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    today = utcnow().date()
    gold = await producers.account(owner_id="am-1", territory="north")
    await producers.active_contract(gold, tier="gold", end=today + timedelta(days=20))
    silver = await producers.account(owner_id="am-1", territory="north")
    await producers.active_contract(silver, tier="silver", end=today + timedelta(days=200))
    prospect = await producers.account(owner_id="am-1", territory="north", status="prospect")
    south = await producers.account(owner_id="am-2", territory="south")
    await producers.active_contract(south, tier="gold")

    async def ids(caller: str, **params: Any) -> list[str]:
        answer = await client.get(
            "/v1/reports/partnerships", params=params, headers=callers[caller].headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["as_of"]["sequence"] > 0
        return [item["account_id"] for item in answer.json()["items"]]

    mine = sorted(str(a) for a in (gold, silver, prospect))
    assert await ids("am") == mine
    assert await ids("dm") == mine
    assert await ids("other_dm") == [str(south)]
    assert sorted(await ids("central")) == sorted([*mine, str(south)])
    assert await ids("am", tier="gold") == [str(gold)]
    assert await ids("am", status="none") == [str(prospect)]
    assert await ids("am", renewal_due_within_days=30) == [str(gold)]
    assert await ids("central", territory="south") == [str(south)]
    assert await ids("central", owner_id="am-2") == [str(south)]

    first = await client.get(
        "/v1/reports/partnerships", params={"limit": 2}, headers=callers["am"].headers
    )
    assert [i["account_id"] for i in first.json()["items"]] == mine[:2]
    cursor = first.json()["next_cursor"]
    second = await client.get(
        "/v1/reports/partnerships",
        params={"limit": 2, "cursor": cursor},
        headers=callers["am"].headers,
    )
    assert [i["account_id"] for i in second.json()["items"]] == mine[2:]
    assert second.json()["next_cursor"] is None


async def test_each_list_item_tells_contract_audits_and_open_cases_as_the_partnership(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    today = utcnow().date()
    audited = await producers.account(name="Audited")
    state = await producers.active_contract(audited, tier="gold", end=today + timedelta(days=40))
    await producers.audit(state, {"LP1": 80}, {"LP1": 70})
    await producers.audit(state, {"LP1": 60}, {"LP1": 70})
    await producers.case(audited, category="credit")
    await producers.case(audited, category="billing")
    resolved = await producers.case(audited, category="billing")
    await producers.case_status(resolved, "resolved")
    once = await producers.account(name="Audited once")
    await producers.audit(await producers.active_contract(once, tier="silver"), {"LP1": 75}, {})
    prospect = await producers.account(name="Prospect", status="prospect")
    await producers.case(prospect)

    answer = await client.get("/v1/reports/partnerships", headers=callers["am"].headers)

    assert answer.status_code == 200, answer.text
    items = {item["account_id"]: item for item in answer.json()["items"]}
    assert items[str(audited)] == {
        "account_id": str(audited),
        "account_name": "Audited",
        "owner_id": "am-1",
        "territory": "north",
        "contract_status": "active",
        "contract_id": str(state.contract_id),
        "program_id": str(state.program_id),
        "program_name": "Partner program",
        "tier": "gold",
        "start_date": state.start_date.isoformat(),
        "end_date": state.end_date.isoformat(),
        "renewal_due": state.end_date.isoformat(),
        "latest_audit_score": "60.00",
        "audit_trend": "down",
        "open_cases": 2,
    }
    assert items[str(once)]["latest_audit_score"] == "75.00"
    assert items[str(once)]["audit_trend"] is None
    assert items[str(once)]["open_cases"] == 0
    assert {k: v for k, v in items[str(prospect)].items() if v is not None} == {
        "account_id": str(prospect),
        "account_name": "Prospect",
        "owner_id": "am-1",
        "territory": "north",
        "contract_status": "none",
        "open_cases": 1,
    }
    active = await client.get(
        "/v1/reports/partnerships", params={"status": "active"}, headers=callers["am"].headers
    )
    assert sorted(i["account_id"] for i in active.json()["items"]) == sorted(
        [str(audited), str(once)]
    )
    # The single partnership says the same of each.
    for account_id, item in items.items():
        single = (
            await client.get(
                f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers
            )
        ).json()
        assert item["audit_trend"] == single["audit_trend"]
        assert item["open_cases"] == sum(single["open_cases"].values())
        assert item["renewal_due"] == single["renewal_due"]


async def test_bad_list_parameters_are_problems(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    headers = callers["central"].headers
    for params in (
        {"status": "sleeping"},
        {"renewal_due_within_days": -1},
        {"limit": 0},
        {"program": "x"},
    ):
        assert_problem(
            await client.get("/v1/reports/partnerships", params=params, headers=headers), 422
        )
    assert_problem(
        await client.get(
            "/v1/reports/partnerships", params={"cursor": "nonsense"}, headers=headers
        ),
        400,
    )


async def test_audits_of_either_version_show_with_pre_partnership_ones(
    app: Any, client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    from tread_shared.events.payloads.contracts import AuditCompletedV1

    account_id = await producers.account()
    state = await producers.active_contract(account_id)
    current = await producers.audit(state, {"LP1": 80}, {"LP1": 70})
    # An older event of the stream (v1), as a rebuild replays it.
    older = AuditCompletedV1.model_validate(
        {
            **current.model_dump(),
            "audit_id": uuid.uuid4(),
            "performed_at": current.performed_at - timedelta(days=200),
            "overall_score": "60",
        }
    )
    await producers.publish(older, older.audit_id)
    # A pre-partnership audit (no contract yet) of a prospect: its audit history starts there.
    prospect = await producers.account()
    pre_partnership = type(current).model_validate(
        {
            **current.model_dump(),
            "audit_id": uuid.uuid4(),
            "account_id": prospect,
            "contract_id": None,
            "overall_score": "55",
            "gaps": [{"criterion": "LP1", "score": 55, "required": 70}],
        }
    )
    await producers.publish(pre_partnership, pre_partnership.audit_id)

    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["dm"].headers)
    ).json()
    assert [p["overall_score"] for p in body["audit_history"]] == ["80.00", "60.00"]
    assert body["audit_trend"] == "up"
    before = (
        await client.get(f"/v1/reports/partnerships/{prospect}", headers=callers["dm"].headers)
    ).json()
    assert before["contract_status"] == "none"
    assert before["latest_audit"]["contract_id"] is None
    assert before["latest_audit"]["overall_score"] == "55.00"
    assert [g["criterion"] for g in before["open_gaps"]] == ["LP1"]
    assert app.state.runtime.consumers[0].dead_lettered == 0


async def test_the_rebates_earned_show_with_the_partnership(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    from tread_shared.events.payloads.contracts import RebateAmount, RebateEarned
    from tread_shared.money import Money

    account_id = await producers.account()
    state = await producers.active_contract(account_id, tier="gold")
    earned = RebateEarned(
        contract_id=state.contract_id,
        account_id=account_id,
        program_id=state.program_id,
        program_version=1,
        tier="gold",
        tier_reached="silver",
        rebate_pct="1",
        period_start=state.start_date,
        period_end=state.end_date,
        compliance="missed",
        sell_in_units=3000,
        amounts=[
            RebateAmount(
                sell_in_value=Money.of("300000.00", "CNY"), rebate=Money.of("3000.00", "CNY")
            )
        ],
        judged_on=state.end_date + timedelta(days=11),
        computed_at=utcnow(),
    )
    await producers.publish(earned, state.contract_id)
    # Announced again (a redelivery under another event id): still one rebate.
    await producers.publish(earned, state.contract_id)

    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers)
    ).json()
    [rebate] = body["rebates"]
    assert rebate["contract_id"] == str(state.contract_id)
    assert (rebate["tier"], rebate["tier_reached"], rebate["compliance"]) == (
        "gold",
        "silver",
        "missed",
    )
    assert rebate["rebate"] == [{"amount": "3000.00", "currency": "CNY"}]
    assert rebate["sell_in_value"] == [{"amount": "300000.00", "currency": "CNY"}]
    other = await producers.account()
    answer = await client.get(f"/v1/reports/partnerships/{other}", headers=callers["am"].headers)
    assert answer.json()["rebates"] == []
