"""A run of account events moves the directory and the plans that follow it as the same events
applied one by one: delivered alone, given to the handler at once, or pulled together by the
consumer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tread_actionplans.directory.events import apply_account_events
from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.settings import Settings
from tread_shared.directory.handlers import entry_of, upsert_entries
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import (
    AccountCreated,
    AccountDeleted,
    AccountDirectoryEntry,
    AccountReassigned,
    AccountUpdated,
)
from tread_shared.testing.event_feed import AccountFeed, account_event
from tread_shared.testing.http import Caller

# What each account of the scenario looks like after the run, applied in whatever way: its
# directory entry (version, owner, territory, deleted) and its plans as an admin lists them
# (what the plan was, owner, territory).
EXPECTED = {
    # Created in the run: the plan its audit drafted before it arrived takes its manager.
    "fresh": {"entry": (1, "am-1", "north", False), "plans": [("audit", "am-1", "north")]},
    # am-1 → am-2, then am-2 → am-3, then moved south, then the first move again, late: the
    # plans of am-1, of am-2 and of nobody follow the chain to am-3; am-9's stays am-9's.
    "moved": {
        "entry": (4, "am-3", "south", False),
        "plans": [
            ("audit", "am-3", "south"),
            ("of am-1", "am-3", "south"),
            ("of am-2", "am-3", "south"),
            ("of am-9", "am-9", "south"),
        ],
    },
    # Its creation arrives after a later version: nothing changes.
    "ahead": {"entry": (3, "am-5", "west", False), "plans": [("of am-5", "am-5", "west")]},
    # Deleted: its plans are nobody's to see any more.
    "gone": {"entry": (2, "am-1", "north", True), "plans": []},
}


def _next(entry: AccountDirectoryEntry, **changes: Any) -> AccountDirectoryEntry:
    return entry.model_copy(update={**changes, "version": entry.version + 1})


def _reassigned(entry: AccountDirectoryEntry, owner_id: str) -> AccountReassigned:
    return AccountReassigned(
        account=_next(entry, owner_id=owner_id),
        previous_owner_id=entry.owner_id,
        reason="portfolio",
        reassigned_by="dm-north",
    )


@dataclass
class Scenario:
    """One copy of the scenario: its accounts by name and the run of events to apply."""

    accounts: dict[str, uuid.UUID]
    run: list[CloudEvent]


async def _scenario(
    app: FastAPI, accounts: AccountFeed, planner: Any, sources: Any, callers: dict[str, Caller]
) -> Scenario:
    """Accounts and plans as they stand before the run, and the run."""
    admin = callers["admin"]
    fresh = accounts.entry(owner_id="am-1", territory="north")
    moved = accounts.entry(owner_id="am-1", territory="north")
    ahead = accounts.entry(owner_id="am-5", territory="west", version=3)
    gone = accounts.entry(owner_id="am-1", territory="north")
    for entry in (fresh, moved):
        audit = sources.audit(entry.account_id, {"LP1": 30}, {"LP1": 70})
        await accounts.publish(audit, audit.audit_id)  # before the account: a plan of nobody's
    # ``moved`` was created by another replica while this one drafted its audit's plan: in the
    # directory, and the plan left without owner.
    async with app.state.runtime.db.unit_of_work() as session:
        await upsert_entries(
            session, AccountDirectory, [entry_of(account_event(AccountCreated(account=moved)))]
        )
    for entry in (ahead, gone):
        await accounts.publish(AccountCreated(account=entry), entry.account_id)
    await planner.plan(moved.account_id, title="of am-1")
    for owner in ("am-2", "am-9"):
        await planner.plan(moved.account_id, admin, title=f"of {owner}", owner_id=owner)
    await planner.plan(ahead.account_id, admin, title="of am-5")
    await planner.plan(gone.account_id, title="of am-1")

    to_b = _reassigned(moved, "am-2")
    to_c = _reassigned(to_b.account, "am-3")
    south = _next(to_c.account, territory="south")
    run = [
        account_event(AccountCreated(account=fresh)),
        account_event(to_b),
        account_event(AccountCreated(account=ahead.model_copy(update={"version": 1}))),
        account_event(to_c),
        account_event(AccountUpdated(account=south, changed_fields=["territory"])),
        account_event(AccountDeleted(account=_next(gone))),
        account_event(to_b),  # redelivered late, under a new id: older than what the run holds
    ]
    names = {"fresh": fresh, "moved": moved, "ahead": ahead, "gone": gone}
    return Scenario({name: entry.account_id for name, entry in names.items()}, run)


async def _outcome(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, scenario: Scenario
) -> dict[str, Any]:
    """What the scenario's accounts look like: as :data:`EXPECTED`."""
    async with app.state.runtime.db.reading() as connection:
        table = AccountDirectory.__table__
        query = select(table).where(table.c.account_id.in_(scenario.accounts.values()))
        entries = {row.account_id: row for row in await connection.execute(query)}
    outcome: dict[str, Any] = {}
    for name, account_id in scenario.accounts.items():
        response = await client.get(
            "/v1/plans", params={"account_id": str(account_id)}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        plans = sorted(
            (
                "audit" if plan["origin"] == "audit" else plan["title"],
                plan["owner_id"],
                plan["territory"],
            )
            for plan in response.json()["items"]
        )
        entry = entries[account_id]
        outcome[name] = {
            "entry": (entry.version, entry.owner_id, entry.territory, entry.deleted),
            "plans": plans,
        }
    return outcome


async def test_a_run_applied_at_once_moves_the_plans_as_one_by_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    caller: Callable[..., Caller],
    accounts: AccountFeed,
    planner: Any,
    sources: Any,
) -> None:
    one_by_one = await _scenario(app, accounts, planner, sources, callers)
    for event in one_by_one.run:
        await accounts.publish_event(event)  # each applied before the next is published

    at_once = await _scenario(app, accounts, planner, sources, callers)
    runtime = app.state.runtime
    handler = runtime.consumers[0].spec.batch_handlers[AccountCreated.event_type()]
    async with runtime.db.unit_of_work() as session:
        await handler(session, [(event, n) for n, event in enumerate(at_once.run, start=1)])

    admin = callers["admin"]
    assert await _outcome(app, client, admin, one_by_one) == EXPECTED
    assert await _outcome(app, client, admin, at_once) == EXPECTED
    # What the managers see of the moved account's plans: am-1 none, am-3 all four.
    for scenario in (one_by_one, at_once):
        params = {"account_id": str(scenario.accounts["moved"])}
        for sub, count in (("am-1", 0), ("am-3", 4)):
            manager = caller("account_manager", sub=sub)
            response = await client.get("/v1/plans", params=params, headers=manager.headers)
            assert len(response.json()["items"]) == count, (sub, response.text)


