"""Indicators fed by events: each source event measured once however often it arrives and in
any order; a corrected or deleted source corrects the measurement."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import FastAPI

from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import SellInRecorded
from tread_shared.events.payloads.contracts import FacilitationBalance, FacilitationSpent
from tread_shared.money import Money
from tread_shared.testing.event_stream import EventStream


def _this_month() -> str:
    return utcnow().strftime("%Y-%m")


async def _actual(planner: Any, indicator: dict[str, Any], period: str) -> str | None:
    actual: str | None = (await planner.periods(indicator["id"]))[period]["actual"]
    return actual


async def test_visits_count_logged_visits_once_and_follow_corrections(
    accounts: Any, planner: Any, sources: Any, events: EventStream
) -> None:
    account_id = await accounts.open()
    plan = await planner.active_plan(account_id)
    visits = await planner.indicator(plan["id"], source="visits")
    month = _this_month()
    first, second = sources.activity(account_id), sources.activity(account_id)
    logged = await sources.logged(first)
    await sources.logged(second)
    await sources.logged(sources.activity(account_id, type="call"))
    assert await _actual(planner, visits, month) == "2"

    # The same event again (a redelivery) changes nothing.
    await accounts.publish_event(logged)
    assert await _actual(planner, visits, month) == "2"
    # A visit corrected into a call no longer counts; a deleted one neither.
    await sources.updated(first.model_copy(update={"version": 2, "type": "call"}))
    assert await _actual(planner, visits, month) == "1"
    await sources.deleted(second.model_copy(update={"version": 2}))
    assert await _actual(planner, visits, month) == "0"
    # An older version arriving late does not bring it back.
    await sources.logged(second)
    assert await _actual(planner, visits, month) == "0"
    changes = [
        e["data"]["change"]
        for e in await events.wait_for("tread.actionplans.measurement.recorded", 4)
    ]
    assert changes == ["created", "created", "deleted", "deleted"]


async def test_a_deletion_arriving_before_the_activity_wins(
    accounts: Any, planner: Any, sources: Any
) -> None:
    account_id = await accounts.open()
    plan = await planner.active_plan(account_id)
    visits = await planner.indicator(plan["id"], source="visits")
    activity = sources.activity(account_id)
    await sources.deleted(activity.model_copy(update={"version": 2}))
    await sources.logged(activity)
    assert await _actual(planner, visits, _this_month()) is None


async def test_hours_and_a_red_period_from_events_open_one_deviation(
    accounts: Any, planner: Any, sources: Any
) -> None:
    account_id = await accounts.open()
    plan = await planner.active_plan(account_id)
    hours = await planner.indicator(
        plan["id"],
        code="HOURS",
        source="hours",
        unit="hours",
        targets=[{"period": _this_month(), "target": "10"}],
    )
    await sources.logged(sources.activity(account_id, minutes=90))
    await sources.logged(sources.activity(account_id, type="training", minutes=30))
    period = (await planner.periods(hours["id"]))[_this_month()]
    assert (period["actual"], period["status"]) == ("2", "red")
    [deviation] = await planner.deviations(plan_id=plan["id"])
    assert deviation["indicator_id"] == hours["id"]
    await sources.logged(sources.activity(account_id, minutes=480))
    [recovered] = await planner.deviations(plan_id=plan["id"])
    assert recovered["status"] == "closed"


async def test_sell_in_of_one_product_line_the_latest_event_of_a_month_standing(
    accounts: Any, planner: Any, sources: Any, year: int
) -> None:
    account_id = await accounts.open()
    plan = await planner.active_plan(account_id)
    trucks = await planner.indicator(
        plan["id"],
        code="TRUCK",
        source="sell_in",
        source_filter="truck",
        unit="units",
        granularity="quarter",
        targets=[{"period": f"{year}-Q1", "target": "300"}],
    )
    await sources.sell_in(account_id, f"{year}-01", 100)
    await sources.sell_in(account_id, f"{year}-02", 90)
    await sources.sell_in(account_id, f"{year}-02", 500, product_line="bus")
    await sources.sell_in(account_id, f"{year}-02", 120)  # February's figures, corrected
    assert await _actual(planner, trucks, f"{year}-Q1") == "220"


async def test_facilitation_spend_in_the_indicators_currency(
    accounts: Any, planner: Any, year: int
) -> None:
    account_id = await accounts.open()
    plan = await planner.active_plan(account_id)
    spend = await planner.indicator(
        plan["id"],
        code="SPEND",
        source="facilitation_spend",
        unit="CNY",
        direction="lower_is_better",
        targets=[{"period": f"{year}-03", "target": "5000"}],
    )
    facilitation_id = uuid.uuid4()

    async def spent(amount: str, currency: str, version: int) -> None:
        money = Money(amount=Decimal(amount), currency=currency)
        await accounts.publish(
            FacilitationSpent(
                facilitation_id=facilitation_id,
                facilitation_version=version,
                account_id=account_id,
                guideline_id=uuid.uuid4(),
                guideline_type="training",
                contract_id=None,
                tier=None,
                year=year,
                amount=money,
                status="granted",
                balance=FacilitationBalance(
                    cap=money, requested=money, granted=money, spent=money, remaining=money
                ),
                spent=money,
                spent_total=money,
                spent_on=date(year, 3, 10),
                description="Mechanic training",
                recorded_by="am-1",
            ),
            facilitation_id,
        )

    await spent("1200", "CNY", 2)
    await spent("800", "CNY", 3)
    await spent("999", "EUR", 4)
    period = (await planner.periods(spend["id"]))[f"{year}-03"]
    assert (period["actual"], period["status"]) == ("2000", "green")


async def test_a_batch_of_sell_in_gives_what_the_events_one_by_one_give(
    app: FastAPI, accounts: Any, planner: Any, sources: Any, events: EventStream, year: int
) -> None:
    """The consumer applies a batch of sell-in events set-based: several events for the same
    indicator and period in one batch end where the same events applied one by one end."""
    months = [f"{year}-01", f"{year}-02"]
    figures = [
        (months[0], 100, "truck"),
        (months[1], 120, "truck"),
        (months[1], 500, "bus"),  # another product line: not this indicator's
        (months[0], 60, "truck"),  # January corrected: red
        (months[1], 90, "truck"),  # February corrected: amber...
        (months[1], 50, "truck"),  # ... then red
    ]
    indicators = []
    for _ in range(2):
        account_id = await accounts.open()
        plan = await planner.active_plan(account_id)
        indicator = await planner.indicator(
            plan["id"],
            code="TRUCK",
            source="sell_in",
            source_filter="truck",
            unit="units",
            targets=[{"period": month, "target": "100"} for month in months],
        )
        indicators.append((account_id, plan, indicator))

    (one_account, _, _), (batch_account, _, _) = indicators
    for month, units, line in figures:
        await sources.sell_in(one_account, month, units, product_line=line)
    runtime = app.state.runtime
    apply_sell_in = runtime.consumers[0].spec.batch_handlers[SellInRecorded.event_type()]
    batch = []
    for seq, (month, units, line) in enumerate(figures, start=1):
        payload = sources.sell_in_recorded(batch_account, month, units, line)
        event = CloudEvent(
            source="accounts",
            type=payload.event_type(),
            subject=str(batch_account),
            data=payload.model_dump(mode="json"),
        )
        batch.append((event, seq))
    async with runtime.db.unit_of_work() as session:
        await apply_sell_in(session, batch)

    async def outcome(plan: dict[str, Any], indicator: dict[str, Any]) -> dict[str, Any]:
        recorded = await events.wait_for(
            "tread.actionplans.measurement.recorded",
            5,
            where=lambda e: e["data"]["indicator_id"] == indicator["id"],
        )
        return {
            "periods": {
                p: (v["actual"], v["status"], v["measurements"])
                for p, v in (await planner.periods(indicator["id"])).items()
            },
            "deviations": sorted(
                (d["period"], d["status"], d["severity"])
                for d in await planner.deviations(plan_id=plan["id"])
            ),
            "recorded": [
                (
                    e["data"]["change"],
                    e["data"]["period"],
                    e["data"]["value"],
                    e["data"]["reading"]["actual"],
                    e["data"]["reading"]["status"],
                )
                for e in recorded
            ],
        }

    one_by_one = await outcome(*indicators[0][1:])
    together = await outcome(*indicators[1][1:])
    assert together == one_by_one
    assert one_by_one["periods"][months[0]] == ("60", "red", 1)
    assert one_by_one["periods"][months[1]] == ("50", "red", 1)
    assert one_by_one["deviations"] == [(months[0], "open", "red"), (months[1], "open", "red")]
    assert [r[0] for r in one_by_one["recorded"]] == [
        "created",
        "created",
        "updated",
        "updated",
        "updated",
    ]
