"""Fixtures of the inbox suite: the service running on a fresh database and this test's own
stream; the other services played by publishing their real events; callers of each role; the
inbox read through the API."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tread_inbox import MIGRATIONS_DIR
from tread_inbox.app import create_app
from tread_inbox.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import actionplans as plans
from tread_shared.events.payloads import contracts as con
from tread_shared.events.payloads import market_intel as mi
from tread_shared.events.registry import EventPayload
from tread_shared.money import Money, SignedMoney
from tread_shared.testing.event_feed import AccountFeed
from tread_shared.testing.http import Caller
from tread_shared.testing.nats_server import free_port
from tread_shared.testing.service_fixtures import service_fixtures

# The mail job is driven by the tests themselves; the stream looks for changes often.
settings_overrides, settings, app, client = service_fixtures(
    Settings,
    MIGRATIONS_DIR,
    create_app,
    schedule_enabled=False,
    stream_poll_seconds=0.05,
    consumer_heartbeat_seconds=2.0,
    consumer_ack_wait_seconds=4.0,
)


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


def eur(amount: str | int) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


class Sources(AccountFeed):
    """Plays the accounts, contracts, action plans and market-intel services: publishes the
    events they would, and waits until the inbox applied them."""

    async def send(self, payload: EventPayload, subject: Any = None) -> CloudEvent:
        return await self.publish(payload, subject or uuid.uuid4())

    # -- contracts ----------------------------------------------------------------------------

    def offer(self, account_id: uuid.UUID, offer_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
        return {
            "offer_id": offer_id,
            "account_id": account_id,
            "revision": 1,
            "status": "pending_approval",
            "valid_until": date.today() + timedelta(days=30),
            "list_total": eur(1000),
            "net_total": eur(820),
            "max_discount_pct": Decimal(18),
            "offer_version": 2,
            **fields,
        }

    async def offer_submitted(
        self,
        account_id: uuid.UUID,
        *,
        requires_approval: bool = True,
        submitted_at: datetime | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        offer_id = fields.pop("offer_id", None) or uuid.uuid4()
        payload = con.OfferSubmitted(
            **self.offer(account_id, offer_id, **fields),
            lines=[],
            requires_approval=requires_approval,
            discount_limit_pct=Decimal(10),
            submitted_by="am-1",
            submitted_at=submitted_at or utcnow(),
        )
        await self.send(payload, offer_id)
        return offer_id

    async def offer_approved(self, account_id: uuid.UUID, offer_id: uuid.UUID, by: str) -> None:
        fields = self.offer(account_id, offer_id, status="submitted", offer_version=3)
        await self.send(con.OfferApproved(**fields, approved_by=by, approved_at=utcnow()), offer_id)

    def contract(self, account_id: uuid.UUID) -> con.ContractState:
        return con.ContractState(
            contract_id=uuid.uuid4(),
            contract_version=3,
            account_id=account_id,
            program_id=uuid.uuid4(),
            program_name="Premium partners",
            program_version=1,
            tier="gold",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            status="active",
            commitments=[],
            rebate_pct=Decimal(3),
            facilitation_budget=eur(5000),
        )

    def facilitation(self, account_id: uuid.UUID, facilitation_id: uuid.UUID) -> dict[str, Any]:
        return {
            "facilitation_id": facilitation_id,
            "facilitation_version": 1,
            "account_id": account_id,
            "guideline_id": uuid.uuid4(),
            "guideline_type": "training",
            "contract_id": None,
            "tier": "gold",
            "year": 2026,
            "amount": eur(3000),
            "status": "pending_approval",
            "balance": con.FacilitationBalance(
                cap=eur(10000),
                requested=eur(3000),
                granted=eur(0),
                spent=eur(0),
                remaining=eur(7000),
            ),
        }

    def compliance(
        self,
        account_id: uuid.UUID,
        overall: con.ComplianceStatus,
        previous: con.ComplianceStatus | None,
    ) -> Any:
        return con.ComplianceChanged(
            contract_id=uuid.uuid4(),
            account_id=account_id,
            program_id=uuid.uuid4(),
            tier="gold",
            overall=overall,
            previous_overall=previous,
            items=[],
            as_of=date.today(),
            evaluated_at=utcnow(),
        )

    # -- accounts -----------------------------------------------------------------------------

    def case(self, account_id: uuid.UUID, **fields: Any) -> acc.CaseSnapshot:
        values: dict[str, Any] = {
            "case_id": uuid.uuid4(),
            "account_id": account_id,
            "version": 1,
            "category": "supply",
            "priority": "high",
            "status": "open",
            "opened_by": "am-1",
            "source": "phone",
            "opened_at": utcnow(),
            "due_at": utcnow() + timedelta(days=2),
            "updated_at": utcnow(),
            **fields,
        }
        return acc.CaseSnapshot(**values)

    def credit(self, account_id: uuid.UUID, blocked: bool, previous: bool | None) -> Any:
        return acc.CreditStatusChanged(
            account_id=account_id,
            erp_customer_id="ERP-1",
            credit_limit=eur(10000),
            exposure=SignedMoney(amount=Decimal(12000), currency="EUR"),
            blocked=blocked,
            previous_blocked=previous,
            as_of=utcnow(),
            source_event_id=uuid.uuid4().hex,
        )

    # -- action plans -------------------------------------------------------------------------

    def plan(self, account_id: uuid.UUID | None, **fields: Any) -> plans.PlanState:
        values: dict[str, Any] = {
            "plan_id": uuid.uuid4(),
            "plan_version": 2,
            "title": "Professionalism plan",
            "kind": "professionalism",
            "scope": "account" if account_id else "territory",
            "account_id": account_id,
            "territory": "north",
            "owner_id": "am-1",
            "status": "submitted",
            "start_date": date(2026, 1, 1),
            "end_date": date(2026, 12, 31),
            **fields,
        }
        return plans.PlanState(**values)

    def resource_request(self, account_id: uuid.UUID | None) -> plans.ResourceRequestState:
        return plans.ResourceRequestState(
            request_id=uuid.uuid4(),
            request_version=1,
            plan_id=uuid.uuid4(),
            account_id=account_id,
            territory="north",
            owner_id="am-1",
            kind="money",
            amount=Decimal(2000),
            currency="EUR",
            status="requested",
            approved_amount=None,
            committed=Decimal(0),
            requested_by="am-1",
        )

    def deviation(self, account_id: uuid.UUID) -> plans.DeviationState:
        return plans.DeviationState(
            deviation_id=uuid.uuid4(),
            deviation_version=1,
            plan_id=uuid.uuid4(),
            account_id=account_id,
            territory="north",
            owner_id="am-1",
            origin="indicator",
            indicator_id=uuid.uuid4(),
            period="2026-05",
            contract_id=None,
            severity="red",
            status="open",
            cause=None,
        )

    def action(self, account_id: uuid.UUID) -> plans.CorrectiveActionState:
        return plans.CorrectiveActionState(
            action_id=uuid.uuid4(),
            action_version=1,
            plan_id=uuid.uuid4(),
            deviation_id=None,
            meeting_id=None,
            account_id=account_id,
            territory="north",
            owner_id="am-1",
            title="Call the dealer's workshop manager",
            due_on=date.today() - timedelta(days=3),
            status="open",
            budget=None,
            currency=None,
        )

    def argument(self, **fields: Any) -> mi.ArgumentState:
        values: dict[str, Any] = {
            "argument_id": uuid.uuid4(),
            "argument_version": 1,
            "product_code": "TR-315/80R22.5-XMD",
            "usage_type": "long_haul",
            "segment": "fleet",
            "title": "Lower cost per kilometre",
            "claim": "Two retreads per casing keep the cost per km 18 % below a budget tyre.",
            "proof_points": [],
            "sources": [],
            **fields,
        }
        return mi.ArgumentState(**values)

    def digest(self, subscriber_id: str) -> mi.DigestIssued:
        digest_id = uuid.uuid4()
        return mi.DigestIssued(
            digest_id=digest_id,
            subscription_id=uuid.uuid4(),
            subscriber_id=subscriber_id,
            week="2026-W49",
            observations=12,
            positioning_changes=2,
            path=f"/v1/digests/{digest_id}",
        )


@pytest.fixture
def sources(app: FastAPI, settings: Settings, client: httpx.AsyncClient) -> Sources:
    # Depends on ``client`` so that the service (and its consumer) is running.
    return Sources(app, settings)


class Inbox:
    """The inbox read through the API, as one caller or another."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, by: Caller, status: int = 200, **params: Any) -> Any:
        response = await self.client.get(path, params=params, headers=by.headers)
        assert response.status_code == status, response.text
        return response.json()

    async def items(self, by: Caller, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await self.get("/v1/inbox", by, **params))["items"]
        return items

    async def holding(self, by: Caller, count: int, within: float = 15.0) -> list[dict[str, Any]]:
        """The caller's items once there are ``count``. An event the broker delivers again
        after a stalled pull (a loaded machine) may be applied after later ones: an item about
        an account whose creation comes back that way appears when it does."""
        deadline = time.monotonic() + within
        for _ in itertools.count():
            items = await self.items(by)
            if len(items) >= count or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert len(items) == count, items
        return items

    async def kinds(self, by: Caller) -> list[str]:
        return [item["kind"] for item in await self.items(by)]

    async def post(self, path: str, by: Caller, status: int = 200) -> Any:
        response = await self.client.post(path, headers=by.headers)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def inbox(client: httpx.AsyncClient) -> Inbox:
    return Inbox(client)


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The service on a real port of 127.0.0.1 (streamed answers arrive as they are sent, which
    the in-process transport does not do); its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_level="warning",
            # As the services run (tread_shared.service_main): a stream still open at the end
            # is cut after this long instead of holding the shutdown.
            timeout_graceful_shutdown=2,
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.025)
    assert server.started, "the inbox service did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def pushed(app: FastAPI, settings: Settings, served: str) -> Sources:
    """The other services' events, into the service ``served`` runs."""
    return Sources(app, settings)
