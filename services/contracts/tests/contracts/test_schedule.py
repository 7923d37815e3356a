"""The scheduled work: contracts expire when their period ends; renewal-due events go out once
per contract and window, however many replicas run the schedule."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_contracts.contracts.service import expire_ended_contracts, notify_renewals_due
from tread_contracts.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller


def _period(days_left: int) -> dict[str, str]:
    today = utcnow().date()
    return {
        "start_date": (today - timedelta(days=300)).isoformat(),
        "end_date": (today + timedelta(days=days_left)).isoformat(),
        "commitments": [],
    }


async def test_renewal_due_lists_active_contracts_ending_soon(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    program = await partnerships.program()
    soon = await partnerships.active_contract(await accounts.open(), program, **_period(20))
    later = await partnerships.active_contract(await accounts.open(), program, **_period(200))
    await partnerships.draft(await accounts.open(), program, **_period(10))

    async def due(days: int) -> list[str]:
        response = await client.get(
            "/v1/contracts",
            params={"renewal_due_within_days": days},
            headers=callers["am"].headers,
        )
        return [c["id"] for c in response.json()["items"]]

    assert await due(30) == [soon["id"]]
    assert await due(365) == [soon["id"], later["id"]]
    assert await due(5) == []


async def test_renewal_due_events_go_out_once_per_window_even_with_two_replicas(
    app: FastAPI,
    settings: Settings,
    client: httpx.AsyncClient,
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    program = await partnerships.program()
    contract = await partnerships.active_contract(await accounts.open(), program, **_period(45))
    runtime = app.state.runtime
    # A second replica: its own engine on the same database.
    replica = Database(settings.resolved_database_url)
    today = utcnow().date()
    try:
        sent = await asyncio.gather(
            notify_renewals_due(runtime.db, runtime.outbox, today, [90, 30]),
            notify_renewals_due(replica, runtime.outbox, today, [90, 30]),
        )
        assert sorted(sent) == [0, 1]
        # Fifteen days on, the 30-day window opens: one more, once.
        later = today + timedelta(days=16)
        assert await notify_renewals_due(replica, runtime.outbox, later, [90, 30]) == 1
        assert await notify_renewals_due(runtime.db, runtime.outbox, later, [90, 30]) == 0
    finally:
        await replica.dispose()
    notices = await events.wait_for(
        "tread.contracts.contract.renewal_due.v1", 2, where=lambda e: e["subject"] == contract["id"]
    )
    assert [(e["data"]["window_days"], e["data"]["days_left"]) for e in notices] == [
        (90, 45),
        (30, 29),
    ]
    await asyncio.sleep(0.3)
    assert len(await events.of_type("tread.contracts.contract.renewal_due.v1")) == 2


async def test_contracts_expire_when_their_period_ends(
    app: FastAPI,
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    program = await partnerships.program()
    contract = await partnerships.active_contract(await accounts.open(), program, **_period(3))
    runtime = app.state.runtime
    today = utcnow().date()
    assert await expire_ended_contracts(runtime.db, runtime.outbox, today) == 0
    after_end = today + timedelta(days=4)
    assert await expire_ended_contracts(runtime.db, runtime.outbox, after_end) == 1
    assert await expire_ended_contracts(runtime.db, runtime.outbox, after_end) == 0
    read = await client.get(f"/v1/contracts/{contract['id']}", headers=callers["am"].headers)
    assert read.json()["status"] == "expired"
    (event,) = await events.wait_for("tread.contracts.contract.expired.v1")
    assert event["data"]["contract"]["status"] == "expired"
    # An expired contract may still be renewed.
    renewal = await partnerships.post(f"/v1/contracts/{contract['id']}/renew", {}, callers["am"])
    assert renewal["renews_contract_id"] == contract["id"]


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "schedule_enabled": True,
            "schedule_interval_seconds": 0.2,
            "schedule_first_delay_seconds": 0.2,
        }
    ],
)
async def test_the_service_runs_its_schedule_by_itself(
    callers: dict[str, Caller], accounts: Any, partnerships: Any, events: EventStream
) -> None:
    program = await partnerships.program()
    ended = {**_period(0), "end_date": (utcnow().date() - timedelta(days=1)).isoformat()}
    contract = await partnerships.active_contract(await accounts.open(), program, **ended)
    (event,) = await events.wait_for(
        "tread.contracts.contract.expired.v1", where=lambda e: e["subject"] == contract["id"]
    )
    assert event["data"]["contract"]["status"] == "expired"
