"""Indicators fed by other services' events. Each event measures what it names (a month's
sell-in of a product line, one activity, one audit criterion, one spending) under a
``source_key``, so the measurement is applied once however often the event arrives; the
source's version (the activity's, or the stream sequence) keeps an older event from undoing a
newer one, and a corrected or deleted source corrects or withdraws the measurement."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.indicators import repository
from tread_actionplans.indicators.models import Indicator, Measurement
from tread_actionplans.indicators.service import Reading, add_measurement, correct_measurement
from tread_actionplans.periods import of_month, overlaps, period_of
from tread_actionplans.plans.models import Plan
from tread_shared.events.consumer import Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import (
    ActivityDeleted,
    ActivityEvent,
    ActivityLogged,
    ActivityUpdated,
    SellInRecorded,
)
from tread_shared.events.payloads.contracts import AuditCompleted, FacilitationSpent

SYSTEM = "actionplans"
HOURS = Decimal(60)
FOUR_PLACES = Decimal("0.0001")
ACTIVITY_EVENTS: dict[str, type[ActivityEvent]] = {
    model.event_type(): model for model in (ActivityLogged, ActivityUpdated, ActivityDeleted)
}


async def apply_reading(
    session: AsyncSession, outbox: Outbox, plan: Plan, indicator: Indicator, reading: Reading
) -> None:
    """Record, correct or withdraw the measurement of ``reading.source_key``. A withdrawal
    that arrives first leaves a withdrawn row behind, so the older event that follows is
    recognised as older."""
    key = reading.source_key
    assert key is not None
    version = reading.source_version or 0
    if not overlaps(reading.period, plan.start_date, plan.end_date):
        reading = replace(reading, withdrawn=True)
    existing = await repository.by_source_key(session, indicator.id, key)
    if existing is None:
        await add_measurement(session, outbox, plan, indicator, reading)
        return
    if (existing.source_version or 0) > version:
        return
    gone = existing.deleted_at is not None
    if gone and reading.withdrawn:
        existing.source_version = version
        return
    if not gone and not reading.withdrawn and _same(existing, reading):
        return
    await correct_measurement(session, outbox, plan, indicator, existing, reading)
    existing.source_version = version


def _same(measurement: Measurement, reading: Reading) -> bool:
    return measurement.period == reading.period and measurement.value == reading.value


def _reading(
    indicator: Indicator,
    *,
    when: datetime,
    value: Decimal,
    source: str,
    key: str,
    event: CloudEvent,
    version: int,
    period: str | None = None,
    withdrawn: bool = False,
) -> Reading:
    return Reading(
        period=period or period_of(when.date(), indicator.granularity),
        value=value,
        source=source,
        measured_at=when,
        recorded_by=SYSTEM,
        source_key=key,
        source_event_id=event.id,
        source_version=version,
        withdrawn=withdrawn,
    )


def _handler(
    outbox: Outbox,
    sources: Iterable[str],
    account_of: Callable[[CloudEvent], uuid.UUID],
    readings: Callable[[Indicator, CloudEvent, int], list[Reading]],
) -> Handler:
    wanted = tuple(sources)

    async def apply(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        account_id = account_of(event)
        for indicator, plan in await repository.fed_by(session, account_id, wanted):
            for reading in readings(indicator, event, stream_seq):
                await apply_reading(session, outbox, plan, indicator, reading)

    return apply


def _sell_in(indicator: Indicator, event: CloudEvent, seq: int) -> list[Reading]:
    payload = SellInRecorded.model_validate(event.data)
    found: list[Reading] = []
    for line in payload.lines:
        if indicator.source_filter not in (None, line.product_line):
            continue
        key = f"sell_in:{payload.month}:{line.product_line}"
        period = of_month(payload.month, indicator.granularity)
        reading = _reading(
            indicator,
            when=event.time,
            value=Decimal(line.units),
            source="sell_in",
            key=key,
            event=event,
            version=seq,
            period=period,
        )
        found.append(reading)
    return found


def _activity(indicator: Indicator, event: CloudEvent, _seq: int) -> list[Reading]:
    model = ACTIVITY_EVENTS[event.type]
    activity = model.model_validate(event.data).activity
    key = f"activity:{activity.activity_id}"
    counts = model is not ActivityDeleted and (
        indicator.source == "hours" or activity.type == "visit"
    )
    value = (
        Decimal(1)
        if indicator.source == "visits"
        else (activity.duration_minutes / HOURS).quantize(FOUR_PLACES)
    )
    reading = _reading(
        indicator,
        when=activity.started_at,
        value=value,
        source=indicator.source,
        key=key,
        event=event,
        version=activity.version,
        withdrawn=not counts,
    )
    return [reading]


def _audit(indicator: Indicator, event: CloudEvent, seq: int) -> list[Reading]:
    payload = AuditCompleted.model_validate(event.data)
    if indicator.source_filter is None:
        value: Decimal | None = payload.overall_score
    else:
        scores = {s.criterion: s.score for s in payload.scores}
        score = scores.get(indicator.source_filter)
        value = None if score is None else Decimal(score)
    if value is None:
        return []
    key = f"audit:{payload.audit_id}:{indicator.source_filter or 'overall'}"
    reading = _reading(
        indicator,
        when=payload.performed_at,
        value=value,
        source="audit_score",
        key=key,
        event=event,
        version=seq,
    )
    return [reading]


def _spending(indicator: Indicator, event: CloudEvent, _seq: int) -> list[Reading]:
    payload = FacilitationSpent.model_validate(event.data)
    if payload.spent.currency != indicator.unit:
        return []
    key = f"facilitation:{payload.facilitation_id}:{payload.facilitation_version}"
    reading = _reading(
        indicator,
        when=datetime.combine(payload.spent_on, datetime.min.time(), tzinfo=event.time.tzinfo),
        value=payload.spent.amount,
        source="facilitation_spend",
        key=key,
        event=event,
        version=payload.facilitation_version,
        period=period_of(payload.spent_on, indicator.granularity),
    )
    return [reading]


def _account_id(event: CloudEvent) -> uuid.UUID:
    data = event.data
    if "activity" in data:
        return uuid.UUID(str(data["activity"]["account_id"]))
    return uuid.UUID(str(data["account_id"]))


def measurement_handlers(outbox: Outbox) -> dict[str, Handler]:
    """Handlers, by event type, that measure the indicators of the account's open plans."""
    activity = _handler(outbox, ("visits", "hours"), _account_id, _activity)
    return {
        SellInRecorded.event_type(): _handler(outbox, ("sell_in",), _account_id, _sell_in),
        **{event_type: activity for event_type in ACTIVITY_EVENTS},
        FacilitationSpent.event_type(): _handler(
            outbox, ("facilitation_spend",), _account_id, _spending
        ),
    }


def audit_measurements(outbox: Outbox) -> Handler:
    """The audit-score indicators of the account's open plans (plans drafted from audits are
    handled beside it, in ``plans.audits``)."""
    return _handler(outbox, ("audit_score",), _account_id, _audit)
