"""Dates, times and numbers outside what the business can mean are a 422 naming the field,
before anything is looked up or stored: a contract ending 9999-12-31 once made every later
read of it a 500 (year 10000)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tread_contracts.contracts.models import Contract
from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.service_checks import assert_bodies_checked, assert_inputs_bounded

SOME_ID = "0192f0c4-0000-7000-8000-000000000000"
CONTRACT = {
    "account_id": SOME_ID,
    "program_id": SOME_ID,
    "tier": "gold",
    "start_date": "2027-01-01",
    "end_date": "2027-12-31",
}
OFFER = {"account_id": SOME_ID, "lines": [{"product_code": "TBR-1", "quantity": 4}]}
AUDIT = {
    "account_id": SOME_ID,
    "contract_id": SOME_ID,
    "auditor": "Claire",
    "scores": [{"criterion": "LP1", "score": 80}],
}
TIER = {"code": "gold", "facilitation_budget": {"amount": "1000.00", "currency": "CNY"}}

REFUSED: dict[str, tuple[str, str, dict[str, Any], list[str]]] = {
    "contract ending in 9999": (
        "POST", "/v1/contracts", {**CONTRACT, "end_date": "9999-12-31"}, ["body", "end_date"]
    ),
    "contract starting in year 1": (
        "POST", "/v1/contracts", {**CONTRACT, "start_date": "0001-01-01"}, ["body", "start_date"]
    ),
    "contract date as a number": (
        "POST", "/v1/contracts", {**CONTRACT, "start_date": 1798761600}, ["body", "start_date"]
    ),
    "offer valid until 9999": (
        "POST", "/v1/offers", {**OFFER, "valid_until": "9999-12-31"}, ["body", "valid_until"]
    ),
    "audit performed before year 1 in UTC": (
        "POST",
        "/v1/audits",
        {**AUDIT, "performed_at": "0001-01-01T00:00:00+14:00"},
        ["body", "performed_at"],
    ),
    "tier volume of 2**63": (
        "POST",
        "/v1/programs",
        {"name": "Big", "tiers": [{**TIER, "min_annual_volume": 2**63}]},
        ["body", "tiers", "0", "min_annual_volume"],
    ),
    "audit score given as false": (
        "POST",
        "/v1/audits",
        {
            **AUDIT,
            "performed_at": "2027-01-15T10:00:00Z",
            "scores": [{"criterion": "LP1", "score": False}],
        },
        ["body", "scores", "0", "score"],
    ),
    "tier minimum score given as false": (
        "POST",
        "/v1/programs",
        {"name": "Big", "tiers": [{**TIER, "min_scores": {"LP1": False}}]},
        ["body", "tiers", "0", "min_scores", "LP1"],
    ),
    "commitment quantity given as true": (
        "POST",
        "/v1/contracts",
        {**CONTRACT, "commitments": [{"kind": "volume", "period": "2027", "quantity": True}]},
        ["body", "commitments", "0", "quantity"],
    ),
    "tier minimum volume given as true": (
        "POST",
        "/v1/programs",
        {"name": "Big", "tiers": [{**TIER, "min_annual_volume": True}]},
        ["body", "tiers", "0", "min_annual_volume"],
    ),
    "currency not in ISO 4217": (
        "POST",
        "/v1/offers",
        {
            **OFFER,
            "valid_until": "2027-01-31",
            "lines": [{**OFFER["lines"][0], "list_price": {"amount": "10", "currency": "ZZZ"}}],
        },
        ["body", "lines", "0", "list_price", "currency"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
async def test_an_impossible_value_is_a_422_naming_the_field(
    client: httpx.AsyncClient, callers: dict[str, Caller], case: tuple[Any, ...]
) -> None:
    method, path, body, location = case

    response = await client.request(method, path, json=body, headers=callers["admin"].headers)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["location"] for error in problem["errors"]] == [location]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/contracts?updated_since=0001-01-01T00:00:00%2B14:00",
        "/v1/contracts?updated_since=-100000000000",
        "/v1/contracts?in_force_on=2e-09",
        "/v1/audits?updated_since=9999-12-31T23:59:59-14:00",
        f"/v1/contracts/{SOME_ID}/compliance?as_of=9999-12-31",
        f"/v1/programs/{SOME_ID}/versions/9223372036854775808",
    ],
)
async def test_an_impossible_query_or_path_value_is_a_422(
    client: httpx.AsyncClient, callers: dict[str, Caller], path: str
) -> None:
    response = await client.get(path, headers=callers["admin"].headers)

    assert_problem(response, 422, "validation-error")


def test_every_date_and_count_a_client_may_send_is_bounded(app: FastAPI) -> None:
    assert_inputs_bounded(app)


async def test_a_contract_stored_ending_in_9999_before_the_bounds_reads_and_signs(
    app: FastAPI,
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
) -> None:
    """Rows written before dates were bounded (a contract ending 9999-12-31) are read as ending
    on the last accepted day: every read and step works, for everyone, instead of a 500."""
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program)
    contracts = Contract.__table__
    async with app.state.runtime.db.unit_of_work() as session:
        await session.execute(
            update(contracts)
            .where(contracts.c.id == uuid.UUID(draft["id"]))
            .values(end_date=date(9999, 12, 31))
        )

    active = await partnerships.activate(draft)
    compliance = await client.get(
        f"/v1/contracts/{draft['id']}/compliance", headers=callers["am"].headers
    )
    listed = await client.get(
        f"/v1/contracts?account_id={account_id}", headers=callers["dm"].headers
    )
    await partnerships.run_daily_work(utcnow().date())

    assert active["status"] == "active"
    assert active["end_date"] == "2199-12-31"
    assert compliance.status_code == 200, compliance.text
    assert listed.status_code == 200, listed.text
    assert [c["end_date"] for c in listed.json()["items"]] == ["2199-12-31"]


def test_every_body_model_takes_booleans_and_integers_as_documented(app: FastAPI) -> None:
    assert_bodies_checked(app)
