"""Departures (the tombstones of items that left a user with their account) are kept for the
sync horizon, then forgotten; a phone whose last sync is older than the horizon is told to list
its inbox again instead of missing them. Decision progress is forgotten once its resource is
settled and no older event of it can arrive."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from tread_inbox.items.retention import forget_decision_progress, forget_departures
from tread_inbox.schedule import run_retention
from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller


async def test_departures_are_forgotten_past_the_sync_horizon(
    app: FastAPI, settings: Any, sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
    [item] = await inbox.holding(callers["am"], 1)
    moved = utcnow()
    await sources.reassign(account_id, "am-2")
    since = {"updated_since": moved.isoformat()}
    [tombstone] = (await inbox.get("/v1/inbox", callers["am"], **since))["items"]
    assert (tombstone["id"], tombstone["deleted"]) == (item["id"], True)

    db = app.state.runtime.db
    # Within the horizon, kept: the scheduled job forgets nothing yet.
    assert await run_retention(app.state.runtime) == {"departures": 0, "decision_progress": 0}
    assert (await inbox.get("/v1/inbox", callers["am"], **since))["items"] == [tombstone]

    # Past it, forgotten, once; the item itself stays with its new owner.
    later = utcnow() + timedelta(days=settings.sync_horizon_days, seconds=1)
    assert await forget_departures(db, settings, later) == 1
    assert await forget_departures(db, settings, later) == 0
    assert (await inbox.get("/v1/inbox", callers["am"], **since))["items"] == []
    [kept] = await inbox.items(callers["other_am"])
    assert kept["id"] == item["id"]


async def test_a_sync_from_before_the_horizon_is_told_to_list_again(
    settings: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    too_old = utcnow() - timedelta(days=settings.sync_horizon_days, minutes=1)
    problem = await inbox.get("/v1/inbox", callers["am"], 410, updated_since=too_old.isoformat())
    assert problem["type"] == "urn:tread:problem:sync-horizon-passed"
    assert problem["status"] == 410
    assert "without updated_since" in problem["detail"]
    # Just inside the horizon, a sync as usual.
    recent = utcnow() - timedelta(days=settings.sync_horizon_days) + timedelta(minutes=1)
    assert (await inbox.get("/v1/inbox", callers["am"], updated_since=recent.isoformat()))[
        "items"
    ] == []


async def test_decision_progress_is_forgotten_once_settled_and_past_redelivery(
    app: FastAPI, settings: Any, sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    # Offer A decided before its request arrived; offer B waits for the district manager.
    settled = uuid.uuid4()
    await sources.offer_approved(account_id, settled, by="dm-north")
    waiting = await sources.offer_submitted(account_id)
    [item] = await inbox.holding(callers["dm"], 1)
    db = app.state.runtime.db

    # Within the consumer's memory, kept: A's request may still arrive late, and must find
    # its decision taken (test_decision_order).
    assert await forget_decision_progress(db, settings, utcnow()) == 0
    later = utcnow() + timedelta(hours=settings.inbox_retention_hours, seconds=1)
    # Past it, A's progress goes, once; B's stays while its item waits.
    assert await forget_decision_progress(db, settings, later) == 1
    assert await forget_decision_progress(db, settings, later) == 0

    # B's decision still finds what it closes; a new revision of A is a newer step.
    await sources.offer_approved(account_id, waiting, by="dm-north")
    await sources.offer_submitted(account_id, offer_id=settled, revision=2, offer_version=4)
    newest, closed = await inbox.holding(callers["dm"], 2)
    assert (closed["id"], closed["state"], closed["done_by"]) == (item["id"], "done", "dm-north")
    assert (newest["resource_url"], newest["state"]) == (f"/v1/offers/{settled}", "unread")
    # Both settled now, and the newest waits: only B's progress can go.
    assert await forget_decision_progress(db, settings, later) == 1
