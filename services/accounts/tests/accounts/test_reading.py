"""Reads give their database connection back when the answer is sent, whatever the answer:
with a pool of two, many reads in a row and at once (found, not found, refused) leave the
service able to read and write (a connection kept would answer 503 after the wait)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tread_shared.testing.http import Caller, assert_problem


@pytest.fixture(name="settings_overrides")
def small_pool() -> dict[str, Any]:
    return {"database_pool_size": 2, "database_connection_wait_seconds": 1.0}


async def test_reads_of_every_outcome_give_their_connection_back(
    client: httpx.AsyncClient, portfolio: Any, am: Caller, other_am: Caller
) -> None:
    account = await portfolio.account()
    url = f"/v1/accounts/{account['id']}"

    def get(path: str, caller: Caller) -> asyncio.Task[httpx.Response]:
        # Each request in a task of its own, as a server runs them.
        return asyncio.create_task(client.get(path, headers=caller.headers))

    for _ in range(3):
        assert (await get("/v1/accounts", am)).status_code == 200
        assert (await get(url, am)).status_code == 200
        assert_problem(await get(url, other_am), 404)
        assert_problem(await get(f"/v1/accounts/{uuid.uuid4()}/transfers", am), 404)
        assert_problem(await get(f"{url}/transfers", other_am), 404)
    at_once = await asyncio.gather(
        *(get("/v1/accounts", am) for _ in range(6)),
        *(get(f"{url}/transfers", am) for _ in range(6)),
    )

    assert [answer.status_code for answer in at_once] == [200] * 12
    assert [item["id"] for item in at_once[0].json()["items"]] == [account["id"]]
    assert (await portfolio.account(name="Written after the reads"))["version"] == 1
