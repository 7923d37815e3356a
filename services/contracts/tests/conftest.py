"""Fixtures of the contracts suite: the service running in-process on a fresh database and
this test's own stream; accounts fed into its directory by publishing the accounts service's
real events; callers of each role; builders that go through the public API."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_contracts import MIGRATIONS_DIR
from tread_contracts.app import create_app
from tread_contracts.schedule import run_daily_work
from tread_contracts.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import (
    AccountCreated,
    AccountDirectoryEntry,
    AccountReassigned,
    AccountUpdated,
    SellInLine,
    SellInRecorded,
)
from tread_shared.events.registry import EventPayload
from tread_shared.money import Money
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.service_fixtures import service_fixtures

_numbers = itertools.count(1)


def this_year() -> int:
    return utcnow().year


class AccountFeed:
    """Plays the accounts service: publishes its events into the test's stream and waits
    until the contracts service has applied them."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.entries: dict[uuid.UUID, AccountDirectoryEntry] = {}

    async def publish(self, payload: EventPayload, subject: uuid.UUID) -> None:
        event = CloudEvent(
            source="accounts",
            type=payload.event_type(),
            subject=str(subject),
            data=payload.model_dump(mode="json"),
        )
        runtime = self.app.state.runtime
        js = await runtime.broker.wait_ready()
        ack = await js.publish(
            nats_subject_for(event.type, self.settings.nats_subject_root),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.id},
        )
        consumer = runtime.consumers[0]
        for _ in range(400):
            if consumer.last_stream_seq >= ack.seq:
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"contracts did not apply {event.type} in time")

    async def open(
        self,
        *,
        owner_id: str = "am-1",
        territory: str = "north",
        key_account_manager_id: str | None = "kam-1",
        segment: str | None = "truck_dealer",
        status: str = "active",
    ) -> uuid.UUID:
        """A new account in the directory; its id."""
        entry = AccountDirectoryEntry(
            account_id=uuid.uuid4(),
            version=1,
            name=f"Dealer {next(_numbers)}",
            kind="dealer",
            status=status,
            territory=territory,
            owner_id=owner_id,
            key_account_manager_id=key_account_manager_id,
            segment=segment,
            erp_customer_id=f"ERP-{next(_numbers)}",
            updated_at=utcnow(),
        )
        self.entries[entry.account_id] = entry
        await self.publish(AccountCreated(account=entry), entry.account_id)
        return entry.account_id

    def _next(self, account_id: uuid.UUID, **changes: Any) -> AccountDirectoryEntry:
        entry = self.entries[account_id]
        entry = entry.model_copy(update={**changes, "version": entry.version + 1})
        self.entries[account_id] = entry
        return entry

    async def reassign(self, account_id: uuid.UUID, owner_id: str) -> None:
        previous = self.entries[account_id].owner_id
        entry = self._next(account_id, owner_id=owner_id, updated_at=utcnow())
        await self.publish(
            AccountReassigned(
                account=entry, previous_owner_id=previous, reason="portfolio", reassigned_by="dm"
            ),
            account_id,
        )

    async def update(self, account_id: uuid.UUID, **changes: Any) -> None:
        entry = self._next(account_id, updated_at=utcnow(), **changes)
        await self.publish(
            AccountUpdated(account=entry, changed_fields=sorted(changes)), account_id
        )

    async def sell_in(
        self,
        account_id: uuid.UUID,
        month: str,
        units: int,
        product_line: str = "truck",
        amount: str | None = None,
    ) -> None:
        """The month's sell-in of one product line; ``amount``: its invoiced value in CNY."""
        entry = self.entries[account_id]
        value = Money.of(amount, "CNY") if amount is not None else None
        await self.publish(
            SellInRecorded(
                account_id=account_id,
                erp_customer_id=entry.erp_customer_id or "",
                month=month,
                lines=[SellInLine(product_line=product_line, units=units, amount=value)],
                source_event_id=uuid.uuid4().hex,
            ),
            account_id,
        )


