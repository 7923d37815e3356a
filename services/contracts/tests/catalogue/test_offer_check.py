"""Offer lines against the catalogue copy that market-intel's events feed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_contracts.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.market_intel import (
    PriceListChanged,
    ProductCreated,
    ProductDiscontinued,
    ProductState,
)
from tread_shared.events.registry import EventPayload
from tread_shared.money import Money
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"catalogue_check": True}


class CatalogueFeed:
    """Plays the market-intel service: its catalogue events, applied before returning."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def publish(self, payload: EventPayload, subject: str) -> None:
        event = CloudEvent(
            source="market-intel",
            type=payload.event_type(),
            subject=subject,
            data=payload.model_dump(mode="json"),
        )
        runtime = self.app.state.runtime
        js = await runtime.broker.wait_ready()
        ack = await js.publish(
            nats_subject_for(event.type, self.settings.nats_subject_root),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.id},
        )
        consumer = next(c for c in runtime.consumers if c.durable == "contracts-catalogue")
        for _ in range(400):
            if consumer.last_stream_seq >= ack.seq:
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"contracts did not apply {event.type} in time")

    async def product(self, code: str, version: int = 1, status: str = "active") -> uuid.UUID:
        product_id = uuid.uuid5(uuid.NAMESPACE_URL, code)
        state = ProductState(
            product_id=product_id,
            code=code,
            kind="tyre",
            brand="Tread",
            range="X Multi",
            name=code,
            status=status,  # type: ignore[arg-type]
            product_version=version,
        )
        payload: EventPayload = (
            ProductCreated(product=state, changed_by="central-1")
            if status == "active"
            else ProductDiscontinued(product=state, changed_by="central-1")
        )
        await self.publish(payload, str(product_id))
        return product_id

    async def price(
        self, code: str, amount: str, valid_from: date, territory: str | None = None
    ) -> None:
        product_id = uuid.uuid5(uuid.NAMESPACE_URL, code)
        await self.publish(
            PriceListChanged(
                price_entry_id=uuid.uuid4(),
                product_id=product_id,
                product_code=code,
                territory=territory,
                list_price=Money.of(amount, "CNY"),
                valid_from=valid_from,
                valid_to=None,
                entry_version=1,
                changed_by="central-1",
            ),
            str(product_id),
        )


@pytest.fixture
def catalogue(app: FastAPI, settings: Settings, client: httpx.AsyncClient) -> CatalogueFeed:
    return CatalogueFeed(app, settings)


def _offer(account_id: uuid.UUID, *lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "account_id": str(account_id),
        "valid_until": (utcnow().date() + timedelta(days=30)).isoformat(),
        "lines": list(lines),
    }


CODE = "TR-315/80R22.5-XMD"


async def test_offer_lines_name_active_catalogue_products_at_their_list_price(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    catalogue: CatalogueFeed,
    events: EventStream,
) -> None:
    am = callers["am"].headers
    account_id = await accounts.open(territory="north")
    line = {"product_code": CODE, "quantity": 10, "discount_pct": "5"}

    empty = await client.post("/v1/offers", json=_offer(account_id, line), headers=am)
    problem = assert_problem(empty, 422, "unknown-product")
    assert "has not reached this service yet" in problem["detail"]

    today = utcnow().date()
    await catalogue.product(CODE)
    await catalogue.price(CODE, "2000.00", today - timedelta(days=30))
    await catalogue.price(CODE, "2080.00", today - timedelta(days=10), territory="north")
    await catalogue.product("TR-OLD", status="discontinued")

    unknown = await client.post(
        "/v1/offers", json=_offer(account_id, line, {**line, "product_code": "TR-NOPE"}), headers=am
    )
    problem = assert_problem(unknown, 422, "unknown-product")
    assert problem["product_codes"] == ["TR-NOPE"] and "TR-NOPE" in problem["detail"]
    old = await client.post(
        "/v1/offers", json=_offer(account_id, {**line, "product_code": "TR-OLD"}), headers=am
    )
    assert_problem(old, 422, "product-discontinued")

    # No list price: the north's own price in force today.
    offer = await client.post("/v1/offers", json=_offer(account_id, line), headers=am)
    assert offer.status_code == 201, offer.text
    (priced,) = offer.json()["lines"]
    assert priced["list_price"] == {"amount": "2080.00", "currency": "CNY"}
    assert priced["catalogue_list_price"] is None
    assert offer.json()["status"] == "submitted"

    # Another list price is kept, flagged with the catalogue's, and goes to the approver.
    cheaper = {**line, "list_price": {"amount": "1900.00", "currency": "CNY"}}
    flagged = await client.post("/v1/offers", json=_offer(account_id, cheaper), headers=am)
    assert flagged.status_code == 201, flagged.text
    (kept,) = flagged.json()["lines"]
    assert kept["list_price"]["amount"] == "1900.00"
    assert kept["catalogue_list_price"] == {"amount": "2080.00", "currency": "CNY"}
    assert flagged.json()["status"] == "pending_approval"
    for offer_id, flag in (
        (offer.json()["id"], None),
        (flagged.json()["id"], kept["catalogue_list_price"]),
    ):
        (submitted,) = await events.wait_for(
            "tread.contracts.offer.submitted.v1", where=lambda e, i=offer_id: e["subject"] == i
        )
        assert submitted["data"]["lines"][0]["catalogue_list_price"] == flag

    # A territory without its own price takes the default.
    south = await accounts.open(territory="south", owner_id="am-1")
    default = await client.post("/v1/offers", json=_offer(south, line), headers=am)
    assert default.json()["lines"][0]["list_price"]["amount"] == "2000.00"

    # Discontinued later: new offers may no longer name it.
    await catalogue.product(CODE, version=2, status="discontinued")
    late = await client.post("/v1/offers", json=_offer(account_id, line), headers=am)
    assert_problem(late, 422, "product-discontinued")


async def test_without_a_price_in_force_the_line_states_one(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, catalogue: CatalogueFeed
) -> None:
    account_id = await accounts.open(territory="north")
    await catalogue.product(CODE)
    await catalogue.price(CODE, "2000.00", utcnow().date() + timedelta(days=30))
    line = {"product_code": CODE, "quantity": 1}
    answer = await client.post(
        "/v1/offers", json=_offer(account_id, line), headers=callers["am"].headers
    )
    assert_problem(answer, 422, "no-price-in-force")
    stated = {**line, "list_price": {"amount": "1999.00", "currency": "CNY"}}
    answer = await client.post(
        "/v1/offers", json=_offer(account_id, stated), headers=callers["am"].headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["lines"][0]["catalogue_list_price"] is None
