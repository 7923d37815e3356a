from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def _audit(account_id: Any, contract: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "account_id": str(account_id),
        "contract_id": contract["id"],
        "performed_at": (utcnow() - timedelta(days=1)).isoformat(),
        "auditor": "Wang Fang",
        "scores": [
            {"criterion": "LP1", "score": 55, "evidence": "photos.zip", "comment": "Workshop"},
            {"criterion": "LP3", "score": 90},
        ],
        **fields,
    }


async def test_an_audit_gives_the_overall_score_and_the_gaps(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(
        account_id,
        program,
        commitments=[{"kind": "audit_score", "criterion": "LP3", "min_score": 95}],
    )
    response = await client.post(
        "/v1/audits", json=_audit(account_id, contract), headers=callers["am"].headers
    )
    assert response.status_code == 201, response.text
    audit = response.json()
    assert audit["overall_score"] == "72.5"
    # Gold asks LP1 ≥ 70 and LP2 ≥ 60; the contract raises LP3 to 95. LP2 was not scored.
    assert audit["gaps"] == [
        {"criterion": "LP1", "score": 55, "required": 70},
        {"criterion": "LP2", "score": None, "required": 60},
        {"criterion": "LP3", "score": 90, "required": 95},
    ]
    assert audit["scores"][0] == {
        "criterion": "LP1",
        "score": 55,
        "evidence": "photos.zip",
        "comment": "Workshop",
        "required": 70,
    }
    (event,) = await events.wait_for("tread.contracts.audit.completed.v2")
    assert event["subject"] == audit["id"]
    assert event["data"]["account_id"] == str(account_id)
    assert event["data"]["tier"] == "gold"
    assert event["data"]["gaps"] == audit["gaps"]
    assert event["data"]["overall_score"] == "72.5"


async def test_audit_history_per_account(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    other_account = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(account_id, program)
    other_contract = await partnerships.active_contract(other_account, program)
    am = callers["am"]
    first = await partnerships.post("/v1/audits", _audit(account_id, contract), am)
    second = await partnerships.post(
        "/v1/audits",
        _audit(account_id, contract, scores=[{"criterion": "LP1", "score": 75}]),
        am,
    )
    await partnerships.post("/v1/audits", _audit(other_account, other_contract), am)
    history = await client.get(
        "/v1/audits", params={"account_id": str(account_id)}, headers=am.headers
    )
    assert [a["id"] for a in history.json()["items"]] == [first["id"], second["id"]]
    assert [a["overall_score"] for a in history.json()["items"]] == ["72.5", "75"]
    single = await client.get(f"/v1/audits/{first['id']}", headers=callers["dm"].headers)
    assert single.status_code == 200
    hidden = await client.get(f"/v1/audits/{first['id']}", headers=callers["other_am"].headers)
    assert_problem(hidden, 404)


async def test_bad_audits_are_refused_and_nothing_recorded(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    other_account = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(account_id, program)
    other_contract = await partnerships.draft(other_account, program)
    am = callers["am"].headers
    unknown = "0193e0a0-0000-7000-8000-000000000000"
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"scores": [{"criterion": "LP1", "score": 101}]}, "validation-error"),
        ({"scores": [{"criterion": "LP1", "score": -1}]}, "validation-error"),
        ({"scores": []}, "validation-error"),
        ({"scores": [{"criterion": "LP1", "score": 5}, {"criterion": "LP1", "score": 6}]}, None),
        ({"contract_id": unknown}, "unknown-contract"),
        ({"contract_id": other_contract["id"]}, "contract-account-mismatch"),
        ({"account_id": unknown}, "unknown-account"),
        ({"performed_at": (utcnow() + timedelta(days=2)).isoformat()}, "invalid-time"),
    ]
    for change, slug in cases:
        response = await client.post(
            "/v1/audits", json={**_audit(account_id, contract), **change}, headers=am
        )
        assert_problem(response, 422, slug)
    assert (await client.get("/v1/audits", headers=am)).json()["items"] == []
    # The one good audit after them is the only one the stream hears of.
    await partnerships.post("/v1/audits", _audit(account_id, contract), callers["am"])
    await events.wait_for("tread.contracts.audit.completed.v2")
    assert len(await events.of_type("tread.contracts.audit")) == 1


async def test_the_overall_score_uses_the_tiers_criterion_weights(
    callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program(
        tiers=[
            {
                "code": "gold",
                "min_scores": {"LP1": 70},
                "criterion_weights": {"LP1": "3", "LP2": "1"},
                "facilitation_budget": {"amount": "0", "currency": "CNY"},
            }
        ]
    )
    assert program["tiers"][0]["criterion_weights"] == {"LP1": "3", "LP2": "1"}
    contract = await partnerships.active_contract(account_id, program)
    audit = await partnerships.post(
        "/v1/audits",
        {
            **_audit(account_id, contract),
            "scores": [{"criterion": "LP1", "score": 80}, {"criterion": "LP2", "score": 40}],
        },
        callers["am"],
    )
    # (3 x 80 + 1 x 40) / 4, not the plain mean 60.
    assert audit["overall_score"] == "70"
    # A criterion not named weighs 1.
    unnamed = await partnerships.post(
        "/v1/audits",
        {
            **_audit(account_id, contract),
            "scores": [{"criterion": "LP1", "score": 80}, {"criterion": "LP9", "score": 40}],
        },
        callers["am"],
    )
    assert unnamed["overall_score"] == "70"


async def test_a_pre_partnership_audit_needs_no_contract_and_counts_for_the_one_that_follows(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    am = callers["am"]
    body = {
        "account_id": str(account_id),
        "program_id": program["id"],
        "tier": "gold",
        "performed_at": (utcnow() - timedelta(days=3)).isoformat(),
        "auditor": "Wang Fang",
        "scores": [{"criterion": "LP1", "score": 55}, {"criterion": "LP2", "score": 65}],
    }
    audit = await partnerships.post("/v1/audits", body, am)
    # Judged against gold (LP1 ≥ 70, LP2 ≥ 60) before any contract exists.
    assert audit["contract_id"] is None
    assert (audit["program_id"], audit["program_version"], audit["tier"]) == (
        program["id"],
        1,
        "gold",
    )
    assert audit["gaps"] == [{"criterion": "LP1", "score": 55, "required": 70}]
    (event,) = await events.wait_for("tread.contracts.audit.completed.v2")
    assert event["data"]["contract_id"] is None
    assert event["data"]["program_id"] == program["id"]
    assert event["data"]["gaps"] == audit["gaps"]

    # The contract the audit decided: its scores count until the audit lapses.
    contract = await partnerships.active_contract(account_id, program, commitments=[])
    compliance = await client.get(f"/v1/contracts/{contract['id']}/compliance", headers=am.headers)
    scores = {i["criterion"]: i for i in compliance.json()["items"] if i["kind"] == "audit_score"}
    assert (scores["LP1"]["status"], scores["LP1"]["audit_id"]) == ("at_risk", audit["id"])
    assert scores["LP2"]["status"] == "met"

    for change, slug in (
        ({"tier": "platinum"}, "unknown-tier"),
        ({"program_id": "0193e0a0-0000-7000-8000-000000000000"}, "unknown-program"),
        ({"tier": None}, "validation-error"),
        ({"contract_id": contract["id"]}, "validation-error"),
    ):
        response = await client.post("/v1/audits", json={**body, **change}, headers=am.headers)
        assert_problem(response, 422, slug)
