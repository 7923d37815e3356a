"""The inbox API: pages newest first, read and done per caller, counts, changes since a time
with tombstones, and refusals that change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.testing.http import Caller, assert_problem


async def blocked_accounts(sources: Any, count: int) -> list[uuid.UUID]:
    account_ids = []
    for _ in range(count):
        account_id = await sources.open()
        await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
        account_ids.append(account_id)
    return account_ids


async def test_pages_come_newest_first_and_end(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_ids = await blocked_accounts(sources, 5)
    await inbox.holding(callers["am"], 5)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await inbox.get("/v1/inbox", callers["am"], **params)
        seen += [item["resource_url"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"/v1/accounts/{a}" for a in reversed(account_ids)]


async def test_read_and_done_are_the_callers_own(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    await blocked_accounts(sources, 2)
    first, second = await inbox.holding(callers["am"], 2)
    read = await inbox.post(f"/v1/inbox/{first['id']}/read", callers["am"])
    assert read["state"] == "read"
    # Again: the same answer, nothing else changes.
    assert (await inbox.post(f"/v1/inbox/{first['id']}/read", callers["am"]))["state"] == "read"
    done = await inbox.post(f"/v1/inbox/{second['id']}/done", callers["am"])
    assert done["state"] == "done"

    assert await inbox.get("/v1/inbox/counts", callers["am"]) == {"total": 0, "by_kind": {}}
    assert [i["id"] for i in await inbox.items(callers["am"], state="read")] == [first["id"]]
    assert [i["id"] for i in await inbox.items(callers["am"], state="done")] == [second["id"]]
    # The key account manager's copy is untouched.
    kam_counts = await inbox.get("/v1/inbox/counts", callers["kam"])
    assert kam_counts == {"total": 2, "by_kind": {"credit_blocked": 2}}
    assert (await inbox.get(f"/v1/inbox/{first['id']}", callers["kam"]))["state"] == "unread"


async def test_someone_elses_item_is_not_found(
    sources: Any, inbox: Any, client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    [account_id] = await blocked_accounts(sources, 1)
    [item] = await inbox.items(callers["am"])
    for name in ("other_am", "other_dm", "other_kam", "central", "admin"):
        for method, path in (
            ("GET", f"/v1/inbox/{item['id']}"),
            ("POST", f"/v1/inbox/{item['id']}/read"),
            ("POST", f"/v1/inbox/{item['id']}/done"),
        ):
            answer = await client.request(method, path, headers=callers[name].headers)
            assert_problem(answer, 404, "not-found")
    assert (await inbox.get(f"/v1/inbox/{item['id']}", callers["am"]))["state"] == "unread"
    assert account_id


async def test_changes_since_a_time_carry_decisions_and_deletions(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    start = utcnow()
    kept, deleted = await blocked_accounts(sources, 2)
    await inbox.holding(callers["am"], 2)
    entry = sources.entries[deleted].model_copy(update={"version": 2, "updated_at": utcnow()})
    await sources.send(acc.AccountDeleted(account=entry), deleted)

    page = await inbox.get("/v1/inbox", callers["am"], updated_since=start.isoformat())
    assert [item.get("deleted", False) for item in page["items"]] == [False, True]
    assert page["items"][0]["resource_url"] == f"/v1/accounts/{kept}"
    assert set(page["items"][1]) == {"id", "deleted", "updated_at"}
    # Gone from the inbox itself.
    assert len(await inbox.items(callers["am"])) == 1

    first = await inbox.get("/v1/inbox", callers["am"], updated_since=start.isoformat(), limit=1)
    rest = await inbox.get(
        "/v1/inbox",
        callers["am"],
        updated_since=start.isoformat(),
        limit=1,
        cursor=first["next_cursor"],
    )
    assert [first["items"][0]["id"], rest["items"][0]["id"]] == [i["id"] for i in page["items"]]
    assert rest["next_cursor"] is None


async def test_read_and_done_marks_are_changes_for_the_phone(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    await blocked_accounts(sources, 3)
    first, second, third = await inbox.holding(callers["am"], 3)
    synced = utcnow()
    since = {"updated_since": synced.isoformat()}
    assert (await inbox.get("/v1/inbox", callers["am"], **since))["items"] == []

    # Read on the web, put away on another phone: this phone's next sync brings both.
    await inbox.post(f"/v1/inbox/{second['id']}/read", callers["am"])
    await inbox.post(f"/v1/inbox/{first['id']}/done", callers["am"])
    page = await inbox.get("/v1/inbox", callers["am"], **since)
    changes = [(item["id"], item["state"]) for item in page["items"]]
    assert changes == [(second["id"], "read"), (first["id"], "done")]
    assert all(item["updated_at"] >= synced.isoformat() for item in page["items"])
    # Page by page, the same, once each.
    one = await inbox.get("/v1/inbox", callers["am"], **since, limit=1)
    two = await inbox.get("/v1/inbox", callers["am"], **since, limit=1, cursor=one["next_cursor"])
    assert [i["id"] for i in one["items"] + two["items"]] == [second["id"], first["id"]]
    assert two["next_cursor"] is None
    # Marking again changes nothing, so nothing new to sync after the last change.
    last = page["items"][-1]["updated_at"]
    await inbox.post(f"/v1/inbox/{first['id']}/done", callers["am"])
    later = await inbox.get("/v1/inbox", callers["am"], updated_since=last)
    assert [i["id"] for i in later["items"]] == [first["id"]]
    # The marks are the caller's: the key account manager has nothing new, nor a third item.
    assert (await inbox.get("/v1/inbox", callers["kam"], **since))["items"] == []
    assert third["id"] not in [i["id"] for i in page["items"]]


async def test_an_account_moving_takes_its_items_to_the_new_audience_and_tombstones_the_old(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    [account_id] = await blocked_accounts(sources, 1)
    [item] = await inbox.holding(callers["am"], 1)
    moved = utcnow()
    since = {"updated_since": moved.isoformat()}

    await sources.reassign(account_id, "am-2")
    # Gone from the former owner's inbox, and his phone is told so.
    assert await inbox.items(callers["am"]) == []
    [tombstone] = (await inbox.get("/v1/inbox", callers["am"], **since))["items"]
    assert tombstone["id"] == item["id"] and tombstone["deleted"] is True
    assert tombstone["updated_at"] >= moved.isoformat()
    # The new owner's phone gets it as a change, though the item itself did not change.
    [arrived] = (await inbox.get("/v1/inbox", callers["other_am"], **since))["items"]
    assert (arrived["id"], arrived["state"]) == (item["id"], "unread")
    # The key account manager still has it: nothing to drop, just the change.
    [kept] = (await inbox.get("/v1/inbox", callers["kam"], **since))["items"]
    assert kept["id"] == item["id"] and "deleted" not in kept

    # An update that moves nothing (a new name) takes nothing from anyone.
    renamed = utcnow()
    await sources.update(account_id, name="Huadong Tyres North")
    assert (await inbox.get("/v1/inbox", callers["other_am"], updated_since=renamed))["items"] == []


async def test_a_renewal_leaves_the_district_manager_whose_territory_the_account_left(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    kept, moving = await sources.open(), await sources.open()
    for account_id in (kept, moving):
        contract = sources.contract(account_id)
        renewal = con.ContractRenewalDue(
            contract=contract, window_days=90, days_left=88, noticed_at=utcnow()
        )
        await sources.send(renewal, contract.contract_id)
    first, second = await inbox.holding(callers["dm"], 2)
    start = utcnow()
    await sources.update(moving, territory="south")

    north = await inbox.get("/v1/inbox", callers["dm"], updated_since=start.isoformat())
    gone = [i for i in north["items"] if i.get("deleted")]
    assert len(gone) == 1 and gone[0]["id"] in {first["id"], second["id"]}
    assert len(await inbox.items(callers["dm"])) == 1
    [arrived] = (
        await inbox.get("/v1/inbox", callers["other_dm"], updated_since=start.isoformat())
    )["items"]
    assert arrived["id"] == gone[0]["id"]
    # Paged one by one, the north's feed is the same changes in the same order.
    seen, cursor = [], None
    while True:
        params = {"updated_since": start.isoformat(), "limit": 1}
        page = await inbox.get(
            "/v1/inbox", callers["dm"], **params, **({"cursor": cursor} if cursor else {})
        )
        seen += [(i["id"], i.get("deleted", False)) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [(i["id"], i.get("deleted", False)) for i in north["items"]]


async def test_bad_input_is_a_problem(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    headers = callers["am"].headers
    assert_problem(await client.get("/v1/inbox", params={"cursor": "nope"}, headers=headers), 400)
    other_kind = await client.get("/v1/inbox", params={"cursor": "WyJhIiwiYiJd"}, headers=headers)
    assert_problem(other_kind, 400)
    assert_problem(await client.get("/v1/inbox", params={"kind": "gossip"}, headers=headers), 422)
    assert_problem(await client.get("/v1/inbox", params={"limit": 0}, headers=headers), 422)
    assert_problem(await client.get("/v1/inbox/not-an-id", headers=headers), 422)
    assert_problem(await client.post(f"/v1/inbox/{uuid.uuid4()}/read", headers=headers), 404)
    stream = await client.get("/v1/inbox/stream", headers={**headers, "Last-Event-ID": "x1"})
    assert_problem(stream, 400, "invalid-last-event-id")


async def test_integrations_and_strangers_have_no_inbox(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    assert_problem(await client.get("/v1/inbox", headers=callers["integration"].headers), 403)
    assert_problem(await client.get("/v1/inbox"), 401)


async def test_the_badge_counts_what_the_list_shows_unread_as_accounts_move_and_go(
    sources: Any, inbox: Any, callers: dict[str, Caller], caller: Any
) -> None:
    # One person in three roles: an item reaching them by two or three paths counts once.
    boss = caller(
        "account_manager",
        "key_account_manager",
        "district_manager",
        sub="boss",
        territories=["north"],
    )
    everyone = [boss, *(callers[who] for who in ("am", "other_am", "dm", "other_dm", "kam"))]

    async def badges_match_lists() -> None:
        for who in everyone:
            unread = await inbox.items(who, state="unread", limit=100)
            by_kind: dict[str, int] = {}
            for item in unread:
                by_kind[item["kind"]] = by_kind.get(item["kind"], 0) + 1
            counts = await inbox.get("/v1/inbox/counts", who)
            assert counts == {"total": len(unread), "by_kind": by_kind}, who.sub

    own = await sources.open(owner_id="boss", key_account_manager_id="boss")
    theirs = await sources.open()
    south = await sources.open(owner_id="am-2", territory="south")
    offers = {}
    for account_id in (own, theirs, south):
        await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
        case = sources.case(account_id, escalated_at=None)
        await sources.send(acc.CaseEscalated(case=case), case.case_id)
        offers[account_id] = await sources.offer_submitted(account_id)
    await badges_match_lists()
    # Their own account's three, each once; the north's escalated case and offer as district
    # manager (the other account's credit block is for its owner and key account manager).
    assert (await inbox.get("/v1/inbox/counts", boss))["total"] == 5

    # Read by one, decided for all, moved to another owner and territory, deleted.
    [first, *_] = await inbox.items(boss)
    await inbox.post(f"/v1/inbox/{first['id']}/read", boss)
    await sources.offer_approved(own, offers[own], by="boss")
    await badges_match_lists()
    await sources.reassign(theirs, "boss")
    await sources.update(south, territory="north")
    await badges_match_lists()
    assert (await inbox.get("/v1/inbox/counts", callers["other_dm"]))["total"] == 0
    entry = sources.entries[own].model_copy(update={"version": 9})
    await sources.send(acc.AccountDeleted(account=entry), own)
    await badges_match_lists()
    assert (await inbox.get("/v1/inbox/counts", boss))["total"] > 0
