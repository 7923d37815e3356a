"""Accounts: CRUD, filters, sync, transfers, groups — and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

ACCOUNT = "tread.accounts.account"


async def test_an_account_manager_creates_an_account_of_their_own(
    client: httpx.AsyncClient, am: Caller, events: EventStream
) -> None:
    response = await client.post(
        "/v1/accounts",
        json={
            "kind": "dealer",
            "name": "Harbin Tyre Centre",
            "territory": "north",
            "legal_id": "91230100MA1B2C3D4E",
            "erp_customer_id": "C-1001",
            "channels": ["truck", "agri"],
            "addresses": [{"line1": "12 Songhua Rd", "city": "Harbin", "country": "CN"}],
        },
        headers=am.headers,
    )
    assert response.status_code == 201, response.text
    account = response.json()
    assert account["owner_id"] == "am-1"
    assert account["version"] == 1
    assert account["status"] == "prospect"
    assert account["addresses"][0]["kind"] == "site"
    assert response.headers["etag"] == f'"{account["id"]}-v1"'
    assert response.headers["location"] == f"/v1/accounts/{account['id']}"

    [event] = await events.wait_for(f"{ACCOUNT}.created")
    assert event["subject"] == account["id"]
    entry = event["data"]["account"]
    assert entry["owner_id"] == "am-1"
    assert entry["version"] == 1
    assert entry["erp_customer_id"] == "C-1001"


async def test_fields_a_role_may_not_set_are_refused_and_nothing_is_created(
    client: httpx.AsyncClient, am: Caller
) -> None:
    base = {"kind": "dealer", "name": "X", "territory": "north"}
    refused = await client.post(
        "/v1/accounts", json={**base, "owner_id": "am-2"}, headers=am.headers
    )
    assert assert_problem(refused, 422, "field-not-allowed")["fields"] == ["owner_id"]
    kam_refused = await client.post(
        "/v1/accounts", json={**base, "key_account_manager_id": "kam-1"}, headers=am.headers
    )
    assert_problem(kam_refused, 422, "field-not-allowed")
    for server_field in ({"version": 3}, {"id": "0192f0c4-0000-7000-8000-000000000000"}):
        response = await client.post(
            "/v1/accounts", json={**base, **server_field}, headers=am.headers
        )
        assert_problem(response, 422, "validation-error")
    listed = await client.get("/v1/accounts", headers=am.headers)
    assert listed.json()["items"] == []


async def test_bad_input_is_a_clear_problem_and_changes_nothing(
    client: httpx.AsyncClient, admin: Caller, portfolio: Any
) -> None:
    await portfolio.account(erp_customer_id="C-1")
    base = {"kind": "dealer", "name": "Y", "territory": "north", "owner_id": "am-1"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**base, "kind": "shop"}, 422, "validation-error"),
        ({**base, "status": "sleeping"}, 422, "validation-error"),
        ({**base, "name": "n" * 301}, 422, "validation-error"),
        ({**base, "name": "   "}, 422, "validation-error"),
        (
            {**base, "addresses": [{"line1": "x", "city": "y", "country": "China"}]},
            422,
            "validation-error",
        ),
        ({**base, "erp_customer_id": "C-1"}, 409, "duplicate-erp-customer-id"),
        ({**base, "parent_id": "0192f0c4-0000-7000-8000-000000000000"}, 422, "unknown-group"),
    ]
    for body, status, slug in cases:
        assert_problem(
            await client.post("/v1/accounts", json=body, headers=admin.headers), status, slug
        )
    malformed = await client.post(
        "/v1/accounts",
        content=b"{not json",
        headers=admin.with_(**{"content-type": "application/json"}),
    )
    assert_problem(malformed, 400, "malformed-json")
    assert len((await client.get("/v1/accounts", headers=admin.headers)).json()["items"]) == 1


async def test_unknown_and_malformed_ids_answer_404_and_422(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    assert_problem(
        await client.get(
            "/v1/accounts/0192f0c4-0000-7000-8000-000000000000", headers=admin.headers
        ),
        404,
        "not-found",
    )
    assert_problem(await client.get("/v1/accounts/nope", headers=admin.headers), 422)


async def test_each_role_sees_its_scope_and_nothing_else(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    other_am: Caller,
    dm: Caller,
    kam: Caller,
    central: Caller,
    integration: Caller,
    admin: Caller,
) -> None:
    own = await portfolio.account(owner_id="am-1", territory="north")
    theirs = await portfolio.account(owner_id="am-2", territory="south")
    key = await portfolio.account(
        owner_id="am-2", territory="south", key_account_manager_id="kam-1"
    )

    async def visible(who: Caller) -> set[str]:
        response = await client.get("/v1/accounts", headers=who.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await visible(am) == {own["id"]}
    assert await visible(other_am) == {theirs["id"], key["id"]}
    assert await visible(dm) == {own["id"]}
    assert await visible(kam) == {key["id"]}
    assert await visible(central) == {own["id"], theirs["id"], key["id"]}
    assert await visible(admin) == {own["id"], theirs["id"], key["id"]}

    for who, hidden in ((am, theirs), (dm, theirs), (kam, own)):
        url = f"/v1/accounts/{hidden['id']}"
        assert_problem(await client.get(url, headers=who.headers), 404)
        patch = await client.patch(url, json={"name": "Z"}, headers=who.with_(**{"If-Match": "*"}))
        assert_problem(patch, 404)
        assert_problem(await client.delete(url, headers=who.with_(**{"If-Match": "*"})), 404)
    assert (await client.get(f"/v1/accounts/{key['id']}", headers=kam.headers)).status_code == 200

    # Central reads everything but changes no account.
    url = f"/v1/accounts/{own['id']}"
    assert (await client.get(url, headers=central.headers)).status_code == 200
    patch = await client.patch(url, json={"name": "Z"}, headers=central.with_(**{"If-Match": "*"}))
    assert_problem(patch, 403)
    create = await client.post(
        "/v1/accounts",
        json={"kind": "dealer", "name": "C", "territory": "north"},
        headers=central.headers,
    )
    assert_problem(create, 403)
    # The integration role has the webhooks only.
    assert_problem(await client.get("/v1/accounts", headers=integration.headers), 403)
    assert_problem(await client.get(url, headers=integration.headers), 403)
    # No token at all.
    assert_problem(await client.get("/v1/accounts"), 401)


async def test_a_district_manager_creates_accounts_in_their_territories_only(
    client: httpx.AsyncClient, dm: Caller
) -> None:
    body = {"kind": "end_user", "name": "Fleet Co", "owner_id": "am-7"}
    inside = await client.post(
        "/v1/accounts", json={**body, "territory": "north"}, headers=dm.headers
    )
    assert inside.status_code == 201
    assert inside.json()["owner_id"] == "am-7"
    outside = await client.post(
        "/v1/accounts", json={**body, "territory": "south"}, headers=dm.headers
    )
    assert_problem(outside, 422, "outside-scope")


async def test_an_account_manager_creates_accounts_in_their_territories_only(
    client: httpx.AsyncClient, am: Caller
) -> None:
    """The same rule as a change: an account manager does not decide where an account is."""
    body = {"kind": "dealer", "name": "Fleet Co"}
    inside = await client.post(
        "/v1/accounts", json={**body, "territory": "north"}, headers=am.headers
    )
    outside = await client.post(
        "/v1/accounts", json={**body, "territory": "south"}, headers=am.headers
    )

    assert inside.status_code == 201, inside.text
    assert assert_problem(outside, 422, "field-not-allowed")["fields"] == ["territory"]
    listed = await client.get("/v1/accounts", headers=am.headers)
    assert [a["territory"] for a in listed.json()["items"]] == ["north"]


async def test_a_billing_number_in_use_outside_the_caller_s_scope_is_not_confirmed(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, other_am: Caller
) -> None:
    theirs = await portfolio.account(by=other_am, erp_customer_id="C-77")
    body = {"kind": "dealer", "name": "Copy", "territory": "north", "erp_customer_id": "C-77"}

    blind = await client.post("/v1/accounts", json=body, headers=am.headers)
    seen = await client.post("/v1/accounts", json=body, headers=other_am.headers)

    problem = assert_problem(blind, 422, "erp-customer-id-refused")
    assert problem["fields"] == ["erp_customer_id"]
    assert theirs["id"] not in blind.text and "already" not in blind.text
    assert assert_problem(seen, 409, "duplicate-erp-customer-id")["account_id"] == theirs["id"]
    assert (await client.get("/v1/accounts", headers=am.headers)).json()["items"] == []


async def test_patch_needs_the_current_etag_and_emits_the_change(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}"
    assert_problem(await client.patch(url, json={"name": "New"}, headers=am.headers), 428)
    stale = await client.patch(
        url, json={"name": "New"}, headers=am.with_(**{"If-Match": '"nope-v9"'})
    )
    assert_problem(stale, 412)
    current = await client.get(url, headers=am.headers)
    changed = await client.patch(
        url,
        json={"name": "New name", "status": "active", "segment": "fleet"},
        headers=am.with_(**{"If-Match": current.headers["etag"]}),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert changed.json()["name"] == "New name"
    assert changed.headers["etag"] == f'"{account["id"]}-v2"'
    [event] = await events.wait_for(f"{ACCOUNT}.updated")
    assert event["data"]["changed_fields"] == ["name", "segment", "status"]
    assert event["data"]["account"]["version"] == 2
    # The same ETag again is stale now.
    again = await client.patch(
        url, json={"name": "Other"}, headers=am.with_(**{"If-Match": current.headers["etag"]})
    )
    assert_problem(again, 412)
    # Nothing to change: no new version, no event.
    same = await client.patch(
        url, json={"name": "New name"}, headers=am.with_(**{"If-Match": changed.headers["etag"]})
    )
    assert same.json()["version"] == 2


async def test_closing_an_account_emits_account_closed(portfolio: Any, events: EventStream) -> None:
    account = await portfolio.account()
    response = await portfolio.patch(account, status="closed")
    assert response.status_code == 200
    [closed] = await events.wait_for(f"{ACCOUNT}.closed")
    assert closed["data"]["account"]["status"] == "closed"
    assert closed["data"]["account"]["version"] == 2


async def test_patch_refuses_owner_territory_for_an_account_manager_and_nulls_for_required(
    portfolio: Any, am: Caller, dm: Caller
) -> None:
    account = await portfolio.account(by=am)
    assert_problem(
        await portfolio.patch(account, by=am, territory="south"), 422, "field-not-allowed"
    )
    assert_problem(await portfolio.patch(account, by=am, owner_id="am-1"), 422, "validation-error")
    assert_problem(await portfolio.patch(account, by=am, name=None), 422, "validation-error")
    assert_problem(await portfolio.patch(account, by=dm, territory="south"), 422, "outside-scope")
    moved = await portfolio.patch(account, by=dm, territory="north-east", segment=None)
    # Leaving the district manager's own territories is outside their scope too.
    assert_problem(moved, 422, "outside-scope")
    assert (await portfolio.patch(account, by=am, legal_id="X-1")).status_code == 200


async def test_a_district_manager_transfers_an_account_and_the_history_is_kept(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    other_am: Caller,
    dm: Caller,
    events: EventStream,
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/transfer"
    assert_problem(
        await client.post(url, json={"owner_id": "am-2", "reason": "x"}, headers=am.headers), 403
    )
    assert_problem(await client.post(url, json={"owner_id": "am-2"}, headers=dm.headers), 422)
    same = await client.post(url, json={"owner_id": "am-1", "reason": "x"}, headers=dm.headers)
    assert_problem(same, 422, "same-owner")
    moved = await client.post(
        url, json={"owner_id": "am-2", "reason": "Rebalanced portfolios"}, headers=dm.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_id"] == "am-2"
    assert moved.json()["version"] == 2

    assert_problem(await client.get(f"/v1/accounts/{account['id']}", headers=am.headers), 404)
    assert (
        await client.get(f"/v1/accounts/{account['id']}", headers=other_am.headers)
    ).status_code == 200
    history = await client.get(f"/v1/accounts/{account['id']}/transfers", headers=dm.headers)
    [entry] = history.json()["items"]
    assert entry["kind"] == "transfer"
    assert (entry["previous_owner_id"], entry["owner_id"]) == ("am-1", "am-2")
    assert entry["reason"] == "Rebalanced portfolios"
    assert entry["changed_by"] == "dm-north"

    [event] = await events.wait_for(f"{ACCOUNT}.reassigned")
    assert event["data"]["previous_owner_id"] == "am-1"
    assert event["data"]["reassigned_by"] == "dm-north"
    assert event["data"]["account"]["owner_id"] == "am-2"
    assert event["data"]["account"]["version"] == 2


async def test_a_transfer_with_a_stale_if_match_is_refused(
    client: httpx.AsyncClient, portfolio: Any, admin: Caller
) -> None:
    account = await portfolio.account()
    await portfolio.patch(account, name="Renamed")
    response = await client.post(
        f"/v1/accounts/{account['id']}/transfer",
        json={"owner_id": "am-3", "reason": "x"},
        headers=admin.with_(**{"If-Match": f'"{account["id"]}-v1"'}),
    )
    assert_problem(response, 412)


async def test_deleting_leaves_a_tombstone_for_offline_clients(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    kept = await portfolio.account(by=am)
    gone = await portfolio.account(by=am, erp_customer_id="C-9")
    url = f"/v1/accounts/{gone['id']}"
    assert_problem(await client.delete(url, headers=am.headers), 428)
    deleted = await client.delete(url, headers=am.with_(**{"If-Match": f'"{gone["id"]}-v1"'}))
    assert deleted.status_code == 204
    assert_problem(await client.get(url, headers=am.headers), 404)
    assert [
        a["id"] for a in (await client.get("/v1/accounts", headers=am.headers)).json()["items"]
    ] == [kept["id"]]
    sync = await client.get(
        "/v1/accounts", params={"updated_since": since.isoformat()}, headers=am.headers
    )
    items = {item["id"]: item for item in sync.json()["items"]}
    assert items[gone["id"]]["deleted"] is True
    assert set(items[gone["id"]]) == {"id", "deleted", "updated_at"}
    assert items[kept["id"]]["name"] == kept["name"]
    [event] = await events.wait_for(f"{ACCOUNT}.deleted")
    assert event["data"]["account"]["version"] == 2
    # The billing number is free again.
    await portfolio.account(erp_customer_id="C-9")


async def test_sync_tells_an_account_manager_about_accounts_moved_away(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, admin: Caller
) -> None:
    account = await portfolio.account(by=am)
    since = datetime.now(UTC)
    await client.post(
        f"/v1/accounts/{account['id']}/transfer",
        json={"owner_id": "am-2", "reason": "x"},
        headers=admin.headers,
    )
    sync = await client.get(
        "/v1/accounts", params={"updated_since": since.isoformat()}, headers=am.headers
    )
    assert sync.json()["items"] == [
        {"id": account["id"], "deleted": True, "updated_at": sync.json()["items"][0]["updated_at"]}
    ]
    naive = await client.get(
        "/v1/accounts", params={"updated_since": "2026-01-01T00:00:00"}, headers=am.headers
    )
    assert_problem(naive, 422)


async def every_page(
    client: httpx.AsyncClient, params: dict[str, Any], who: Caller
) -> list[dict[str, Any]]:
    """Every item of ``GET /v1/accounts`` with ``params``, page after page by cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "cursor": cursor} if cursor else params
        response = await client.get("/v1/accounts", params=query, headers=who.headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def test_a_caller_with_several_roles_pages_through_the_union_of_their_scopes(
    client: httpx.AsyncClient, portfolio: Any, caller: Callable[..., Caller]
) -> None:
    many = caller(
        "account_manager",
        "key_account_manager",
        "district_manager",
        sub="multi-1",
        territories=["east", "west"],
    )
    expected = [
        await portfolio.account(owner_id="multi-1", territory="north", status="active"),
        await portfolio.account(owner_id="am-2", territory="east", status="active"),
        await portfolio.account(
            owner_id="am-2", territory="south", key_account_manager_id="multi-1", status="active"
        ),
        await portfolio.account(owner_id="am-3", territory="west", status="active"),
    ]
    await portfolio.account(owner_id="am-2", territory="south", status="active")  # not theirs
    await portfolio.account(owner_id="multi-1", territory="north", status="prospect")

    listed = await every_page(client, {"limit": 3, "status": "active"}, many)
    assert [item["id"] for item in listed] == [account["id"] for account in expected]


async def test_filters_search_and_cursor_pages(
    client: httpx.AsyncClient, portfolio: Any, admin: Caller
) -> None:
    for index in range(5):
        await portfolio.account(name=f"Northern Tyres {index}", status="active")
    await portfolio.account(name="Southern Fleet", territory="south", kind="end_user")
    await portfolio.account(name="100%_Rubber", territory="south", owner_id="am-9")

    async def names(**params: Any) -> list[str]:
        response = await client.get("/v1/accounts", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names(territory="south", kind="end_user") == ["Southern Fleet"]
    assert await names(q="FLEET") == ["Southern Fleet"]
    assert await names(q="%_") == ["100%_Rubber"]
    assert await names(owner_id="am-9") == ["100%_Rubber"]
    assert len(await names(status="active")) == 5
    assert_problem(
        await client.get("/v1/accounts", params={"kind": "shop"}, headers=admin.headers), 422
    )
    assert_problem(
        await client.get("/v1/accounts", params={"limit": 0}, headers=admin.headers), 422
    )

    listed = await every_page(client, {"limit": 2, "status": "active"}, admin)
    assert [item["name"] for item in listed] == [f"Northern Tyres {i}" for i in range(5)]
    bad = await client.get("/v1/accounts", params={"cursor": "garbage"}, headers=admin.headers)
    assert_problem(bad, 400, "invalid-cursor")


async def test_group_members_follow_their_groups_key_account_manager(
    client: httpx.AsyncClient, portfolio: Any, kam: Caller, caller: Any, events: EventStream
) -> None:
    group = await portfolio.account(name="Dragon Group", key_account_manager_id="kam-1")
    member = await portfolio.account(name="Dragon Harbin", parent_id=group["id"])
    assert member["key_account_manager_id"] == "kam-1"
    assert member["own_key_account_manager_id"] is None
    assert (
        await client.get(f"/v1/accounts/{member['id']}", headers=kam.headers)
    ).status_code == 200

    end_user = await portfolio.account(kind="end_user")
    assert_problem(await portfolio.patch(member, parent_id=end_user["id"]), 422, "invalid-group")
    assert_problem(await portfolio.patch(group, parent_id=member["id"]), 422, "invalid-group")
    assert_problem(await portfolio.patch(group, kind="end_user"), 422, "invalid-group")

    assert (await portfolio.patch(group, key_account_manager_id="kam-2")).status_code == 200
    moved = await client.get(f"/v1/accounts/{member['id']}", headers=portfolio.admin.headers)
    assert moved.json()["key_account_manager_id"] == "kam-2"
    assert_problem(await client.get(f"/v1/accounts/{member['id']}", headers=kam.headers), 404)
    kam2 = caller("key_account_manager", sub="kam-2")
    listed = await client.get("/v1/accounts", headers=kam2.headers)
    assert {a["id"] for a in listed.json()["items"]} == {group["id"], member["id"]}
    updates = await events.wait_for(
        f"{ACCOUNT}.updated", where=lambda e: e["subject"] == member["id"]
    )
    assert updates[-1]["data"]["account"]["key_account_manager_id"] == "kam-2"
    assert updates[-1]["data"]["account"]["version"] == moved.json()["version"]
    history = await client.get(f"/v1/accounts/{member['id']}/transfers", headers=kam2.headers)
    assert history.json()["items"][-1]["kind"] == "key_account_change"

    # Deleting the group sets its members free.
    etag = await portfolio.etag(group)
    await client.delete(
        f"/v1/accounts/{group['id']}", headers=portfolio.admin.with_(**{"If-Match": etag})
    )
    freed = await client.get(f"/v1/accounts/{member['id']}", headers=portfolio.admin.headers)
    assert freed.json()["parent_id"] is None
    assert freed.json()["key_account_manager_id"] is None


async def test_keyed_creates_write_each_account_and_its_event_once(
    client: httpx.AsyncClient, am: Caller, portfolio: Any, events: EventStream
) -> None:
    """A keyed create goes in with its answer (no billing number, no group: nothing can refuse
    it) or by itself (with either): the account and its event are written once either way,
    read back as answered, and a replay writes nothing more."""
    group = await portfolio.account(owner_id="am-1")
    dealer = {"kind": "dealer", "territory": "north"}
    bodies = {
        "plain": {**dealer, "name": "Plain"},
        "billed": {**dealer, "name": "Billed", "erp_customer_id": "C-77"},
        "member": {**dealer, "name": "Member", "parent_id": group["id"]},
    }
    created = [group["id"]]
    for name, body in bodies.items():
        headers = am.with_(**{"Idempotency-Key": f"keyed-{name}"})
        first = await client.post("/v1/accounts", json=body, headers=headers)
        assert first.status_code == 201, first.text
        again = await client.post("/v1/accounts", json=body, headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        read = await client.get(f"/v1/accounts/{first.json()['id']}", headers=am.headers)
        assert read.json() == first.json()
        created.append(first.json()["id"])
    # Events are published in the order they were written: a last one after the replays shows
    # that they wrote none.
    last = await portfolio.account(owner_id="am-1")
    found = await events.wait_for(f"{ACCOUNT}.created", len(created) + 1)
    assert [event["subject"] for event in found] == [*created, last["id"]]


async def test_a_repeated_idempotency_key_returns_the_first_account(
    client: httpx.AsyncClient, am: Caller
) -> None:
    body = {"kind": "dealer", "name": "Once", "territory": "north"}
    headers = am.with_(**{"Idempotency-Key": "create-once"})
    first = await client.post("/v1/accounts", json=body, headers=headers)
    second = await client.post("/v1/accounts", json=body, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert len((await client.get("/v1/accounts", headers=am.headers)).json()["items"]) == 1