class Partnerships:
    """Builds programs, offers and contracts through the API."""

    document_sha256 = "a" * 64

    def __init__(self, client: httpx.AsyncClient, callers: dict[str, Caller], app: FastAPI) -> None:
        self.client = client
        self.callers = callers
        self.app = app

    async def run_daily_work(self, day: date) -> dict[str, int]:
        """The service's daily job, as if run on ``day``."""
        return await run_daily_work(self.app.state.runtime, day)

    async def post(self, path: str, body: Any, by: Caller, status: int = 201) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=by.headers)
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def program(self, **fields: Any) -> dict[str, Any]:
        body = {
            "name": f"Partner program {next(_numbers)}",
            "tiers": [
                {
                    "code": "gold",
                    "min_annual_volume": 5000,
                    "min_scores": {"LP1": 70, "LP2": 60},
                    "rebate_pct": "2.5",
                    "facilitation_budget": {"amount": "10000.00", "currency": "CNY"},
                },
                {
                    "code": "silver",
                    "min_annual_volume": 2000,
                    "min_scores": {"LP1": 50},
                    "rebate_pct": "1",
                    "facilitation_budget": {"amount": "3000.00", "currency": "CNY"},
                },
            ],
            **fields,
        }
        return await self.post("/v1/programs", body, self.callers["central"])

    def contract_body(
        self, account_id: uuid.UUID, program: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        # This year's contract: in force as soon as both parties have signed.
        year = this_year()
        return {
            "account_id": str(account_id),
            "program_id": program["id"],
            "tier": "gold",
            "start_date": f"{year}-01-01",
            "end_date": f"{year}-12-31",
            "commitments": [{"kind": "volume", "period": str(year), "quantity": 6000}],
            **fields,
        }

    async def draft(
        self,
        account_id: uuid.UUID,
        program: dict[str, Any],
        by: Caller | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = self.contract_body(account_id, program, **fields)
        return await self.post("/v1/contracts", body, by or self.callers["am"])

    def signature(self, party: str) -> dict[str, Any]:
        return {
            "party": party,
            "signer_name": "Li Wei" if party == "customer" else "Zhang Min",
            "signer_role": "owner" if party == "customer" else "district manager",
            "method": "e-signature",
            "document_sha256": self.document_sha256,
        }

    async def sign(
        self, contract_id: str, party: str, by: Caller, status: int = 200
    ) -> dict[str, Any]:
        body = self.signature(party)
        return await self.post(f"/v1/contracts/{contract_id}/sign", body, by, status)

    async def activate(self, contract: dict[str, Any]) -> dict[str, Any]:
        """Submit (account manager), customer signature (account manager), countersignature
        (district manager)."""
        am, dm = self.callers["am"], self.callers["dm"]
        await self.post(f"/v1/contracts/{contract['id']}/submit", None, am, 200)
        await self.sign(contract["id"], "customer", am)
        return await self.sign(contract["id"], "manufacturer", dm)

    async def active_contract(
        self, account_id: uuid.UUID, program: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        return await self.activate(await self.draft(account_id, program, **fields))

    async def offer(
        self, account_id: uuid.UUID, by: Caller | None = None, discount: str = "5", **fields: Any
    ) -> dict[str, Any]:
        body = {
            "account_id": str(account_id),
            "valid_until": (utcnow().date() + timedelta(days=30)).isoformat(),
            "lines": [
                {
                    "product_code": "TR-315/80R22.5",
                    "quantity": 100,
                    "list_price": {"amount": "2150.00", "currency": "CNY"},
                    "discount_pct": discount,
                }
            ],
            **fields,
        }
        return await self.post("/v1/offers", body, by or self.callers["am"])


# The schedule is driven by the tests themselves (``run_daily_work`` with a chosen day).
settings_overrides, settings, app, client = service_fixtures(
    Settings, MIGRATIONS_DIR, create_app, schedule_enabled=False
)


@pytest.fixture
def caller(token_factory: Callable[..., str]) -> Callable[..., Caller]:
    """``caller("account_manager", sub="am-1")`` → a caller with that role."""

    def make(*roles: str, sub: str, territories: list[str] | None = None) -> Caller:
        token = token_factory(*roles, sub=sub, territories=territories or [])
        return Caller(sub=sub, headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def callers(caller: Callable[..., Caller]) -> dict[str, Caller]:
    """One caller per role. ``am`` owns the accounts opened by default (territory north, key
    account manager ``kam``); ``other_am``, ``other_dm`` and ``other_kam`` see none of them."""
    return {
        "am": caller("account_manager", sub="am-1"),
        "other_am": caller("account_manager", sub="am-2"),
        "dm": caller("district_manager", sub="dm-north", territories=["north"]),
        "other_dm": caller("district_manager", sub="dm-south", territories=["south"]),
        "kam": caller("key_account_manager", sub="kam-1"),
        "other_kam": caller("key_account_manager", sub="kam-2"),
        "central": caller("central", sub="central-1"),
        "admin": caller("admin", sub="admin-1"),
        "integration": caller("integration", sub="billing-system"),
    }


@pytest.fixture
def accounts(app: FastAPI, settings: Settings, client: httpx.AsyncClient) -> AccountFeed:
    # Depends on ``client`` so that the service (and its consumer) is running.
    return AccountFeed(app, settings)


@pytest.fixture
def partnerships(
    app: FastAPI, client: httpx.AsyncClient, callers: dict[str, Caller]
) -> Partnerships:
    return Partnerships(client, callers, app)


@pytest.fixture
async def events(settings: Settings) -> AsyncIterator[EventStream]:
    stream = EventStream(settings.nats_url, settings.nats_stream)
    yield stream
    await stream.close()
