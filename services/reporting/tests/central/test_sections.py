"""The central report's action-plans and market sections, fed only by the actionplans and
market-intel events, in JSON, CSV and PDF."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.events.payloads import actionplans as ap
from tread_shared.events.registry import EventPayload
from tread_shared.testing.documents import csv_tables, pdf_text
from tread_shared.testing.http import Caller


def last_month() -> tuple[str, datetime]:
    """Last month's key, and a moment on its 10th."""
    first_of_month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    during = (first_of_month - timedelta(days=1)).replace(day=10, hour=9)
    return during.strftime("%Y-%m"), during


class PlanStory:
    """One account's plan, told by the actionplans service's events at chosen times."""

    def __init__(self, producers: Any, account_id: uuid.UUID) -> None:
        self.producers = producers
        self.reach = {"account_id": account_id, "territory": "north", "owner_id": "am-1"}
        self.plan_id, self.indicator_id = uuid.uuid4(), uuid.uuid4()
        self.deviation_id, self.action_id, self.request_id = (
            uuid.uuid4(),
            uuid.uuid4(),
            uuid.uuid4(),
        )

    async def send(self, payload: EventPayload, subject: uuid.UUID, at: datetime) -> None:
        await self.producers.send(self.producers.event(payload, subject, at=at))

    async def plan(self, status: str, version: int, at: datetime) -> None:
        state = ap.PlanState(
            plan_id=self.plan_id,
            plan_version=version,
            title="Grow trucks",
            kind="professionalism",
            scope="account",
            status=status,
            start_date=at.date().replace(month=1, day=1),
            end_date=at.date().replace(month=12, day=31),
            **self.reach,
        )
        event: ap.PlanEvent
        if status == "draft":
            event = ap.PlanCreated(plan=state, origin="audit", created_by="am-1")
        elif status == "active":
            event = ap.PlanActivated(plan=state, activated_by="am-1")
        else:
            event = ap.PlanClosed(plan=state, closed_by="am-1")
        await self.send(event, self.plan_id, at)

    async def measure(self, status: str, actual: int, at: datetime) -> None:
        reading = ap.PeriodReading(
            period=at.strftime("%Y-%m"),
            actual=Decimal(actual),
            target=Decimal(4),
            gap=Decimal(actual - 4),
            status=status,
        )
        await self.send(
            ap.MeasurementRecorded(
                measurement_id=uuid.uuid4(),
                indicator_id=self.indicator_id,
                indicator_code="AUDIT-STAFF",
                plan_id=self.plan_id,
                change="created",
                period=reading.period,
                value=Decimal(actual),
                source="manual",
                reading=reading,
                **self.reach,
            ),
            self.plan_id,
            at,
        )

    async def deviation(self, status: str, version: int, at: datetime) -> None:
        state = ap.DeviationState(
            deviation_id=self.deviation_id,
            deviation_version=version,
            plan_id=self.plan_id,
            origin="indicator",
            indicator_id=self.indicator_id,
            period=at.strftime("%Y-%m"),
            contract_id=None,
            severity="red",
            status=status,
            cause="competition",
            **self.reach,
        )
        event: ap.DeviationEvent = (
            ap.DeviationCauseRecorded(deviation=state, analysis=None, recorded_by="am-1")
            if status == "open"
            else ap.DeviationClosed(deviation=state, closed_by="am-1")
        )
        await self.send(event, self.deviation_id, at)

    async def action(self, status: str, version: int, due: datetime, at: datetime) -> None:
        state = ap.CorrectiveActionState(
            action_id=self.action_id,
            action_version=version,
            plan_id=self.plan_id,
            deviation_id=self.deviation_id,
            meeting_id=None,
            title="Train two more fitters",
            due_on=due.date(),
            status=status,
            budget=None,
            currency=None,
            **self.reach,
        )
        event: ap.CorrectiveActionEvent = (
            ap.CorrectiveActionCreated(action=state, created_by="am-1")
            if status == "open"
            else ap.CorrectiveActionCompleted(action=state, completed_by="am-1")
        )
        await self.send(event, self.action_id, at)

    async def resources(self, version: int, committed: int, at: datetime) -> None:
        state = ap.ResourceRequestState(
            request_id=self.request_id,
            request_version=version,
            plan_id=self.plan_id,
            kind="money",
            amount=Decimal(4000),
            currency="CNY",
            status="approved",
            approved_amount=Decimal(3000),
            committed=Decimal(committed),
            requested_by="am-1",
            **self.reach,
        )
        await self.send(
            ap.ResourceRequestCommitted(
                request=state, amount=Decimal(committed), committed_by="am-1"
            ),
            self.request_id,
            at,
        )


