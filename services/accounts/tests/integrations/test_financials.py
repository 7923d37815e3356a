"""Financials from the credit and billing systems, and the last known values when they fail."""

from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.http import Caller, assert_problem

CREDIT = {
    "credit_limit": {"amount": "500000.00", "currency": "CNY"},
    "exposure": {"amount": "320000.50", "currency": "CNY"},
    "overdue_amount": {"amount": "12000.00", "currency": "CNY"},
    "blocked": False,
    "rating": "B+",
}
INVOICES = {
    "items": [
        {
            "number": "F-2026-0118",
            "issued_on": "2026-09-30",
            "due_on": "2026-10-30",
            "amount": {"amount": "20000.00", "currency": "CNY"},
            "open_amount": {"amount": "12000.00", "currency": "CNY"},
        },
        {
            "number": "F-2026-0190",
            "due_on": "2026-12-30",
            "amount": {"amount": "8000.00", "currency": "CNY"},
            "open_amount": {"amount": "8000.00", "currency": "CNY"},
        },
    ]
}


async def test_financials_come_from_both_systems(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, credit_system: Any, billing_system: Any
) -> None:
    account = await portfolio.account(by=am, erp_customer_id="C 1001")
    credit_system.answers["C 1001"] = CREDIT
    billing_system.answers["C 1001"] = INVOICES
    response = await client.get(f"/v1/accounts/{account['id']}/financials", headers=am.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stale"] is False
    assert body["credit"]["credit_limit"] == {"amount": "500000.00", "currency": "CNY"}
    assert body["credit"]["exposure"] == {"amount": "320000.50", "currency": "CNY"}
    assert body["credit"]["blocked"] is False
    assert body["credit"]["age_seconds"] == 0
    invoices = body["open_invoices"]
    assert [(i["number"], i["overdue"]) for i in invoices["items"]] == [
        ("F-2026-0118", True),
        ("F-2026-0190", False),
    ]
    assert invoices["total_open"] == [{"amount": "20000.00", "currency": "CNY"}]
    assert credit_system.requests[0].headers["authorization"] == "Bearer credit-token"
    assert billing_system.requests[0].headers["authorization"] == "Bearer billing-token"
    assert credit_system.requests[0].headers["traceparent"]


async def test_a_system_down_answers_the_last_known_values_with_their_age(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, credit_system: Any, billing_system: Any
) -> None:
    account = await portfolio.account(by=am, erp_customer_id="C-2")
    url = f"/v1/accounts/{account['id']}/financials"
    credit_system.answers["C-2"] = CREDIT
    billing_system.answers["C-2"] = INVOICES
    fresh = (await client.get(url, headers=am.headers)).json()

    credit_system.failure = 503
    billing_system.server.stop()
    response = await client.get(url, headers=am.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stale"] is True
    assert body["credit"]["stale"] is True
    assert body["credit"]["credit_limit"] == fresh["credit"]["credit_limit"]
    assert body["credit"]["as_of"] == fresh["credit"]["as_of"]
    assert body["credit"]["age_seconds"] >= 0
    assert "503" in body["credit"]["error"]
    assert len(credit_system.requests) == 1 + 3  # the first call, then three attempts
    assert body["open_invoices"]["stale"] is True
    assert [i["number"] for i in body["open_invoices"]["items"]] == ["F-2026-0118", "F-2026-0190"]


async def test_nothing_known_and_nothing_answering_is_still_an_answer(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, credit_system: Any, billing_system: Any
) -> None:
    account = await portfolio.account(by=am, erp_customer_id="C-3")
    credit_system.delay = 1.0  # beyond the 0.5 s timeout of each attempt
    billing_system.answers["C-3"] = {"items": []}
    response = await client.get(f"/v1/accounts/{account['id']}/financials", headers=am.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credit"]["stale"] is True
    assert body["credit"]["credit_limit"] is None and body["credit"]["as_of"] is None
    assert body["open_invoices"]["stale"] is False
    assert body["open_invoices"]["items"] == []


async def test_financials_need_a_billing_number_and_the_accounts_scope(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, other_am: Caller, integration: Caller
) -> None:
    without = await portfolio.account(by=am)
    assert_problem(
        await client.get(f"/v1/accounts/{without['id']}/financials", headers=am.headers),
        409,
        "no-erp-customer-id",
    )
    assert_problem(
        await client.get(f"/v1/accounts/{without['id']}/financials", headers=other_am.headers), 404
    )
    assert_problem(
        await client.get(f"/v1/accounts/{without['id']}/financials", headers=integration.headers),
        403,
    )
