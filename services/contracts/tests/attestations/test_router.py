"""Attestations: a tier's other requirements and a contract's ``other`` commitments are
evaluated on evidence someone attested, not skipped."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

TIER = {
    "code": "gold",
    "other_requirements": [
        {"name": "Trained staff", "description": "Certified fitters", "minimum": "3"}
    ],
    "facilitation_budget": {"amount": "0", "currency": "CNY"},
}
YEAR = {
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
    "commitments": [{"kind": "other", "name": "Signage", "description": "Brand signage"}],
}


async def _compliance_of_named(
    client: httpx.AsyncClient, contract_id: str, by: Caller, as_of: str
) -> dict[str, Any]:
    """The contract's named requirements in its compliance as of a day, by name."""
    response = await client.get(
        f"/v1/contracts/{contract_id}/compliance", params={"as_of": as_of}, headers=by.headers
    )
    assert response.status_code == 200, response.text
    return {i["name"]: i for i in response.json()["items"] if i["kind"] == "other"}


async def test_other_requirements_count_on_what_was_attested(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    contract = await partnerships.active_contract(
        account_id, await partnerships.program(tiers=[TIER]), **YEAR
    )
    path = f"/v1/contracts/{contract['id']}/attestations"

    async def _named(contract_id: str, as_of: str) -> dict[str, Any]:
        return await _compliance_of_named(client, contract_id, callers["am"], as_of)

    # Not skipped: before the first is due (six months in), nothing attested is on track.
    march = await _named(contract["id"], "2026-03-01")
    assert {n: (i["status"], i["required"], i["due_by"]) for n, i in march.items()} == {
        "Trained staff": ("on_track", "3", "2026-07-01"),
        "Signage": ("on_track", "1", "2026-07-01"),
    }

    short = await partnerships.post(
        path,
        {
            "requirement": "Trained staff",
            "value": "2",
            "evidence": "Two certificates seen",
            "attested_at": "2026-03-10T10:00:00Z",
        },
        callers["am"],
    )
    assert (short["met"], short["minimum"], short["attested_by"]) == (False, "3", "am-1")
    assert (await _named(contract["id"], "2026-03-20"))["Trained staff"]["status"] == ("at_risk")
    enough = await partnerships.post(
        path,
        {
            "requirement": "Trained staff",
            "value": "4",
            "evidence_url": "https://docs.example.com/training/2026.pdf",
            "attested_at": "2026-05-02T10:00:00Z",
        },
        callers["dm"],
    )
    assert (enough["met"], enough["attested_by"]) == (True, "dm-north")
    june = await _named(contract["id"], "2026-06-01")
    assert (june["Trained staff"]["status"], june["Trained staff"]["actual"]) == ("met", "4")
    assert june["Trained staff"]["attestation_id"] == enough["id"]
    # The signage was never attested: once due, it is at risk.
    august = await _named(contract["id"], "2026-08-01")
    assert august["Signage"]["status"] == "at_risk"

    signage = await partnerships.post(
        path,
        {
            "requirement": "Signage",
            "evidence": "Photo of the new sign",
            "attested_at": "2026-08-03T09:00:00Z",
        },
        callers["am"],
    )
    assert signage["met"] is True
    assert (await _named(contract["id"], "2026-08-05"))["Signage"]["status"] == "met"
    # A past day's answer does not change with a later attestation.
    assert (await _named(contract["id"], "2026-08-01"))["Signage"]["status"] == "at_risk"

    history = await client.get(path, headers=callers["central"].headers)
    assert [(a["requirement"], a["value"], a["met"]) for a in history.json()["items"]] == [
        ("Trained staff", "2", False),
        ("Trained staff", "4", True),
        ("Signage", None, True),
    ]
    changed = await events.wait_for(
        "tread.contracts.compliance.changed.v1", where=lambda e: e["subject"] == contract["id"]
    )
    assert any(item["kind"] == "other" for item in changed[-1]["data"]["items"])


async def test_bad_attestations_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program(tiers=[TIER])
    contract = await partnerships.active_contract(account_id, program, **YEAR)
    draft = await partnerships.draft(await accounts.open(), program, **YEAR)
    good = {"requirement": "Signage", "evidence": "Photo"}
    path = f"/v1/contracts/{contract['id']}/attestations"
    am = callers["am"].headers
    for body, status, slug in (
        ({"requirement": "Parking"}, 422, "validation-error"),
        ({**good, "requirement": "Parking"}, 422, "unknown-requirement"),
        ({**good, "requirement": "Trained staff"}, 422, "value-required"),
        ({**good, "evidence_url": "not a link"}, 422, "validation-error"),
        ({**good, "value": "-1"}, 422, "validation-error"),
        ({**good, "attested_at": "2999-01-01T00:00:00Z"}, 422, None),
    ):
        response = await client.post(path, json=body, headers=am)
        assert_problem(response, status, slug)
    unknown = await client.post(path, json={**good, "requirement": "Parking"}, headers=am)
    assert "'Trained staff', 'Signage'" in unknown.json()["detail"]
    # Only once both parties have signed; only within scope; central only reads.
    response = await client.post(f"/v1/contracts/{draft['id']}/attestations", json=good, headers=am)
    assert_problem(response, 409, "contract-not-signed")
    other = await client.post(path, json=good, headers=callers["other_am"].headers)
    assert_problem(other, 404)
    central = await client.post(path, json=good, headers=callers["central"].headers)
    assert_problem(central, 403)
    assert (await client.get(path, headers=am)).json()["items"] == []