async def report(client: httpx.AsyncClient, caller: Caller, period: str, **params: str) -> Any:
    answer = await client.get(
        "/v1/reports/central", params={"period": period, **params}, headers=caller.headers
    )
    assert answer.status_code == 200, answer.text
    if params.get("format") in ("csv", "pdf"):
        return answer.content
    return answer.json()


async def test_the_action_plans_section_as_the_plans_stood_at_the_period_end(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    month, during = last_month()
    account_id = await producers.account(owner_id="am-1", territory="north")
    story = PlanStory(producers, account_id)
    # Last month: the plan active, its indicator red, a deviation (competition) with an action
    # due on the 15th and still open at the month's end, 3,000 CNY approved of which 1,000 used.
    await story.plan("draft", 1, during)
    await story.plan("active", 4, during + timedelta(hours=1))
    await story.measure("red", 1, during + timedelta(hours=2))
    await story.deviation("open", 2, during + timedelta(hours=3))
    await story.action("open", 1, during + timedelta(days=5), during + timedelta(hours=4))
    await story.resources(3, 1000, during + timedelta(hours=5))
    # This month: all of it recovers.
    now = utcnow()
    await story.measure("green", 5, now)
    await story.deviation("closed", 3, now)
    await story.action("done", 2, during + timedelta(days=5), now)
    await story.resources(4, 2500, now)
    await story.plan("closed", 5, now)

    central = callers["central"]
    (then,) = (await report(client, central, month))["action_plans"]
    assert (then["territory"], then["owner_id"]) == ("north", "am-1")
    assert then["plans_by_status"] == {"active": 1}
    assert then["indicators"] == {"green": 0, "amber": 0, "red": 1}
    assert then["open_deviations_by_cause"] == {"competition": 1}
    assert (then["open_actions"], then["overdue_actions"]) == (1, 1)
    assert then["resources"] == [
        {"kind": "money", "currency": "CNY", "approved": "3000.00", "committed": "1000.00"}
    ]
    # Its key figures, with their subtotals (this territory has no partnership) and a year
    # earlier beside them (no plan then).
    compared = await report(client, central, month, compare="year_earlier")
    figures = ("plans_active", "indicators_red", "open_deviations", "overdue_actions")
    assert [compared["summary"][name] for name in figures] == [1, 1, 1, 1]
    assert [compared["year_earlier"][name] for name in figures] == [0, 0, 0, 0]
    for subtotals, key in ((compared["by_territory"], "north"), (compared["by_owner"], "am-1")):
        (subtotal,) = subtotals
        assert subtotal["key"] == key
        assert [subtotal[name] for name in figures] == [1, 1, 1, 1]
        assert (subtotal["partnerships_in_force"], subtotal["year_earlier"]["plans_active"]) == (
            0,
            0,
        )
    (today,) = (await report(client, central, now.strftime("%Y-%m")))["action_plans"]
    assert today["plans_by_status"] == {"closed": 1}
    assert today["indicators"] == {"green": 1, "amber": 0, "red": 0}
    assert today["open_deviations_by_cause"] == {}
    assert (today["open_actions"], today["overdue_actions"]) == (0, 0)
    assert today["resources"][0]["committed"] == "2500.00"

    tables = csv_tables(await report(client, central, month, format="csv"))
    key_figures = {row["figure"]: row["value"] for row in tables["Key figures"]}
    assert (key_figures["plans_active"], key_figures["overdue_actions"]) == ("1", "1")
    (row,) = tables["Action plans at the period's end"]
    assert (row["territory"], row["owner_id"], row["plans_active"]) == ("north", "am-1", "1")
    assert (row["indicators_red"], row["open_deviations_competition"]) == ("1", "1")
    assert (row["open_actions"], row["overdue_actions"]) == ("1", "1")
    (used,) = tables["Action-plan resources approved and committed"]
    assert (used["approved"], used["committed"]) == ("3000.00", "1000.00")
    text = pdf_text(await report(client, central, month, format="pdf"))
    for words in (
        "Action plans at the period",
        "Indicators by status and territory",
        "competition 1",
        "1 (1 overdue)",
        "action plans active",
        "1 / 1 / 1",
    ):
        assert words in text, words

    # The plans of other account managers' accounts are not theirs to read.
    assert (await report(client, callers["other_am"], month))["action_plans"] == []
    assert len((await report(client, callers["dm"], month))["action_plans"]) == 1


async def test_the_market_section_of_the_period(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    month, during = last_month()
    await producers.market_story(during, recorded_at=during + timedelta(hours=1))
    # Seen next month: not in last month's report.
    await producers.observation(
        "south", "competitor_promotion", "Rival", during + timedelta(days=40)
    )

    whole = await report(client, callers["central"], month)
    assert whole["summary"]["market_observations"] == 4
    market = whole["market"]
    assert [
        (o["territory"], o["kind"], o["observations"], o["outliers"])
        for o in market["observations"]
    ] == [("north", "competitor_price", 3, 1), ("south", "competitor_promotion", 1, 0)]
    (positioning,) = market["positioning"]
    assert (positioning["range"], positioning["territory"], positioning["above"]) == (
        "X Multi",
        "north",
        1,
    )
    assert positioning["median_index"] == "112.50"
    (move,) = market["top_moves"]
    assert (move["product_code"], move["previous_band"], move["band"]) == (
        producers.MARKET_CODE,
        "within",
        "above",
    )
    assert market["competitors"][0] == {"competitor": "Rival", "observations": 3, "territories": 2}

    tables = csv_tables(await report(client, callers["central"], month, format="csv"))
    assert [
        (r["territory"], r["kind"], r["observations"]) for r in tables["Market observations"]
    ] == [
        ("north", "competitor_price", "3"),
        ("south", "competitor_promotion", "1"),
    ]
    (priced,) = tables["Price positioning"]
    assert (priced["range"], priced["median_index"]) == ("X Multi", "112.50")
    assert tables["Largest positioning moves"][0]["band"] == "above"
    assert tables["Competitors observed"][0]["competitor"] == "Rival"
    text = pdf_text(await report(client, callers["central"], month, format="pdf"))
    for words in ("Market", "Field observations by territory and kind", "X Multi", "Rival"):
        assert words in text, words

    # A district manager of the north reads the north's observations only.
    north = (await report(client, callers["dm"], month))["market"]
    assert [o["territory"] for o in north["observations"]] == ["north"]

    # This month: a price seen last month entered only now (offline), and last month's index
    # recomputed back within the band. Last month's report stays as it was; the live view
    # has both.
    await producers.observation("north", "competitor_price", "Rival", during)
    await producers.crossing(month, ("112.5", "above"), ("104.0", "within"), 3)
    assert (await report(client, callers["central"], month))["market"] == market
    first, last = during.replace(day=1).date(), (during + timedelta(days=20)).date()
    live = await client.get(
        "/v1/reports/market",
        params={"from": first.isoformat(), "to": last.isoformat()},
        headers=callers["central"].headers,
    )
    assert live.json()["observations"][0]["observations"] == 4
    assert live.json()["positioning"][0]["within"] == 1
