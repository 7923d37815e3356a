"""Fixtures of the market-intel suite: the service running in-process on a fresh database and
this test's own stream; callers of each role; builders that go through the public API."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_market_intel import MIGRATIONS_DIR
from tread_market_intel.app import create_app
from tread_market_intel.settings import Settings
from tread_shared.testing.event_feed import AccountFeed
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.service_fixtures import service_fixtures

_numbers = itertools.count(1)

# The digest job is driven by the tests themselves (``issue_weekly_digests`` with a chosen day).
settings_overrides, settings, app, client = service_fixtures(
    Settings, MIGRATIONS_DIR, create_app, digest_schedule_enabled=False
)


@pytest.fixture
def callers(caller: Callable[..., Caller]) -> dict[str, Caller]:
    """One caller per role: ``am`` works in the north, ``dm`` in the north and east,
    ``south_am`` in the south."""
    return {
        "am": caller("account_manager", sub="am-1", territories=["north"]),
        "south_am": caller("account_manager", sub="am-2", territories=["south"]),
        "dm": caller("district_manager", sub="dm-north", territories=["north", "east"]),
        "kam": caller("key_account_manager", sub="kam-1"),
        "central": caller("central", sub="central-1"),
        "other_central": caller("central", sub="central-2"),
        "admin": caller("admin", sub="admin-1"),
        "integration": caller("integration", sub="billing-system"),
    }


def tyre_body(code: str | None = None, **fields: Any) -> dict[str, Any]:
    """A tyre as a client would send it."""
    return {
        "code": f"TR-315/80R22.5-{next(_numbers)}" if code is None else code,
        "kind": "tyre",
        "brand": "Tread",
        "range": "X Multi",
        "name": "X Multi D 315/80R22.5",
        "spec": {
            "width": 315,
            "aspect_ratio": 80,
            "rim": "22.5",
            "load_index": "156/150",
            "speed_index": "L",
        },
        "usage_types": ["long_haul"],
        **fields,
    }


class Market:
    """Builds catalogue entries and the rest through the API."""

    def __init__(self, client: httpx.AsyncClient, callers: dict[str, Caller]) -> None:
        self.client = client
        self.callers = callers

    async def post(
        self, path: str, body: Any, by: Caller | None = None, status: int = 201
    ) -> dict[str, Any]:
        response = await self.client.post(
            path, json=body, headers=(by or self.callers["central"]).headers
        )
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def product(
        self, code: str | None = None, price: str | None = "2000.00", **fields: Any
    ) -> dict[str, Any]:
        """A tyre in the catalogue, with a default list price in CNY from 2026-01-01."""
        product = await self.post("/v1/products", tyre_body(code, **fields))
        if price is not None:
            await self.price(product, price)
        return product

    async def price(
        self,
        product: dict[str, Any],
        amount: str,
        valid_from: str = "2026-01-01",
        territory: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {
            "territory": territory,
            "list_price": {"amount": amount, "currency": "CNY"},
            "valid_from": valid_from,
            **fields,
        }
        return await self.post(f"/v1/products/{product['id']}/prices", body)


@pytest.fixture
def tyre() -> Callable[..., dict[str, Any]]:
    """``tyre(code, **fields)``: a tyre's body as a client would send it."""
    return tyre_body


@pytest.fixture
def market(client: httpx.AsyncClient, callers: dict[str, Caller]) -> Market:
    return Market(client, callers)


@pytest.fixture
async def events(settings: Settings) -> AsyncIterator[EventStream]:
    stream = EventStream(settings.nats_url, settings.nats_stream)
    yield stream
    await stream.close()


@pytest.fixture
def accounts(app: FastAPI, settings: Settings, client: httpx.AsyncClient) -> AccountFeed:
    # Depends on ``client`` so that the service (and its consumer) is running.
    return AccountFeed(app, settings)


def price_seen(
    product_code: str, amount: str, observed_at: str, territory: str = "north", **fields: Any
) -> dict[str, Any]:
    """A competitor price as the field app sends it."""
    return {
        "kind": "competitor_price",
        "territory": territory,
        "product_code": product_code,
        "competitor": "Rival",
        "observed_price": {"amount": amount, "currency": "CNY"},
        "observed_at": observed_at,
        "source": "dealer quote",
        "confidence": "high",
        **fields,
    }


@pytest.fixture
def seen() -> Callable[..., dict[str, Any]]:
    """``seen(code, amount, observed_at, territory="north", **fields)``: a competitor price."""
    return price_seen
