"""The push stream over a real connection: an item arrives as its event is applied, a decision
taken closes it on the stream too, an item leaving the caller's inbox is pushed as removed, a
reconnection with Last-Event-ID gets what happened while away (nothing lost, nothing twice),
quiet streams send heartbeats, and a caller sees only their own items."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from tread_inbox.items.retention import forget_departures
from tread_inbox.stream.service import ChangeWatcher, changes
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.testing.http import Caller


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"stream_heartbeat_seconds": 0.5}


class Listener:
    """One open stream: its events and comment lines, as they arrive."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.comments: list[str] = []
        self.arrived = asyncio.Event()
        self.opened = asyncio.Event()

    async def read(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                self.opened.set()
            elif line == "":
                if "data" in fields:
                    data = json.loads(fields["data"])
                    self.events.append(
                        {**data, "event_id": fields.get("id"), "event": fields.get("event")}
                    )
                    self.arrived.set()
                fields = {}
            else:
                name, _, value = line.partition(":")
                fields[name] = value.strip()

    async def wait_for(self, count: int, within: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + within
        while len(self.events) < count:
            self.arrived.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{len(self.events)} events of {count}: {self.events}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)
        return self.events


@contextlib.asynccontextmanager
async def listening(
    base_url: str, caller: Caller, last_event_id: str | None = None
) -> AsyncIterator[Listener]:
    headers = dict(caller.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    listener = Listener()
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        client.stream("GET", "/v1/inbox/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = asyncio.create_task(listener.read(response))
        # The opening comment: the stream is in place.
        await asyncio.wait_for(listener.opened.wait(), 5.0)
        try:
            yield listener
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


async def test_an_offer_over_the_limit_reaches_the_stream_and_closes_on_it(
    served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    account_id = await pushed.open()
    async with (
        listening(served, callers["dm"]) as dm,
        listening(served, callers["other_dm"]) as other_dm,
    ):
        sent = time.monotonic()
        offer_id = await pushed.offer_submitted(account_id)
        [item] = await dm.wait_for(1)
        assert time.monotonic() - sent < 5.0
        assert (item["kind"], item["state"]) == ("offer_approval", "unread")
        assert item["resource_url"] == f"/v1/offers/{offer_id}"
        assert item["event_id"] == str(item["position"])

        await pushed.offer_approved(account_id, offer_id, by="dm-north")
        _, closed = await dm.wait_for(2)
        assert (closed["kind"], closed["state"], closed["done_by"]) == (
            "offer_approval",
            "done",
            "dm-north",
        )
        # Heartbeats keep the quiet stream of the other district open; it saw nothing else.
        await asyncio.sleep(1.2)
        assert "heartbeat" in other_dm.comments
        assert other_dm.events == []


async def test_a_reconnection_gets_what_happened_meanwhile_once(
    served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    account_id = await pushed.open()
    async with listening(served, callers["dm"]) as first:
        await pushed.offer_submitted(account_id)
        [seen] = await first.wait_for(1)
    last_id = first.events[-1]["event_id"]

    # The connection dropped; two offers arrive while the phone is away.
    away = [await pushed.offer_submitted(account_id) for _ in range(2)]

    async with listening(served, callers["dm"], last_event_id=last_id) as again:
        events = await again.wait_for(2)
        await asyncio.sleep(0.3)
        assert [e["resource_url"] for e in again.events] == [f"/v1/offers/{o}" for o in away]
        assert seen["id"] not in {e["id"] for e in events}


@pytest.fixture
def small_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A buffer of one change: resuming from further back reads the database."""
    monkeypatch.setattr("tread_inbox.stream.service.BUFFERED_CHANGES", 1)


async def test_a_reconnection_from_before_the_buffer_reads_the_database(
    small_buffer: None, served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    account_id = await pushed.open()
    offers = [await pushed.offer_submitted(account_id) for _ in range(3)]
    async with listening(served, callers["dm"], last_event_id="0") as again:
        events = await again.wait_for(3)
        await asyncio.sleep(0.3)
    assert [e["resource_url"] for e in again.events] == [f"/v1/offers/{o}" for o in offers]
    assert [e["event_id"] for e in events] == ["1", "2", "3"]


async def test_more_changes_in_one_poll_than_the_buffer_holds_all_reach_an_open_stream(
    small_buffer: None, app: FastAPI, sources: Any
) -> None:
    # A watcher of this test's own, polled by the test: three changes land between two polls.
    watcher = ChangeWatcher(app.state.runtime.db, poll_seconds=60)
    await watcher.catch_up()
    dm = Principal(
        "dm-north", roles=frozenset({"district_manager"}), territories=frozenset({"north"})
    )
    stream = cast(AsyncGenerator[bytes], changes(watcher, dm, None, heartbeat_seconds=30))
    assert (await anext(stream)).startswith(b"retry:")
    account_id = await sources.open()
    offers = [await sources.offer_submitted(account_id) for _ in range(3)]
    await watcher.catch_up()
    frames = [await asyncio.wait_for(anext(stream), 5) for _ in range(3)]
    await stream.aclose()
    sent = [json.loads(frame.split(b"data: ")[1])["resource_url"] for frame in frames]
    assert sent == [f"/v1/offers/{offer}" for offer in offers]


async def blocked(pushed: Any, account_id: Any) -> None:
    await pushed.send(pushed.credit(account_id, blocked=True, previous=False), account_id)


async def test_an_item_leaving_the_inbox_is_pushed_as_removed_and_replayed_on_resume(
    served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    account_id = await pushed.open()
    async with (
        listening(served, callers["am"]) as am,
        listening(served, callers["other_am"]) as other_am,
    ):
        await blocked(pushed, account_id)
        [item] = await am.wait_for(1)
        assert item["event"] == "item"

        # The account moves to the other manager: the first drops it, the second gets it.
        await pushed.reassign(account_id, "am-2")
        _, removed = await am.wait_for(2)
        assert (removed["event"], removed["id"], removed["deleted"]) == (
            "removed",
            item["id"],
            True,
        )
        assert removed["event_id"] == str(removed["position"])
        assert int(removed["event_id"]) > int(item["event_id"])
        [arrived] = await other_am.wait_for(1)
        assert (arrived["event"], arrived["id"]) == ("item", item["id"])

        # Then it is deleted: whoever had it drops it; the first manager hears nothing more.
        entry = pushed.entries[account_id].model_copy(update={"version": 9})
        await pushed.send(acc.AccountDeleted(account=entry), account_id)
        _, deleted = await other_am.wait_for(2)
        assert (deleted["event"], deleted["id"]) == ("removed", item["id"])
        await asyncio.sleep(0.3)
        assert len(am.events) == 2

    # A phone that saw only the item, resuming: the removal, once.
    async with listening(served, callers["am"], last_event_id=item["event_id"]) as again:
        [replayed] = await again.wait_for(1)
        await asyncio.sleep(0.3)
    assert again.events == [{**removed, "event_id": removed["event_id"]}]
    assert replayed["id"] == item["id"]


async def test_a_removal_from_before_the_buffer_is_read_from_the_database(
    small_buffer: None, served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    account_id = await pushed.open()
    await blocked(pushed, account_id)
    await pushed.reassign(account_id, "am-2")
    await blocked(pushed, await pushed.open())  # a later change fills the buffer of one
    async with listening(served, callers["am"], last_event_id="0") as am:
        events = await am.wait_for(2)
        await asyncio.sleep(0.3)
    # The item of the account now elsewhere is told removed; the other block is still his.
    assert [e["event"] for e in events] == ["removed", "item"]
    async with listening(served, callers["other_am"], last_event_id="0") as other_am:
        [arrived] = await other_am.wait_for(1)
        await asyncio.sleep(0.3)
    assert (arrived["event"], arrived["id"]) == ("item", events[0]["id"])
    assert len(other_am.events) == 1


async def test_a_stream_whose_queue_overflows_catches_up_with_nothing_lost(
    monkeypatch: pytest.MonkeyPatch, served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    # A queue of one frame: three changes in one transaction overflow it at once.
    monkeypatch.setattr("tread_inbox.stream.service.QUEUED_FRAMES", 1)
    account_id = await pushed.open()
    async with listening(served, callers["am"]) as am:
        await blocked(pushed, account_id)
        case = pushed.case(account_id, escalated_at=None)
        await pushed.send(acc.CaseEscalated(case=case), case.case_id)
        contract = pushed.contract(account_id)
        await pushed.send(
            con.ContractRenewalDue(
                contract=contract, window_days=90, days_left=88, noticed_at=utcnow()
            ),
            contract.contract_id,
        )
        items = list(await am.wait_for(3))
        entry = pushed.entries[account_id].model_copy(update={"version": 9})
        await pushed.send(acc.AccountDeleted(account=entry), account_id)
        events = await am.wait_for(6)
        await asyncio.sleep(0.3)
    removed = events[3:]
    assert [e["event"] for e in removed] == ["removed"] * 3
    assert sorted(e["id"] for e in removed) == sorted(e["id"] for e in items)
    positions = [int(e["event_id"]) for e in am.events]
    assert positions == sorted(set(positions))


async def test_a_resume_from_before_a_forgotten_departure_is_told_to_list_again(
    app: FastAPI, settings: Any, served: str, pushed: Any, callers: dict[str, Caller]
) -> None:
    account_id = await pushed.open()
    async with listening(served, callers["am"]) as am:
        await blocked(pushed, account_id)
        [item] = await am.wait_for(1)
        await pushed.reassign(account_id, "am-2")
        _, removed = await am.wait_for(2)
    # Past the sync horizon the departure is forgotten: a phone that saw only the item would
    # never hear of it, so it is told what an updated_since as old is told.
    later = utcnow() + timedelta(days=settings.sync_horizon_days, seconds=1)
    assert await forget_departures(app.state.runtime.db, settings, later) == 1
    headers = {**callers["am"].headers, "Last-Event-ID": item["event_id"]}
    async with httpx.AsyncClient(base_url=served, timeout=10) as client:
        answer = await client.get("/v1/inbox/stream", headers=headers)
    assert answer.status_code == 410
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:tread:problem:sync-horizon-passed"
    assert "without Last-Event-ID" in problem["detail"]

    # From the removal on, nothing was forgotten: the stream resumes; without an id, it opens.
    async with listening(served, callers["am"], last_event_id=removed["event_id"]) as again:
        await blocked(pushed, await pushed.open())
        [arrived] = await again.wait_for(1)
    assert arrived["event"] == "item"
    async with listening(served, callers["am"]) as fresh:
        assert fresh.events == []
