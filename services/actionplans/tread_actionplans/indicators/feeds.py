"""Indicators fed by other services' events. Each event measures what it names (a month's
sell-in of a product line, one activity, one audit criterion, one spending) under a
``source_key``, so the measurement is applied once however often the event arrives; the
source's version (the activity's, or the stream sequence) keeps an older event from undoing a
newer one, and a corrected or deleted source corrects or withdraws the measurement."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.service import follow_periods
from tread_actionplans.indicators import repository
from tread_actionplans.indicators.events import measurement_recorded
from tread_actionplans.indicators.facts import FedIndicator, FedMeasurement, FedPlan, PeriodFigures
from tread_actionplans.indicators.service import Reading, set_period_figures
from tread_actionplans.periods import of_month, overlaps, period_of
from tread_shared.clock import utcnow
from tread_shared.events.consumer import BatchHandler, Handler
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
from tread_shared.events.registry import EventPayload
from tread_shared.ids import new_id

SYSTEM = "actionplans"
HOURS = Decimal(60)
FOUR_PLACES = Decimal("0.0001")
ACTIVITY_EVENTS: dict[str, type[ActivityEvent]] = {
    model.event_type(): model for model in (ActivityLogged, ActivityUpdated, ActivityDeleted)
}


# Per (indicator, period): the live measurements, {id: (measured_at, value)}.
LiveValues = dict[tuple[uuid.UUID, str], dict[uuid.UUID, tuple[datetime, Decimal]]]
Fed = tuple[FedPlan, FedIndicator, Reading]
P = TypeVar("P")
M = TypeVar("M", bound=BaseModel)


async def apply_readings(session: AsyncSession, outbox: Outbox, readings: Sequence[Fed]) -> None:
    """Record, correct or withdraw the measurements of the readings' source keys, in order,
    set-based: the measurements and the periods' live values are read in one query each, new
    measurements inserted and touched periods upserted as rows in one statement each (plain
    records, no ORM object per row), each period's deviation followed once, and the events
    written together. A withdrawal that arrives first leaves a withdrawn row behind, so the
    older event that follows is recognised as older. Each ``measurement.recorded`` carries its
    period as that change left it, as if the readings had been applied one by one."""
    if not readings:
        return
    await session.flush()
    keys = {(indicator.id, _key(reading)) for _, indicator, reading in readings}
    measured = await repository.by_source_keys(session, keys)
    read = set(measured)
    touched = {(indicator.id, reading.period) for _, indicator, reading in readings}
    touched |= {(m.indicator_id, m.period) for m in measured.values()}
    live = await repository.live_measurements(session, touched)
    changed: dict[tuple[uuid.UUID, str], tuple[FedPlan, FedIndicator]] = {}
    # Each touched period's figures as its last change left them: what is written at the end,
    # unless a correction moved a measurement out of it since (then worked out again).
    figures: dict[tuple[uuid.UUID, str], PeriodFigures] = {}
    announced: list[tuple[EventPayload, str]] = []
    created: list[FedMeasurement] = []  # inserted as rows at the end, as the batch left them
    for plan, indicator, reading in readings:
        if not overlaps(reading.period, plan.start_date, plan.end_date):
            reading = replace(reading, withdrawn=True)
        pair = (indicator.id, _key(reading))
        existing = measured.get(pair)
        if existing is None:
            measured[pair] = measurement = _new_measurement(indicator, reading)
            created.append(measurement)
            if reading.withdrawn:
                continue  # only a marker that the source is gone, for older events
            change = "created"
        else:
            change = _correction(existing, reading) or ""
            if not change:
                continue
            measurement = existing
            live[(indicator.id, measurement.period)].pop(measurement.id, None)
            changed[(indicator.id, measurement.period)] = (plan, indicator)
            figures.pop((indicator.id, measurement.period), None)
            _correct(measurement, reading)
        values = live[(indicator.id, measurement.period)]
        if measurement.deleted_at is None:
            values[measurement.id] = (measurement.measured_at, measurement.value)
        changed[(indicator.id, measurement.period)] = (plan, indicator)
        snapshot = figures[(indicator.id, measurement.period)] = _figures(
            indicator, measurement.period, values
        )
        payload = measurement_recorded(plan, indicator, measurement, change, snapshot)
        announced.append((payload, str(measurement.id)))
    await repository.insert_measurements(session, created, SYSTEM)
    corrected = [m for pair, m in measured.items() if pair in read and m.touched]
    await repository.update_measurements(session, corrected)
    followed: list[tuple[FedPlan, FedIndicator, PeriodFigures]] = [
        (
            plan,
            indicator,
            figures.get((indicator_id, period))
            or _figures(indicator, period, live[(indicator_id, period)]),
        )
        for (indicator_id, period), (plan, indicator) in changed.items()
    ]
    await repository.save_periods(session, [row for _, _, row in followed])
    # Deviations first, as a single event's would be announced before its measurement.
    await follow_periods(session, outbox, followed)
    await outbox.add_many(session, announced)


def _key(reading: Reading) -> str:
    assert reading.source_key is not None
    return reading.source_key


def _figures(
    indicator: FedIndicator, period: str, live: dict[uuid.UUID, tuple[datetime, Decimal]]
) -> PeriodFigures:
    """The period's figures from its live measurements, oldest first."""
    if len(live) > 1:
        values = [value for _, (_, value) in sorted(live.items(), key=lambda i: (i[1][0], i[0]))]
    else:
        values = [value for _, value in live.values()]
    row = PeriodFigures(indicator.id, period, Decimal(0), 0, None, utcnow())
    set_period_figures(indicator, row, values)
    return row