async def test_the_consumer_applies_a_run_pulled_together_as_one_by_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    callers: dict[str, Caller],
    accounts: AccountFeed,
    planner: Any,
    sources: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = await _scenario(app, accounts, planner, sources, callers)
    runtime = app.state.runtime
    consumer = runtime.consumers[0]
    # The consumer is held on the run's first event until the others have been delivered, so
    # that it pulls them together.
    held = asyncio.Event()
    runs: list[int] = []

    async def gated(session: Any, events: Any) -> None:
        runs.append(len(events))
        await held.wait()
        await apply_account_events(session, events)

    batch_handlers = consumer.spec.batch_handlers
    for event_type, handler in list(batch_handlers.items()):
        if handler is apply_account_events:
            monkeypatch.setitem(batch_handlers, event_type, gated)
    js = await runtime.broker.wait_ready()
    last_seq = 0
    for event in scenario.run:
        ack = await js.publish(
            nats_subject_for(event.type, settings.nats_subject_root),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.id},
        )
        last_seq = ack.seq
    for _ in range(400):
        info = await js.consumer_info(settings.nats_stream, consumer.durable)
        if info.num_pending == 0 and info.num_ack_pending == len(scenario.run):
            break
        await asyncio.sleep(0.025)
    await asyncio.sleep(0.2)  # delivered by the broker: let them reach the consumer
    held.set()
    for _ in range(400):
        if consumer.last_stream_seq >= last_seq:
            break
        await asyncio.sleep(0.025)

    assert sum(runs) == len(scenario.run) and max(runs) > 1, runs
    assert await _outcome(app, client, callers["admin"], scenario) == EXPECTED
