"""A partnership from offer to renewal, through the API, every step announced on the stream:
offer → accepted → contract → submitted → customer signs → manufacturer countersigns → active →
audit with gaps → facilitation → renewal signed 60 days before the end, scheduled, taking over
the day after the current contract ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller


async def test_a_partnership_from_offer_to_renewal(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    am, dm, kam, central = callers["am"], callers["dm"], callers["kam"], callers["central"]
    post = partnerships.post
    account_id = await accounts.open(
        owner_id="am-1", territory="north", key_account_manager_id="kam-1"
    )
    # A year's contract that ends 60 days from now: the renewal is signed in its notice window.
    end = utcnow().date() + timedelta(days=60)
    start = end - timedelta(days=364)
    year = start.year

    program = await post(
        "/v1/programs",
        {
            "name": "Premium truck dealers",
            "tiers": [
                {
                    "code": "gold",
                    "min_annual_volume": 5000,
                    "min_scores": {"LP1": 70, "LP2": 60},
                    "rebate_pct": "2.5",
                    "facilitation_budget": {"amount": "10000.00", "currency": "CNY"},
                }
            ],
        },
        central,
    )

    # The offer: 12 % is above an account manager's 10 %, so a district manager approves.
    offer = await partnerships.offer(account_id, discount="12")
    assert offer["status"] == "pending_approval"
    await post(f"/v1/offers/{offer['id']}/approve", None, dm, 200)
    accepted = await post(f"/v1/offers/{offer['id']}/accept", None, am, 200)
    assert accepted["status"] == "accepted"

    contract = await post(
        "/v1/contracts",
        {
            "offer_id": offer["id"],
            "program_id": program["id"],
            "tier": "gold",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "commitments": [{"kind": "volume", "period": str(year), "quantity": 6000}],
        },
        am,
    )
    assert contract["status"] == "draft"
    assert (await post(f"/v1/contracts/{contract['id']}/submit", None, am, 200))[
        "status"
    ] == "submitted"
    assert (await partnerships.sign(contract["id"], "customer", am))["status"] == "signed"
    active = await partnerships.sign(contract["id"], "manufacturer", dm)
    assert active["status"] == "active"

    audit = await post(
        "/v1/audits",
        {
            "account_id": str(account_id),
            "contract_id": contract["id"],
            "performed_at": active["activated_at"],
            "auditor": "Wang Fang",
            "scores": [
                {"criterion": "LP1", "score": 55, "evidence": "workshop photos"},
                {"criterion": "LP2", "score": 80},
            ],
        },
        am,
    )
    assert audit["gaps"] == [{"criterion": "LP1", "score": 55, "required": 70}]

    guideline = await post(
        "/v1/facilitation-guidelines",
        {
            "type": "marketing_fund",
            "eligible_tiers": ["gold"],
            "cap_per_account_per_year": {"amount": "5000.00", "currency": "CNY"},
            "approval_threshold": {"amount": "2000.00", "currency": "CNY"},
        },
        kam,
    )
    facilitation = await post(
        "/v1/facilitations",
        {
            "account_id": str(account_id),
            "guideline_id": guideline["id"],
            "amount": {"amount": "2500.00", "currency": "CNY"},
            "justification": "Spring truck-tyre campaign",
        },
        am,
    )
    assert facilitation["status"] == "pending_approval"
    granted = await post(f"/v1/facilitations/{facilitation['id']}/approve", None, kam, 200)
    assert granted["status"] == "granted"

    async def status_of(contract_id: str) -> str:
        read = await client.get(f"/v1/contracts/{contract_id}", headers=am.headers)
        status: str = read.json()["status"]
        return status

    # Renewed 60 days early: the renewal waits for its start, the dealer keeps his partnership
    # to the last day of the current contract.
    renewal = await post(f"/v1/contracts/{contract['id']}/renew", {}, am, 201)
    assert renewal["start_date"] == (end + timedelta(days=1)).isoformat()
    assert (await partnerships.activate(renewal))["status"] == "scheduled"
    assert await status_of(contract["id"]) == "active"
    await partnerships.run_daily_work(end)
    assert (await status_of(contract["id"]), await status_of(renewal["id"])) == (
        "active",
        "scheduled",
    )
    await partnerships.run_daily_work(end + timedelta(days=1))
    assert (await status_of(contract["id"]), await status_of(renewal["id"])) == (
        "renewed",
        "active",
    )

    expected = [
        ("program.published", program["id"]),
        ("offer.submitted", offer["id"]),
        ("offer.approved", offer["id"]),
        ("offer.accepted", offer["id"]),
        ("contract.created", contract["id"]),
        ("contract.submitted", contract["id"]),
        ("contract.signed", contract["id"]),
        ("contract.signed", contract["id"]),
        ("contract.activated", contract["id"]),
        ("compliance.changed", contract["id"]),
        ("audit.completed", audit["id"]),
        ("facilitation_guideline.published", guideline["id"]),
        ("facilitation.requested", facilitation["id"]),
        ("facilitation.granted", facilitation["id"]),
        ("contract.created", renewal["id"]),
        ("contract.submitted", renewal["id"]),
        ("contract.signed", renewal["id"]),
        ("contract.signed", renewal["id"]),
        ("contract.activated", renewal["id"]),
        ("contract.renewed", contract["id"]),
    ]
    await events.wait_for("tread.contracts.contract.renewed.v1")
    seen = [
        (event["type"].removeprefix("tread.contracts.").rsplit(".", 1)[0], event["subject"])
        for event in await events.all()
        if event["type"].startswith("tread.contracts.") and "instance" not in event["type"]
    ]
    # The stream keeps each entity's events in order (not the order across entities).
    for subject in {subject for _, subject in expected}:
        wanted = [step for step in expected if step[1] == subject]
        remaining = iter(step for step in seen if step[1] == subject)
        missing = [step for step in wanted if step not in remaining]
        assert missing == [], f"not in order on the stream: {missing}; stream: {seen}"

    by_type = {event["type"]: event for event in await events.all()}
    signed = await events.wait_for(
        "tread.contracts.contract.signed.v1", 2, where=lambda e: e["subject"] == contract["id"]
    )
    assert [e["data"]["signature"]["party"] for e in signed] == ["customer", "manufacturer"]
    assert by_type["tread.contracts.audit.completed.v2"]["data"]["gaps"] == audit["gaps"]
    renewed = by_type["tread.contracts.contract.renewed.v1"]["data"]
    assert renewed["renewed_by_contract_id"] == renewal["id"]
    assert renewed["contract"]["status"] == "renewed"
    granted_event = by_type["tread.contracts.facilitation.granted.v1"]["data"]
    assert granted_event["granted_by"] == "kam-1"
    assert granted_event["balance"]["granted"] == {"amount": "2500.00", "currency": "CNY"}
    assert by_type["tread.contracts.offer.accepted.v1"]["data"]["net_total"] == offer["net_total"]
