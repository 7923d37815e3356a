"""Fixtures of the accounts suite: the service running in-process on a fresh database, callers
of each role, small factories that go through the public API, and the event stream."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tread_accounts import MIGRATIONS_DIR
from tread_accounts.app import create_app
from tread_accounts.settings import Settings
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.service_fixtures import service_fixtures

_numbers = itertools.count(1001)


class Portfolio:
    """Builds accounts through the API, as an admin unless told otherwise."""

    def __init__(self, client: httpx.AsyncClient, admin: Caller) -> None:
        self.client = client
        self.admin = admin

    async def account(self, by: Caller | None = None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "dealer",
            "name": f"Dealer {next(_numbers)}",
            "territory": "north",
            **fields,
        }
        if by is None:
            body.setdefault("owner_id", "am-1")
        caller = by or self.admin
        response = await self.client.post("/v1/accounts", json=body, headers=caller.headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def etag(self, account: dict[str, Any]) -> str:
        response = await self.client.get(
            f"/v1/accounts/{account['id']}", headers=self.admin.headers
        )
        return response.headers["etag"]

    async def patch(
        self, account: dict[str, Any], by: Caller | None = None, **fields: Any
    ) -> httpx.Response:
        etag = await self.etag(account)
        return await self.client.patch(
            f"/v1/accounts/{account['id']}",
            json=fields,
            headers=(by or self.admin).with_(**{"If-Match": etag}),
        )


settings_overrides, settings, app, client = service_fixtures(Settings, MIGRATIONS_DIR, create_app)


@pytest.fixture
def admin(caller: Callable[..., Caller]) -> Caller:
    return caller("admin", sub="admin-1")


@pytest.fixture
def am(caller: Callable[..., Caller]) -> Caller:
    return caller("account_manager", sub="am-1", territories=["north"])


@pytest.fixture
def other_am(caller: Callable[..., Caller]) -> Caller:
    return caller("account_manager", sub="am-2", territories=["north"])


@pytest.fixture
def dm(caller: Callable[..., Caller]) -> Caller:
    return caller("district_manager", sub="dm-north", territories=["north"])


@pytest.fixture
def kam(caller: Callable[..., Caller]) -> Caller:
    return caller("key_account_manager", sub="kam-1")


@pytest.fixture
def central(caller: Callable[..., Caller]) -> Caller:
    return caller("central", sub="central-1")


@pytest.fixture
def integration(caller: Callable[..., Caller]) -> Caller:
    return caller("integration", sub="credit-system")


@pytest.fixture
def portfolio(client: httpx.AsyncClient, admin: Caller) -> Portfolio:
    return Portfolio(client, admin)


@pytest.fixture
async def events(settings: Settings) -> AsyncIterator[EventStream]:
    stream = EventStream(settings.nats_url, settings.nats_stream)
    yield stream
    await stream.close()
