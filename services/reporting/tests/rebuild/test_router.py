"""Rebuild: the stream replayed into fresh read models gives the same reports; reads keep working
meanwhile; an event that cannot be applied is dead-lettered live and skipped by the replay."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import nats
import pytest

from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads import accounts as acc
from tread_shared.testing.http import Caller, assert_problem

pytestmark = pytest.mark.slow


async def reports(client: httpx.AsyncClient, callers: dict[str, Caller]) -> dict[str, Any]:
    """Everything reporting answers, as the central office sees it (minus production times)."""
    headers = callers["central"].headers
    for _ in range(200):
        # Settled: the service's own start announced and applied, nothing left to apply.
        lag = (await client.get("/v1/reports/lag", headers=headers)).json()
        counts = (await client.get("/v1/reports/events", headers=headers)).json()
        started = {i["type"] for i in counts["items"]} >= {"tread.reporting.instance.started.v1"}
        if started and lag["behind"] == 0:
            break
        await asyncio.sleep(0.02)
    answers: dict[str, Any] = {}
    partnerships = (await client.get("/v1/reports/partnerships", headers=headers)).json()
    answers["partnerships"] = partnerships
    for item in partnerships["items"]:
        path = f"/v1/reports/partnerships/{item['account_id']}"
        answers[path] = (await client.get(path, headers=headers)).json()
    for path in ("/v1/reports/portfolio", "/v1/reports/cases", "/v1/reports/events"):
        answers[path] = (await client.get(path, headers=headers)).json()
    answers["by territory"] = (
        await client.get("/v1/reports/portfolio", params={"group_by": "territory"}, headers=headers)
    ).json()
    central = (
        await client.get(
            "/v1/reports/central", params={"period": utcnow().strftime("%Y-%m")}, headers=headers
        )
    ).json()
    central.pop("generated_at")
    answers["central"] = central
    return answers


async def rebuild(client: httpx.AsyncClient, admin: Caller) -> dict[str, Any]:
    started = await client.post("/v1/reports/rebuild", headers=admin.headers)
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "building"
    for _ in range(500):
        status = (await client.get("/v1/reports/rebuild", headers=admin.headers)).json()
        if status["state"] != "building":
            assert status["state"] == "active", status
            return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"the rebuild did not finish: {status}")


async def out_of_order_and_duplicates(producers: Any) -> None:
    account_id = await producers.account()
    await producers.update_account(account_id, name="Renamed")
    stale = producers.accounts[account_id].model_copy(update={"version": 1, "name": "Stale"})
    await producers.publish(acc.AccountUpdated(account=stale, changed_fields=["name"]), account_id)
    visit = producers.event(producers.visit(account_id, minutes=60), account_id)
    await producers.send(visit, msg_id="once")
    await producers.send(visit, msg_id="twice")


async def test_a_rebuild_gives_the_same_reports(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.partnership_history()
    await out_of_order_and_duplicates(producers)
    before = await reports(client, callers)

    status = await rebuild(client, callers["admin"])

    assert status["generation"] == 2
    assert status["active_generation"] == 2
    assert status["events_skipped"] == 0
    after = await reports(client, callers)
    assert after == before


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Small batches: the replay takes long enough to be seen at work.
    return {"rebuild_batch_size": 1, "rebuild_cleanup_delay_seconds": 0.1}


async def test_reads_keep_working_and_events_keep_flowing_during_a_rebuild(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.partnership_history()
    for _ in range(40):
        await producers.account()
    expected = (
        await client.get("/v1/reports/partnerships", headers=callers["central"].headers)
    ).json()
    started = await client.post("/v1/reports/rebuild", headers=callers["admin"].headers)
    assert started.status_code == 202

    again = await client.post("/v1/reports/rebuild", headers=callers["admin"].headers)
    assert_problem(again, 409, "rebuild-running")

    reads_while_building = 0
    added = []
    while (await client.get("/v1/reports/rebuild", headers=callers["admin"].headers)).json()[
        "state"
    ] == "building":
        answer = await client.get("/v1/reports/partnerships", headers=callers["central"].headers)
        assert answer.status_code == 200
        assert answer.json()["items"][: len(expected["items"])] == expected["items"] or added
        reads_while_building += 1
        if len(added) < 5:
            added.append(await producers.account(owner_id="am-9"))
        await asyncio.sleep(0.01)
    assert reads_while_building > 0

    ids = {
        item["account_id"]
        for item in (
            await client.get(
                "/v1/reports/partnerships",
                params={"owner_id": "am-9"},
                headers=callers["central"].headers,
            )
        ).json()["items"]
    }
    # Published during the rebuild: in the rebuilt read models once each.
    assert ids == {str(a) for a in added}
    counts = (await client.get("/v1/reports/events", headers=callers["central"].headers)).json()
    created = next(i for i in counts["items"] if i["type"] == "tread.accounts.account.created.v1")
    assert created["count"] == len(producers.accounts)


async def test_an_event_reporting_cannot_apply_is_dead_lettered_and_skipped_by_a_rebuild(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller], settings: Any
) -> None:
    account_id = await producers.account()
    broken = CloudEvent(
        source="contracts",
        type="tread.contracts.contract.signed.v1",
        subject=str(uuid.uuid4()),
        data={"contract": {"contract_id": "not even a uuid"}},
    )
    # Dead-lettered, never applied: nothing to wait for.
    await producers.send(broken, wait=False)
    await producers.update_account(account_id, name="Still flowing")

    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        dead = await js.get_last_msg(
            f"{settings.nats_stream}_DEADLETTER",
            f"deadletter.{settings.nats_subject_root}.reporting",
        )
    finally:
        await nc.close()
    assert json.loads(dead.data)["id"] == broken.id
    assert dead.headers is not None
    assert dead.headers["Tread-Error"].startswith("ValidationError")
    assert dead.headers["Tread-Deliveries"] == "1"
    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers)
    ).json()
    assert body["account"]["name"] == "Still flowing"

    before = await reports(client, callers)
    status = await rebuild(client, callers["admin"])
    assert status["events_skipped"] == 1
    assert await reports(client, callers) == before
