"""Fixtures of the actionplans suite: the service running in-process on a fresh database and
this test's own stream; accounts, activities, sell-in, audits and compliance fed by publishing
the other services' real events; callers of each role; builders that go through the API."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_actionplans import MIGRATIONS_DIR
from tread_actionplans.app import create_app
from tread_actionplans.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import (
    ActivityDeleted,
    ActivityLogged,
    ActivitySnapshot,
    ActivityUpdated,
    SellInLine,
    SellInRecorded,
)
from tread_shared.events.payloads.contracts import AuditCompleted, AuditGap, CriterionScore
from tread_shared.testing.event_feed import AccountFeed
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.service_fixtures import service_fixtures

_numbers = itertools.count(1)


def this_year() -> int:
    return utcnow().year


class Planner:
    """Builds plans, indicators and the rest through the API."""

    def __init__(self, client: httpx.AsyncClient, callers: dict[str, Caller]) -> None:
        self.client = client
        self.callers = callers

    async def call(
        self, method: str, path: str, body: Any = None, by: Caller | None = None, status: int = 200
    ) -> Any:
        caller = by or self.callers["am"]
        response = await self.client.request(method, path, json=body, headers=caller.headers)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    async def post(self, path: str, body: Any, by: Caller | None = None, status: int = 201) -> Any:
        return await self.call("POST", path, body, by, status)

    def plan_body(self, account_id: uuid.UUID | None, **fields: Any) -> dict[str, Any]:
        year = this_year()
        body: dict[str, Any] = {
            "title": f"Development plan {next(_numbers)}",
            "kind": "development",
            "start_date": f"{year}-01-01",
            "end_date": f"{year}-12-31",
            **fields,
        }
        if account_id is not None:
            body.setdefault("account_id", str(account_id))
        return body

    async def plan(
        self, account_id: uuid.UUID | None, by: Caller | None = None, **fields: Any
    ) -> dict[str, Any]:
        answer: dict[str, Any] = await self.post(
            "/v1/plans", self.plan_body(account_id, **fields), by
        )
        return answer

    async def step(self, plan_id: str, step: str, by: Caller | None = None, **body: Any) -> Any:
        return await self.post(f"/v1/plans/{plan_id}/{step}", body or None, by, 200)

    async def active_plan(self, account_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
        """Drafted and submitted by the account manager, approved by the district manager."""
        plan = await self.plan(account_id, **fields)
        await self.step(plan["id"], "submit")
        await self.step(plan["id"], "approve", self.callers["dm"])
        answer: dict[str, Any] = await self.step(plan["id"], "activate")
        return answer

    def indicator_body(self, **fields: Any) -> dict[str, Any]:
        year = this_year()
        return {
            "code": f"VIS{next(_numbers)}",
            "name": "Visits to the dealer",
            "unit": "visits",
            "granularity": "month",
            "thresholds": {"mode": "percent", "warning": "10", "critical": "25"},
            "targets": [{"period": f"{year}-{m:02d}", "target": "4"} for m in range(1, 13)],
            **fields,
        }

    async def indicator(self, plan_id: str, **fields: Any) -> dict[str, Any]:
        body = self.indicator_body(**fields)
        answer: dict[str, Any] = await self.post(f"/v1/plans/{plan_id}/indicators", body)
        return answer

    async def measure(
        self, indicator_id: str, period: str, value: str, by: Caller | None = None
    ) -> dict[str, Any]:
        body = {"period": period, "value": value}
        answer: dict[str, Any] = await self.post(
            f"/v1/indicators/{indicator_id}/measurements", body, by
        )
        return answer

    async def periods(self, indicator_id: str) -> dict[str, dict[str, Any]]:
        indicator = await self.call("GET", f"/v1/indicators/{indicator_id}")
        return {p["period"]: p for p in indicator["periods"]}

    async def objectives(self, plan_id: str) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = await self.call("GET", f"/v1/plans/{plan_id}/objectives")
        return answer

    async def deviations(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/v1/deviations", params=params, headers=self.callers["am"].headers
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


# The schedule is driven by the tests themselves. On a loaded machine the event loop may stall
# past a short heartbeat, and the pull is then set up again: a longer heartbeat makes that rare,
# and a short ack wait brings back soon what the abandoned pull had taken.
settings_overrides, settings, app, client = service_fixtures(
    Settings,
    MIGRATIONS_DIR,
    create_app,
    schedule_enabled=False,
    consumer_heartbeat_seconds=2.0,
    consumer_ack_wait_seconds=4.0,
)


@pytest.fixture
def caller(token_factory: Callable[..., str]) -> Callable[..., Caller]:
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


class Sources:
    """Plays the accounts and contracts services: their activity, sell-in, audit, spending and
    compliance events about an account."""

    def __init__(self, feed: AccountFeed) -> None:
        self.feed = feed

    def activity(
        self,
        account_id: uuid.UUID,
        *,
        activity_id: uuid.UUID | None = None,
        version: int = 1,
        type: str = "visit",
        started_at: datetime | None = None,
        minutes: int = 60,
    ) -> ActivitySnapshot:
        return ActivitySnapshot(
            activity_id=activity_id or uuid.uuid4(),
            account_id=account_id,
            version=version,
            type=type,
            started_at=started_at or utcnow(),
            duration_minutes=minutes,
            performed_by="am-1",
            participant_count=2,
            updated_at=utcnow(),
        )

    async def logged(self, activity: ActivitySnapshot) -> CloudEvent:
        return await self.feed.publish(ActivityLogged(activity=activity), activity.activity_id)

    async def updated(self, activity: ActivitySnapshot) -> CloudEvent:
        payload = ActivityUpdated(activity=activity, changed_fields=["type"])
        return await self.feed.publish(payload, activity.activity_id)

    async def deleted(self, activity: ActivitySnapshot) -> CloudEvent:
        return await self.feed.publish(ActivityDeleted(activity=activity), activity.activity_id)

    def sell_in_recorded(
        self, account_id: uuid.UUID, month: str, units: int, product_line: str = "truck"
    ) -> SellInRecorded:
        return SellInRecorded(
            account_id=account_id,
            erp_customer_id="ERP-1",
            month=month,
            lines=[SellInLine(product_line=product_line, units=units)],
            source_event_id=uuid.uuid4().hex,
        )

    async def sell_in(
        self, account_id: uuid.UUID, month: str, units: int, product_line: str = "truck"
    ) -> CloudEvent:
        payload = self.sell_in_recorded(account_id, month, units, product_line)
        return await self.feed.publish(payload, account_id)

    def audit(
        self,
        account_id: uuid.UUID,
        scores: dict[str, int],
        required: dict[str, int],
        performed_at: datetime | None = None,
    ) -> AuditCompleted:
        return AuditCompleted(
            audit_id=uuid.uuid4(),
            account_id=account_id,
            contract_id=uuid.uuid4(),
            program_id=uuid.uuid4(),
            program_version=1,
            tier="gold",
            performed_at=performed_at or utcnow(),
            auditor="Wang Fang",
            scores=[CriterionScore(criterion=c, score=s) for c, s in scores.items()],
            overall_score=Decimal(sum(scores.values())) / len(scores),
            gaps=[
                AuditGap(criterion=c, score=scores.get(c), required=r)
                for c, r in required.items()
                if scores.get(c, 0) < r
            ],
            recorded_by="am-1",
        )


@pytest.fixture
def sources(accounts: AccountFeed) -> Sources:
    return Sources(accounts)


@pytest.fixture
def year() -> int:
    """This year: plans run from its first day to its last."""
    return this_year()


@pytest.fixture
def planner(client: httpx.AsyncClient, callers: dict[str, Caller]) -> Planner:
    return Planner(client, callers)


@pytest.fixture
async def events(settings: Settings) -> AsyncIterator[EventStream]:
    stream = EventStream(settings.nats_url, settings.nats_stream)
    yield stream
    await stream.close()