def _new_measurement(indicator: FedIndicator, reading: Reading) -> FedMeasurement:
    """The measurement of ``reading`` (with its id: its event names it before it is written);
    a withdrawn reading makes only a marker that its source is gone."""
    return FedMeasurement(
        id=new_id(),
        indicator_id=indicator.id,
        period=reading.period,
        value=reading.value,
        source=reading.source,
        source_key=_key(reading),
        source_event_id=reading.source_event_id,
        source_version=reading.source_version or 0,
        measured_at=reading.measured_at,
        deleted_at=utcnow() if reading.withdrawn else None,
        version=1,
    )


def _correction(existing: FedMeasurement, reading: Reading) -> str | None:
    """What ``reading`` does to the measurement of its source key: ``updated``, ``deleted``,
    or nothing (``None``: older than what is held, or the same)."""
    version = reading.source_version or 0
    if (existing.source_version or 0) > version:
        return None
    gone = existing.deleted_at is not None
    if gone and reading.withdrawn:
        existing.source_version = version
        existing.touched = True
        return None
    if not gone and not reading.withdrawn and _same(existing, reading):
        return None
    return "deleted" if reading.withdrawn else "updated"


def _correct(measurement: FedMeasurement, reading: Reading) -> None:
    if reading.withdrawn:
        measurement.deleted_at = utcnow()
    else:
        measurement.deleted_at = None
        measurement.period, measurement.value = reading.period, reading.value
        measurement.measured_at = reading.measured_at
        measurement.source_event_id = reading.source_event_id
    measurement.source_version = reading.source_version or 0
    measurement.touched = True


def _same(measurement: FedMeasurement, reading: Reading) -> bool:
    return measurement.period == reading.period and measurement.value == reading.value


def _reading(
    indicator: FedIndicator,
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
    parse: Callable[[CloudEvent], P],
    readings: Callable[[FedIndicator, P, CloudEvent, int], list[Reading]],
) -> BatchHandler:
    """A batch handler: each event's account found once and its payload validated once (not
    once per indicator it feeds), and only for an event that feeds an indicator."""
    wanted = tuple(sources)

    async def apply(session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]) -> None:
        accounts = [account_of(event) for event, _ in events]
        fed = await repository.fed_by(session, set(accounts), wanted)
        found: list[Fed] = []
        for (event, stream_seq), account in zip(events, accounts, strict=True):
            indicators = fed[account]
            if not indicators:
                continue
            payload = parse(event)
            for indicator, plan in indicators:
                found.extend(
                    (plan, indicator, reading)
                    for reading in readings(indicator, payload, event, stream_seq)
                )
        await apply_readings(session, outbox, found)

    return apply


def _sell_in(
    indicator: FedIndicator, payload: SellInRecorded, event: CloudEvent, seq: int
) -> list[Reading]:
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


def _activity_of(event: CloudEvent) -> tuple[type[ActivityEvent], ActivityEvent]:
    model = ACTIVITY_EVENTS[event.type]
    return model, model.model_validate(event.data)


def _activity(
    indicator: FedIndicator,
    parsed: tuple[type[ActivityEvent], ActivityEvent],
    event: CloudEvent,
    _seq: int,
) -> list[Reading]:
    model, payload = parsed
    activity = payload.activity
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


def _audit(
    indicator: FedIndicator, payload: AuditCompleted, event: CloudEvent, seq: int
) -> list[Reading]:
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


def _spending(
    indicator: FedIndicator, payload: FacilitationSpent, event: CloudEvent, _seq: int
) -> list[Reading]:
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


def _parser(model: type[M]) -> Callable[[CloudEvent], M]:
    def parse(event: CloudEvent) -> M:
        return model.model_validate(event.data)

    return parse


def _account_id(event: CloudEvent) -> uuid.UUID:
    data = event.data
    if "activity" in data:
        return uuid.UUID(str(data["activity"]["account_id"]))
    return uuid.UUID(str(data["account_id"]))


def measurement_handlers(outbox: Outbox) -> dict[str, BatchHandler]:
    """Batch handlers, by event type, that measure the indicators of the accounts' open plans."""
    activity = _handler(outbox, ("visits", "hours"), _account_id, _activity_of, _activity)
    sell_in = _handler(outbox, ("sell_in",), _account_id, _parser(SellInRecorded), _sell_in)
    spending = _handler(
        outbox, ("facilitation_spend",), _account_id, _parser(FacilitationSpent), _spending
    )
    return {
        SellInRecorded.event_type(): sell_in,
        **{event_type: activity for event_type in ACTIVITY_EVENTS},
        FacilitationSpent.event_type(): spending,
    }


def audit_measurements(outbox: Outbox) -> Handler:
    """The audit-score indicators of the account's open plans (plans drafted from audits are
    handled beside it, in ``plans.audits``)."""
    measure = _handler(outbox, ("audit_score",), _account_id, _parser(AuditCompleted), _audit)

    async def apply(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        await measure(session, [(event, stream_seq)])

    return apply
