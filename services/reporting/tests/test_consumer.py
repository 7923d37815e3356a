"""The live consumer applies the events it receives together in one projection pass: the read
model and ``as_of`` are those of the events applied one by one; events the active generation
has from its replay are left out; an event that fails costs only itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.consumer import DURABLE, apply_event, apply_events
from tread_reporting.directory.models import AccountEntry
from tread_reporting.event_counts.models import EventTypeCount
from tread_reporting.generations import repository as generations
from tread_reporting.models import READ_MODELS
from tread_reporting.projection.writes import table_of
from tread_reporting.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.events.payloads.platform import InstanceStarted

Delivered = list[tuple[CloudEvent, int]]
Snapshot = dict[str, list[dict[str, Any]]]
# Past the sequences of the test's stream (the service's own instance.started): the events
# below are handed to the handler, never published.
FIRST_SEQ = 101


async def history(producers: Any, monkeypatch: pytest.MonkeyPatch) -> Delivered:
    """A mixed run of events as the stream would deliver them, built by the producers but not
    published: accounts created, updated, reassigned and qualified, a partnership's life (its
    contracts, audits, facilitations, cases, sell-in), market events, a type only counted, a
    type outside the catalogue, and last a stale update redelivered late (older sequence)."""
    recorded: list[CloudEvent] = []

    async def record(event: CloudEvent, *, msg_id: str | None = None, wait: bool = True) -> int:
        recorded.append(event)
        return FIRST_SEQ + len(recorded) - 1

    with monkeypatch.context() as patch:
        patch.setattr(producers, "send", record)
        await made_up(producers)
    recorded.append(
        CloudEvent(
            source="accounts",
            type="tread.accounts.widget.polished.v1",
            subject=str(uuid.uuid4()),
            data={"n": 1},
        )
    )
    delivered = [(event, FIRST_SEQ + index) for index, event in enumerate(recorded)]
    signed = recorded[0].subject
    assert signed is not None
    stale = producers.accounts[uuid.UUID(signed)].model_copy(update={"version": 1, "name": "Stale"})
    late = producers.event(
        acc.AccountUpdated(account=stale, changed_fields=["name"]),
        stale.account_id,
        at=utcnow() - timedelta(hours=1),
    )
    # Redelivered after events stored after it.
    delivered.append((late, delivered[-1][1] - 3))
    return delivered


async def made_up(producers: Any) -> None:
    ids = await producers.partnership_history()
    signed = ids["signed"]
    await producers.update_account(signed, name="Renamed")
    await producers.reassign(signed, "am-2")
    await producers.qualify(ids["renewed"], "develop")
    await producers.activity(signed, minutes=45)
    month = utcnow().strftime("%Y-%m")
    await producers.sell_in(signed, month, 1700)  # the month's sell-in again: replaces the first
    await producers.credit(signed, blocked=True)
    await producers.market_story(utcnow() - timedelta(days=1))
    await producers.publish(
        InstanceStarted(
            service_name="accounts",
            instance_id="accounts-1",
            software_version="1",
            started_at=utcnow(),
        ),
        uuid.uuid4(),
    )


async def read_model(session: AsyncSession) -> Snapshot:
    """Every read-model row, and the active generation's ``as_of``."""
    snapshot: Snapshot = {}
    for model in READ_MODELS:
        table = table_of(model)
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        snapshot[table.name] = [dict(row._mapping) for row in rows]
    active = (await session.execute(generations.ACTIVE_VIEW)).one()
    snapshot["as_of"] = [{"seq": active.applied_seq, "time": active.applied_time}]
    return snapshot


async def applied(app: FastAPI, apply: Callable[[AsyncSession], Awaitable[None]]) -> Snapshot:
    """The read model after ``apply``, rolled back afterwards."""
    async with app.state.db.sessions() as session:
        await apply(session)
        snapshot = await read_model(session)
        await session.rollback()
    return snapshot


def one_by_one(events: Delivered) -> Callable[[AsyncSession], Awaitable[None]]:
    async def apply(session: AsyncSession) -> None:
        for event, stream_seq in events:
            await apply_event(session, event, stream_seq)

    return apply


def together(events: Delivered) -> Callable[[AsyncSession], Awaitable[None]]:
    async def apply(session: AsyncSession) -> None:
        await apply_events(session, events)

    return apply


def as_of(snapshot: Snapshot) -> tuple[int, Any]:
    [generation] = snapshot["as_of"]
    return generation["seq"], generation["time"]


