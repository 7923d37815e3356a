"""The local directory, kept from the accounts service's events, decides who sees a
partnership: when an account moves to another account manager, its partnership moves too."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.http import Caller, assert_problem


async def _visible(client: httpx.AsyncClient, path: str, by: Caller) -> bool:
    response = await client.get(path, headers=by.headers)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def test_a_reassigned_account_takes_its_partnership_along(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open(owner_id="am-1")
    program = await partnerships.program()
    contract = await partnerships.active_contract(account_id, program)
    offer = await partnerships.offer(account_id)
    paths = [f"/v1/contracts/{contract['id']}", f"/v1/offers/{offer['id']}"]
    am, other_am = callers["am"], callers["other_am"]
    assert [await _visible(client, p, am) for p in paths] == [True, True]
    assert [await _visible(client, p, other_am) for p in paths] == [False, False]

    await accounts.reassign(account_id, "am-2")

    assert [await _visible(client, p, am) for p in paths] == [False, False]
    assert [await _visible(client, p, other_am) for p in paths] == [True, True]
    listed = await client.get("/v1/contracts", headers=other_am.headers)
    assert [c["id"] for c in listed.json()["items"]] == [contract["id"]]
    assert (await client.get("/v1/contracts", headers=am.headers)).json()["items"] == []
    # The new owner works the partnership from now on; the old one cannot.
    refused = await client.post(
        f"/v1/contracts/{contract['id']}/renew", json={}, headers=am.headers
    )
    assert_problem(refused, 404)
    renewal = await partnerships.post(f"/v1/contracts/{contract['id']}/renew", {}, other_am)
    assert renewal["account_id"] == str(account_id)


async def test_a_move_to_another_territory_changes_the_district_manager(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open(territory="north")
    contract = await partnerships.draft(account_id, await partnerships.program())
    path = f"/v1/contracts/{contract['id']}"
    assert await _visible(client, path, callers["dm"])
    await accounts.update(account_id, territory="south")
    assert not await _visible(client, path, callers["dm"])
    assert await _visible(client, path, callers["other_dm"])


async def test_no_new_partnership_work_on_a_closed_account(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    await accounts.update(account_id, status="closed")
    refused = await client.post(
        "/v1/contracts",
        json=partnerships.contract_body(account_id, program),
        headers=callers["am"].headers,
    )
    assert_problem(refused, 422, "account-closed")


async def test_an_older_account_event_arriving_late_changes_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    from tread_shared.events.payloads.accounts import AccountUpdated

    account_id = await accounts.open(owner_id="am-1")
    contract = await partnerships.draft(account_id, await partnerships.program())
    stale = accounts.entries[account_id]
    await accounts.reassign(account_id, "am-2")
    await accounts.publish(AccountUpdated(account=stale, changed_fields=[]), account_id)
    path = f"/v1/contracts/{contract['id']}"
    assert not await _visible(client, path, callers["am"])
    assert await _visible(client, path, callers["other_am"])
