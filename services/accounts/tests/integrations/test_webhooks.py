"""Signed webhooks of the credit and billing systems."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tread_accounts.integrations.signature import sign
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

CREDIT_SECRET = "credit-secret"  # as the fakes' settings in conftest.py
BILLING_SECRET = "billing-secret"
CREDIT_URL = "/v1/integrations/credit/events"
BILLING_URL = "/v1/integrations/billing/events"


def credit_block(
    event_id: str = "cr-1",
    erp: str = "C-1001",
    blocked: bool = True,
    at: str = "2026-11-27T01:00:00Z",
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "credit.status_changed",
        "occurred_at": at,
        "data": {
            "erp_customer_id": erp,
            "credit_limit": {"amount": "500000.00", "currency": "CNY"},
            "exposure": {"amount": "530000.00", "currency": "CNY"},
            "blocked": blocked,
            "reason": "exposure above limit",
        },
    }


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    event: dict[str, Any],
    by: Caller,
    secret: str,
    timestamp: int | None = None,
) -> httpx.Response:
    body = json.dumps(event).encode()
    headers = by.with_(
        **{"Content-Type": "application/json", "Tread-Signature": sign(body, secret, timestamp)}
    )
    return await client.post(url, content=body, headers=headers)


async def test_a_signed_credit_block_updates_the_account_and_opens_a_case(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    integration: Caller,
    credit_system: Any,
    events: EventStream,
) -> None:
    account = await portfolio.account(by=am, erp_customer_id="C-1001")
    response = await post_signed(client, CREDIT_URL, credit_block(), integration, CREDIT_SECRET)
    assert response.status_code == 200, response.text
    ack = response.json()
    assert ack["status"] == "applied" and ack["case_id"]

    case = (await client.get(f"/v1/cases/{ack['case_id']}", headers=am.headers)).json()
    assert (case["category"], case["priority"], case["source"]) == (
        "credit",
        "high",
        "credit_system",
    )
    assert case["assignee_id"] == "central-credit"
    assert case["account_id"] == account["id"]

    credit_system.failure = 503  # the pull fails: the webhook's values are the last known
    financials = await client.get(f"/v1/accounts/{account['id']}/financials", headers=am.headers)
    credit = financials.json()["credit"]
    assert credit["blocked"] is True and credit["stale"] is True
    assert credit["as_of"] == "2026-11-27T01:00:00Z"

    [changed] = await events.wait_for("tread.accounts.credit_status.changed")
    assert changed["data"]["blocked"] is True and changed["data"]["previous_blocked"] is None
    assert changed["data"]["source_event_id"] == "cr-1"
    [opened] = await events.wait_for("tread.accounts.case.opened")
    assert opened["data"]["case"]["source"] == "credit_system"


async def test_a_repeated_event_is_acknowledged_and_applied_once(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, integration: Caller, events: EventStream
) -> None:
    await portfolio.account(by=am, erp_customer_id="C-1001")
    first = await post_signed(client, CREDIT_URL, credit_block(), integration, CREDIT_SECRET)
    again = await post_signed(client, CREDIT_URL, credit_block(), integration, CREDIT_SECRET)
    assert first.json()["status"] == "applied"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    still_blocked = await post_signed(
        client,
        CREDIT_URL,
        credit_block("cr-2", at="2026-11-27T02:00:00Z"),
        integration,
        CREDIT_SECRET,
    )
    assert still_blocked.json() == {"event_id": "cr-2", "status": "applied", "case_id": None}
    older = await post_signed(
        client,
        CREDIT_URL,
        credit_block("cr-0", blocked=False, at="2026-11-26T00:00:00Z"),
        integration,
        CREDIT_SECRET,
    )
    assert older.json()["status"] == "outdated"
    await events.wait_for("tread.accounts.credit_status.changed", 2)
    assert len(await events.of_type("tread.accounts.credit_status.changed")) == 2
    assert len(await events.of_type("tread.accounts.case.opened")) == 1
    cases = await client.get("/v1/cases", headers=am.headers)
    assert len(cases.json()["items"]) == 1


async def test_bad_signatures_are_401_and_change_nothing(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, integration: Caller, events: EventStream
) -> None:
    await portfolio.account(by=am, erp_customer_id="C-1001")
    body = json.dumps(credit_block()).encode()
    json_headers = integration.with_(**{"Content-Type": "application/json"})
    now = int(time.time())
    attempts = {
        "missing": json_headers,
        "wrong secret": {**json_headers, "Tread-Signature": sign(body, "guess")},
        "other system's secret": {**json_headers, "Tread-Signature": sign(body, BILLING_SECRET)},
        "six minutes old": {
            **json_headers,
            "Tread-Signature": sign(body, CREDIT_SECRET, now - 360),
        },
        "from the future": {
            **json_headers,
            "Tread-Signature": sign(body, CREDIT_SECRET, now + 360),
        },
        "garbled": {**json_headers, "Tread-Signature": "v1=abc"},
        "superscript digit": {
            **json_headers,
            # Sent as bytes: httpx writes str headers in ASCII only.
            "Tread-Signature": sign(body, CREDIT_SECRET)
            .replace("t=", "t=\u00b2", 1)
            .encode("latin-1"),
        },
        "two timestamps": {
            **json_headers,
            "Tread-Signature": f"t={now - 3600},{sign(body, CREDIT_SECRET, now)}",
        },
        "a timestamp after the signature": {
            **json_headers,
            "Tread-Signature": f"{sign(body, CREDIT_SECRET, now)},t={now - 3600}",
        },
    }
    for what, headers in attempts.items():
        response = await client.post(CREDIT_URL, content=body, headers=headers)
        assert_problem(response, 401, "invalid-signature"), what
    tampered = {**json_headers, "Tread-Signature": sign(body, CREDIT_SECRET)}
    response = await client.post(
        CREDIT_URL, content=body.replace(b"530000", b"130000"), headers=tampered
    )
    assert_problem(response, 401, "invalid-signature")
    four_minutes_old = await post_signed(
        client, CREDIT_URL, credit_block(), integration, CREDIT_SECRET, now - 240
    )
    # Nothing was recorded before: the first valid delivery is the one applied.
    assert four_minutes_old.json()["status"] == "applied"
    assert len(await events.wait_for("tread.accounts.credit_status.changed")) == 1


async def test_only_the_integration_role_posts_events(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, central: Caller, integration: Caller
) -> None:
    await portfolio.account(by=am, erp_customer_id="C-1001")
    for who in (am, central):
        assert_problem(
            await post_signed(client, CREDIT_URL, credit_block(), who, CREDIT_SECRET), 403
        )
    body = json.dumps(credit_block()).encode()
    anonymous = await client.post(
        CREDIT_URL, content=body, headers={"Tread-Signature": sign(body, CREDIT_SECRET)}
    )
    assert_problem(anonymous, 401)
    assert (
        await post_signed(client, CREDIT_URL, credit_block(), integration, CREDIT_SECRET)
    ).status_code == 200


async def test_unknown_customers_and_malformed_events_are_refused_until_fixed(
    client: httpx.AsyncClient, portfolio: Any, integration: Caller, am: Caller
) -> None:
    event = credit_block(erp="C-404")
    unknown = await post_signed(client, CREDIT_URL, event, integration, CREDIT_SECRET)
    assert_problem(unknown, 422, "unknown-customer")
    malformed = {**credit_block("cr-x"), "data": {"erp_customer_id": "C-404", "blocked": "maybe"}}
    assert_problem(
        await post_signed(client, CREDIT_URL, malformed, integration, CREDIT_SECRET), 422
    )
    wrong_kind = {**credit_block("cr-y"), "type": "invoice.overdue"}
    assert_problem(
        await post_signed(client, CREDIT_URL, wrong_kind, integration, CREDIT_SECRET), 422
    )
    await portfolio.account(by=am, erp_customer_id="C-404")
    retried = await post_signed(client, CREDIT_URL, event, integration, CREDIT_SECRET)
    assert retried.json()["status"] == "applied"


def overdue(event_id: str, days: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "invoice.overdue",
        "occurred_at": "2026-11-27T01:00:00Z",
        "data": {
            "erp_customer_id": "C-1001",
            "invoice_number": "F-2026-0118",
            "amount": {"amount": "20000.00", "currency": "CNY"},
            "open_amount": {"amount": "12000.00", "currency": "CNY"},
            "due_on": "2026-10-30",
            "days_overdue": days,
        },
    }


async def test_an_overdue_invoice_opens_one_billing_case(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, integration: Caller, events: EventStream
) -> None:
    await portfolio.account(by=am, erp_customer_id="C-1001")
    first = await post_signed(client, BILLING_URL, overdue("bi-1", 28), integration, BILLING_SECRET)
    assert first.status_code == 200, first.text
    case = (await client.get(f"/v1/cases/{first.json()['case_id']}", headers=am.headers)).json()
    assert (case["category"], case["priority"], case["assignee_id"]) == (
        "billing",
        "normal",
        "central-billing",
    )
    assert case["external_reference"] == "invoice:F-2026-0118"
    later = await post_signed(client, BILLING_URL, overdue("bi-2", 35), integration, BILLING_SECRET)
    assert later.json() == {"event_id": "bi-2", "status": "applied", "case_id": None}
    overdue_events = await events.wait_for("tread.accounts.invoice.overdue", 2)
    assert [e["data"]["days_overdue"] for e in overdue_events] == [28, 35]
    # The credit secret does not sign billing events.
    assert_problem(
        await post_signed(client, BILLING_URL, overdue("bi-3", 40), integration, CREDIT_SECRET), 401
    )


async def test_monthly_sell_in_is_recorded_per_product_line(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, integration: Caller, events: EventStream
) -> None:
    account = await portfolio.account(by=am, erp_customer_id="C-1001")

    def sell_in(
        event_id: str, lines: list[dict[str, Any]], month: str = "2026-10"
    ) -> dict[str, Any]:
        return {
            "id": event_id,
            "type": "sell_in.monthly",
            "occurred_at": "2026-11-02T00:00:00Z",
            "data": {"erp_customer_id": "C-1001", "month": month, "lines": lines},
        }

    truck = {
        "product_line": "truck-radial",
        "units": 420,
        "amount": {"amount": "336000.00", "currency": "CNY"},
    }
    agri = {"product_line": "agri", "units": 35}
    assert (
        await post_signed(
            client, BILLING_URL, sell_in("si-1", [truck, agri]), integration, BILLING_SECRET
        )
    ).status_code == 200
    corrected = {**truck, "units": 400}
    await post_signed(
        client, BILLING_URL, sell_in("si-2", [corrected]), integration, BILLING_SECRET
    )
    await post_signed(
        client, BILLING_URL, sell_in("si-3", [agri], "2025-12"), integration, BILLING_SECRET
    )
    duplicate_lines = sell_in("si-4", [agri, agri])
    assert_problem(
        await post_signed(client, BILLING_URL, duplicate_lines, integration, BILLING_SECRET), 422
    )

    volumes = await client.get(
        f"/v1/accounts/{account['id']}/sell-in", params={"year": 2026}, headers=am.headers
    )
    assert [(v["month"], v["product_line"], v["units"]) for v in volumes.json()["items"]] == [
        ("2026-10", "agri", 35),
        ("2026-10", "truck-radial", 400),
    ]
    recorded = await events.wait_for("tread.accounts.sell_in.recorded", 3)
    assert recorded[0]["data"]["lines"][0] == {
        "product_line": "truck-radial",
        "units": 420,
        "amount": {"amount": "336000.00", "currency": "CNY"},
    }
    assert recorded[0]["data"]["month"] == "2026-10"


async def test_an_event_dated_outside_1900_to_2199_is_a_422_naming_the_field(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, integration: Caller
) -> None:
    await portfolio.account(by=am, erp_customer_id="C-1001")
    for at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1764237600"):
        event = credit_block(event_id=f"cr-{at}", at=at)

        response = await post_signed(client, CREDIT_URL, event, integration, CREDIT_SECRET)

        problem = assert_problem(response, 422)
        assert [error["location"][-1] for error in problem["errors"]] == ["occurred_at"], at
