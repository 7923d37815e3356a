"""Contacts: validated phone and e-mail, consents, the account's scope, sync, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

CONTACT = {
    "full_name": "Wang Lei",
    "roles": ["owner", "buyer"],
    "phone": "+86 138 0013 8000",
    "email": "Wang.Lei@Example.CN",
    "consents": {"email_marketing": True},
}


async def test_adding_a_contact_normalises_phone_and_records_consent(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am)
    response = await client.post(
        f"/v1/accounts/{account['id']}/contacts", json=CONTACT, headers=am.headers
    )
    assert response.status_code == 201, response.text
    contact = response.json()
    assert contact["phone"] == "+8613800138000"
    assert contact["email"] == "Wang.Lei@example.cn"
    assert contact["consents"] == {
        "email_marketing": True,
        "sms_marketing": False,
        "phone_calls": False,
    }
    assert contact["consents_recorded_at"] is not None
    assert response.headers["etag"] == f'"{contact["id"]}-v1"'
    [event] = await events.wait_for("tread.accounts.contact.changed")
    assert event["data"]["change"] == "created"
    assert event["data"]["contact"]["roles"] == ["owner", "buyer"]
    assert "phone" not in event["data"]["contact"]


async def test_malformed_contacts_are_refused_and_nothing_is_added(
    client: httpx.AsyncClient, portfolio: Any, am: Caller
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/contacts"
    for bad in (
        {"email": "not-an-address"},
        {"phone": "13800138000"},
        {"phone": "+86 12"},
        {"roles": ["boss"]},
        {"full_name": "x" * 201},
        {"consents": {"telepathy": True}},
        {"id": "0192f0c4-0000-7000-8000-000000000000"},
    ):
        assert_problem(await client.post(url, json={**CONTACT, **bad}, headers=am.headers), 422)
    assert (await client.get(url, headers=am.headers)).json()["items"] == []


async def test_contacts_follow_the_accounts_scope(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    other_am: Caller,
    central: Caller,
    dm: Caller,
    integration: Caller,
) -> None:
    account = await portfolio.account(by=am)
    created = await client.post(
        f"/v1/accounts/{account['id']}/contacts", json=CONTACT, headers=am.headers
    )
    contact_url = f"/v1/contacts/{created.json()['id']}"
    any_match = {"If-Match": "*"}

    assert_problem(await client.get(contact_url, headers=other_am.headers), 404)
    assert_problem(
        await client.get(f"/v1/accounts/{account['id']}/contacts", headers=other_am.headers), 404
    )
    assert_problem(
        await client.post(
            f"/v1/accounts/{account['id']}/contacts", json=CONTACT, headers=other_am.headers
        ),
        404,
    )
    assert_problem(
        await client.patch(
            contact_url, json={"job_title": "x"}, headers=other_am.with_(**any_match)
        ),
        404,
    )
    assert (await client.get("/v1/contacts", headers=other_am.headers)).json()["items"] == []

    assert (await client.get(contact_url, headers=central.headers)).status_code == 200
    assert_problem(
        await client.patch(
            contact_url, json={"job_title": "x"}, headers=central.with_(**any_match)
        ),
        403,
    )
    assert_problem(
        await client.post(
            f"/v1/accounts/{account['id']}/contacts", json=CONTACT, headers=central.headers
        ),
        403,
    )
    assert (await client.get(contact_url, headers=dm.headers)).status_code == 200
    assert_problem(await client.get(contact_url, headers=integration.headers), 403)
    assert_problem(await client.get("/v1/contacts", headers=integration.headers), 403)
    listed = await client.get("/v1/contacts", headers=am.headers)
    assert [c["id"] for c in listed.json()["items"]] == [created.json()["id"]]


async def test_changing_and_removing_a_contact(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, events: EventStream
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    account = await portfolio.account(by=am)
    created = await client.post(
        f"/v1/accounts/{account['id']}/contacts", json=CONTACT, headers=am.headers
    )
    contact = created.json()
    url = f"/v1/contacts/{contact['id']}"
    assert_problem(await client.patch(url, json={"job_title": "Boss"}, headers=am.headers), 428)
    assert_problem(
        await client.patch(url, json={"full_name": None}, headers=am.with_(**{"If-Match": "*"})),
        422,
    )
    changed = await client.patch(
        url,
        json={"consents": {"sms_marketing": True}, "phone": None},
        headers=am.with_(**{"If-Match": created.headers["etag"]}),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] is None
    assert changed.json()["consents"]["email_marketing"] is False
    assert changed.json()["consents"]["sms_marketing"] is True
    assert changed.json()["consents_recorded_at"] > contact["consents_recorded_at"]
    stale = await client.delete(url, headers=am.with_(**{"If-Match": created.headers["etag"]}))
    assert_problem(stale, 412)
    removed = await client.delete(url, headers=am.with_(**{"If-Match": changed.headers["etag"]}))
    assert removed.status_code == 204
    assert_problem(await client.get(url, headers=am.headers), 404)

    sync = await client.get(
        f"/v1/accounts/{account['id']}/contacts",
        params={"updated_since": since.isoformat()},
        headers=am.headers,
    )
    [tombstone] = sync.json()["items"]
    assert tombstone["id"] == contact["id"] and tombstone["deleted"] is True
    changes = await events.wait_for("tread.accounts.contact.changed", 3)
    assert [e["data"]["change"] for e in changes] == ["created", "updated", "deleted"]
    assert changes[1]["data"]["changed_fields"] == ["consents", "phone"]
    assert changes[2]["data"]["contact"]["version"] == 3


async def test_contacts_of_a_deleted_account_are_gone(
    client: httpx.AsyncClient, portfolio: Any, admin: Caller
) -> None:
    account = await portfolio.account()
    created = await client.post(
        f"/v1/accounts/{account['id']}/contacts", json=CONTACT, headers=admin.headers
    )
    await client.delete(
        f"/v1/accounts/{account['id']}",
        headers=admin.with_(**{"If-Match": f'"{account["id"]}-v1"'}),
    )
    assert_problem(
        await client.get(f"/v1/contacts/{created.json()['id']}", headers=admin.headers), 404
    )
    assert (await client.get("/v1/contacts", headers=admin.headers)).json()["items"] == []
