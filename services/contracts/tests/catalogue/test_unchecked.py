"""A contracts service deployed without the catalogue (the check off): lines as typed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller, assert_problem


async def test_every_line_states_its_price_when_the_catalogue_is_not_checked(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any
) -> None:
    account_id = await accounts.open()
    body = {
        "account_id": str(account_id),
        "valid_until": (utcnow().date() + timedelta(days=30)).isoformat(),
        "lines": [{"product_code": "ANY-CODE", "quantity": 1}],
    }
    answer = await client.post("/v1/offers", json=body, headers=callers["am"].headers)
    problem = assert_problem(answer, 422, "list-price-required")
    assert problem["product_codes"] == ["ANY-CODE"]
    body["lines"][0]["list_price"] = {"amount": "10.00", "currency": "CNY"}
    answer = await client.post("/v1/offers", json=body, headers=callers["am"].headers)
    assert answer.status_code == 201, answer.text
