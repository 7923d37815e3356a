"""The periodic escalation of overdue cases, also with two replicas on one database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tread_accounts.app import create_app
from tread_accounts.settings import Settings
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.plugin import serve_in_process


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        # Quality cases are due at once; everything else in a week.
        "case_sla_rules": [{"category": "quality", "hours": 0}, {"hours": 168}],
        "case_escalation_interval_seconds": 0.1,
        "case_escalation_first_delay_seconds": 0.5,
    }


async def test_overdue_cases_are_escalated_once_by_two_replicas(
    client: httpx.AsyncClient,
    settings: Settings,
    portfolio: Any,
    am: Caller,
    events: EventStream,
) -> None:
    second_replica = create_app(settings.model_copy(update={"instance_id": "replica-2"}))
    async with serve_in_process(second_replica) as other:
        account = await portfolio.account(by=am)
        overdue = []
        for index in range(12):
            response = await (client if index % 2 else other).post(
                f"/v1/accounts/{account['id']}/cases",
                json={"category": "quality", "description": f"Sidewall bulge #{index}"},
                headers=am.headers,
            )
            overdue.append(response.json()["id"])
        on_time = await client.post(
            f"/v1/accounts/{account['id']}/cases",
            json={"category": "supply", "description": "Late delivery"},
            headers=am.headers,
        )
        escalated = await events.wait_for("tread.accounts.case.escalated", len(overdue))
        await asyncio.sleep(0.5)  # both replicas ran several more times meanwhile

    escalated = await events.of_type("tread.accounts.case.escalated")
    assert sorted(e["subject"] for e in escalated) == sorted(overdue)
    listed = await client.get("/v1/cases", params={"escalated": "true"}, headers=am.headers)
    assert {c["id"] for c in listed.json()["items"]} == set(overdue)
    assert all(c["overdue"] and c["escalated"] for c in listed.json()["items"])
    fine = await client.get("/v1/cases", params={"overdue": "false"}, headers=am.headers)
    assert [c["id"] for c in fine.json()["items"]] == [on_time.json()["id"]]


async def test_a_new_sla_lifts_the_escalation(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    case = await client.post(
        f"/v1/accounts/{account['id']}/cases",
        json={"category": "quality", "description": "Tread separation"},
        headers=am.headers,
    )
    await events.wait_for("tread.accounts.case.escalated")
    recategorised = await client.patch(
        f"/v1/cases/{case.json()['id']}",
        json={"category": "other"},
        headers=am.with_(**{"If-Match": "*"}),
    )
    assert recategorised.status_code == 200, recategorised.text
    assert recategorised.json()["overdue"] is False
    assert recategorised.json()["escalated"] is False
