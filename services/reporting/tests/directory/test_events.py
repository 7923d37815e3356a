"""Out-of-order and duplicate deliveries leave the read model as if each event had been applied
once, in order."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.testing.http import Caller


async def test_an_older_account_event_after_a_newer_one_changes_nothing(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account(name="Old name")
    first = producers.accounts[account_id]
    renamed = producers.next_entry(account_id, name="New name")
    moved = producers.next_entry(account_id, owner_id="am-2")
    # Delivered newest first.
    await producers.publish(
        acc.AccountReassigned(
            account=moved, previous_owner_id="am-1", reason="portfolio", reassigned_by="dm-1"
        ),
        account_id,
    )
    await producers.publish(
        acc.AccountUpdated(account=renamed, changed_fields=["name"]), account_id
    )
    await producers.publish(acc.AccountCreated(account=first), account_id)

    path = f"/v1/reports/partnerships/{account_id}"
    assert (await client.get(path, headers=callers["am"].headers)).status_code == 404
    body = (await client.get(path, headers=callers["other_am"].headers)).json()
    assert body["account"]["name"] == "New name"
    assert body["account"]["owner_id"] == "am-2"


async def test_an_older_contract_event_after_a_newer_one_changes_nothing(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account()
    active = await producers.active_contract(account_id)
    # A late redelivery of the submission (an older contract version).
    submitted = active.model_copy(update={"status": "submitted", "contract_version": 2})
    await producers.publish(
        con.ContractSubmitted(contract=submitted, submitted_at=utcnow(), submitted_by="am-1"),
        active.contract_id,
    )

    body = (
        await client.get(f"/v1/reports/partnerships/{account_id}", headers=callers["am"].headers)
    ).json()
    assert body["contract_status"] == "active"


async def test_the_same_event_delivered_twice_counts_once(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account()
    event = producers.event(producers.visit(account_id), account_id)
    # The relay republished it after the broker's duplicate window: another message id.
    await producers.send(event, msg_id="first")
    await producers.send(event, msg_id="second")

    counts = (await client.get("/v1/reports/events", headers=callers["admin"].headers)).json()
    by_type = {item["type"]: item["count"] for item in counts["items"]}
    assert by_type["tread.accounts.activity.logged.v1"] == 1
    portfolio = (await client.get("/v1/reports/portfolio", headers=callers["am"].headers)).json()
    assert portfolio["total"]["investment"]["spent"]["visits"] == 1