async def test_a_batch_gives_the_read_model_and_as_of_of_its_events_applied_one_by_one(
    app: FastAPI, producers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await producers.wait_applied(1)  # the service's own start: nothing else will come
    events = await history(producers, monkeypatch)

    alone = await applied(app, one_by_one(events))
    batch = await applied(app, together(events))

    assert batch == alone
    counts = {row["type"]: row["count"] for row in batch[table_of(EventTypeCount).name]}
    assert counts["tread.accounts.widget.polished.v1"] == 1
    assert counts["tread.accounts.account.updated.v1"] == 2
    newest, newest_seq = max(events, key=lambda delivered: delivered[1])
    assert as_of(batch) == (newest_seq, newest.time)
    names = {row["name"] for row in batch[table_of(AccountEntry).name]}
    assert "Renamed" in names
    assert "Stale" not in names


async def test_events_a_generation_has_from_its_replay_are_left_out_of_a_batch(
    app: FastAPI, producers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await producers.wait_applied(1)
    events = await history(producers, monkeypatch)
    replayed = events[:10]
    replayed_to = replayed[-1][1]

    async def replay_then_live(session: AsyncSession) -> None:
        # As a rebuild leaves it: the first events in the generation, its replayed_to after
        # them; the live consumer then receives the last replayed events again, and the rest.
        await apply_events(session, replayed)
        generation = await generations.active(session)
        generation.replayed_to = replayed_to
        await session.flush()
        await apply_events(session, events[7:])

    once = await applied(app, one_by_one(events))
    live_after_replay = await applied(app, replay_then_live)

    assert live_after_replay == once


async def test_a_batch_the_generation_has_from_its_replay_changes_nothing(
    app: FastAPI, producers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await producers.wait_applied(1)
    events = await history(producers, monkeypatch)
    replayed_to = events[4][1]

    async def replayed(session: AsyncSession) -> None:
        await apply_events(session, events[:5])
        generation = await generations.active(session)
        generation.replayed_to = replayed_to
        await session.flush()

    async def replayed_then_again(session: AsyncSession) -> None:
        await replayed(session)
        await apply_events(session, events[2:5])

    before = await applied(app, replayed)
    after = await applied(app, replayed_then_again)

    assert after == before
    assert as_of(after)[0] == replayed_to


async def test_a_backlog_is_applied_in_one_call_and_an_event_that_fails_costs_only_itself(
    app: FastAPI,
    client: httpx.AsyncClient,
    producers: Any,
    callers: dict[str, Any],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await producers.wait_applied(1)
    consumer = app.state.runtime.consumers[0]
    last = 0
    calls: list[list[str]] = []
    wrappers: dict[int, Any] = {}

    def recording(handler: Any) -> Any:
        async def record(session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]) -> None:
            calls.append([event.type for event, _ in events])
            await handler(session, events)

        return wrappers.setdefault(id(handler), record)

    monkeypatch.setattr(
        consumer.spec,
        "batch_handlers",
        {kind: recording(handler) for kind, handler in consumer.spec.batch_handlers.items()},
    )
    account_id = await producers.account(name="First")
    state = await producers.contract(account_id)
    broken = CloudEvent(
        source="contracts",
        type="tread.contracts.contract.signed.v1",
        subject=str(uuid.uuid4()),
        data={"contract": {"contract_id": "not even a uuid"}},
    )
    submitted = producers.next_state(state, status="submitted")
    backlog = [
        producers.event(
            acc.AccountUpdated(
                account=producers.next_entry(account_id, name="Second"), changed_fields=["name"]
            ),
            account_id,
        ),
        producers.event(
            con.ContractSubmitted(contract=submitted, submitted_at=utcnow(), submitted_by="am-1"),
            state.contract_id,
        ),
        broken,
        producers.event(
            acc.AccountUpdated(
                account=producers.next_entry(account_id, name="Third"), changed_fields=["name"]
            ),
            account_id,
        ),
        producers.event(producers.visit(account_id), account_id),
    ]
    calls.clear()

    # The consumer waits on the pointer (as during a rebuild's swap) while the backlog arrives.
    async with app.state.db.unit_of_work() as session:
        await generations.locked_pointer(session)
        for event in backlog:
            last = await producers.send(event, wait=False)
        await delivered_all(settings, len(backlog))
    await producers.wait_applied(last)

    assert any(len(set(call)) > 1 for call in calls), calls  # a mixed run, one call
    assert consumer.dead_lettered == 1
    headers = callers["am"].headers
    body = (await client.get(f"/v1/reports/partnerships/{account_id}", headers=headers)).json()
    assert body["account"]["name"] == "Third"
    assert body["contract_status"] == "submitted"
    counts = (await client.get("/v1/reports/events", headers=callers["admin"].headers)).json()
    by_type = {item["type"]: item["count"] for item in counts["items"]}
    assert by_type["tread.accounts.account.updated.v1"] == 2
    assert by_type["tread.accounts.activity.logged.v1"] == 1
    assert "tread.contracts.contract.signed.v1" not in by_type


async def delivered_all(settings: Settings, count: int) -> None:
    """Wait until the broker has handed ``count`` events to reporting, not yet acknowledged."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        for _ in range(200):
            info = await js.consumer_info(settings.nats_stream, DURABLE)
            if info.num_ack_pending >= count:
                return
            await asyncio.sleep(0.01)
    finally:
        await nc.close()
    raise AssertionError(f"reporting was not handed {count} events in time")
