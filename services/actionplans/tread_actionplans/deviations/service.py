"""Deviations follow their indicator's period: opened when it turns amber or red (once per
indicator and period), closed when it recovers, opened again if it falls back. Only plans being
followed (approved or active) open deviations. The account manager names the cause, decides
corrective actions and re-forecasts the indicator."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations import repository
from tread_actionplans.deviations.events import action_state, deviation_state
from tread_actionplans.deviations.models import (
    AnyDeviation,
    CorrectiveAction,
    Deviation,
    NewDeviation,
)
from tread_actionplans.deviations.schemas import CauseIn, CorrectiveActionIn, ReforecastIn
from tread_actionplans.deviations.workflow import ACTION_MOVES, DEVIATION_MOVES
from tread_actionplans.indicators.facts import IndicatorRules, PeriodRow, PlanScope
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod
from tread_actionplans.lifecycle import next_status
from tread_actionplans.periods import granularity_of, overlaps
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.workflow import FOLLOWED, OPEN
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.per_item import each_in_own_transaction
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import (
    CorrectiveActionCompleted,
    CorrectiveActionCreated,
    CorrectiveActionOverdue,
    DeviationCauseRecorded,
    DeviationClosed,
    DeviationOpened,
)
from tread_shared.events.registry import EventPayload
from tread_shared.ids import new_id

SYSTEM = "actionplans"


def _opening(
    session: AsyncSession, plan: PlanScope, deviation: Deviation | None, **fields: object
) -> Deviation:
    """A new deviation, or ``deviation`` reopened; not yet announced."""
    if deviation is None:
        deviation = Deviation(plan_id=plan.id, status="open", opened_at=utcnow(), **fields)
        session.add(deviation)
        return deviation
    _reopening(deviation, **fields)
    return deviation


def _reopening(deviation: AnyDeviation, **fields: object) -> None:
    deviation.status = next_status(
        "Deviation", DEVIATION_MOVES, deviation.id, deviation.status, "reopen"
    )
    deviation.opened_at, deviation.closed_at = utcnow(), None
    for key, value in fields.items():
        setattr(deviation, key, value)


def _closing(deviation: AnyDeviation) -> None:
    deviation.status = next_status(
        "Deviation", DEVIATION_MOVES, deviation.id, deviation.status, "close"
    )
    deviation.closed_at = utcnow()


async def _open(
    session: AsyncSession, outbox: Outbox, plan: Plan, deviation: Deviation | None, **fields: object
) -> Deviation:
    """Open a new deviation, or reopen ``deviation``; announce it."""
    opened = _opening(session, plan, deviation, **fields)
    await emit(
        session, outbox, opened, lambda: DeviationOpened(deviation=deviation_state(opened, plan))
    )
    return opened


async def _close(
    session: AsyncSession, outbox: Outbox, plan: Plan, deviation: Deviation, by: str
) -> Deviation:
    _closing(deviation)
    await emit(
        session,
        outbox,
        deviation,
        lambda: DeviationClosed(deviation=deviation_state(deviation, plan), closed_by=by),
    )
    return deviation


async def follow_period(
    session: AsyncSession,
    outbox: Outbox,
    plan: PlanScope,
    indicator: IndicatorRules,
    row: PeriodRow,
) -> None:
    """Open, reopen, escalate or close the period's deviation after its status changed."""
    await follow_periods(session, outbox, [(plan, indicator, row)])


async def follow_periods(
    session: AsyncSession,
    outbox: Outbox,
    periods: Sequence[tuple[PlanScope, IndicatorRules, PeriodRow]],
) -> None:
    """``follow_period`` for many periods at once (a batch of events): their deviations read
    in one query, new ones inserted in one statement (not added to the session: a batch opens
    hundreds), changed ones flushed, all announced in one statement."""
    followed = [item for item in periods if item[0].status in FOLLOWED]
    if not followed:
        return
    deviations: dict[tuple[uuid.UUID, str], AnyDeviation] = dict(
        await repository.for_periods(
            session, [(indicator.id, row.period) for _, indicator, row in followed]
        )
    )
    fresh: list[NewDeviation] = []
    announced: list[tuple[AnyDeviation, PlanScope, str]] = []
    for plan, indicator, row in followed:
        deviation = deviations.get((indicator.id, row.period))
        if row.status in ("amber", "red"):
            if deviation is None:
                new = _new_deviation(plan, indicator.id, row.period, row.status)
                fresh.append(new)
                deviations[(indicator.id, row.period)] = deviation = new
                announced.append((deviation, plan, "opened"))
            elif deviation.status == "closed":
                _reopening(deviation, severity=row.status)
                announced.append((deviation, plan, "opened"))
            elif deviation.severity != row.status:
                deviation.severity = row.status
        elif deviation is not None and deviation.status == "open":
            _closing(deviation)
            announced.append((deviation, plan, "closed"))
    await repository.insert_deviations(session, fresh)
    if not announced:
        return
    await session.flush()
    events: list[tuple[EventPayload, str]] = []
    for deviation, plan, change in announced:
        state = deviation_state(deviation, plan)
        # The same period given twice, turned and recovered: announced as it ended.
        if change == "opened" and deviation.status == "open":
            events.append((DeviationOpened(deviation=state), str(deviation.id)))
        elif change == "closed" and deviation.status == "closed":
            events.append((DeviationClosed(deviation=state, closed_by=SYSTEM), str(deviation.id)))
    await outbox.add_many(session, events)


def _new_deviation(
    plan: PlanScope, indicator_id: uuid.UUID, period: str, severity: str
) -> NewDeviation:
    """A deviation of an indicator's period, opened now: a row to insert, outside the session."""
    now = utcnow()
    return NewDeviation(
        id=new_id(),
        created_at=now,
        updated_at=now,
        version=1,
        deleted_at=None,
        plan_id=plan.id,
        origin="indicator",
        indicator_id=indicator_id,
        period=period,
        contract_id=None,
        severity=severity,
        status="open",
        cause=None,
        analysis=None,
        opened_at=now,
        closed_at=None,
    )


async def follow_plan(
    session: AsyncSession,
    outbox: Outbox,
    plan: Plan,
    rows: Sequence[tuple[Indicator, IndicatorPeriod]],
) -> None:
    """A plan that starts being followed opens the deviations its periods already show."""
    for indicator, row in rows:
        await follow_period(session, outbox, plan, indicator, row)


async def follow_compliance(
    session: AsyncSession, outbox: Outbox, plan: Plan, contract_id: uuid.UUID, overall: str
) -> None:
    """A contract at risk or missed opens a deviation on the plan; back on track closes it."""
    deviation = await repository.for_contract(session, plan.id, contract_id)
    if overall in ("at_risk", "missed"):
        severity = "red" if overall == "missed" else "amber"
        if deviation is None or deviation.status == "closed":
            await _open(
                session,
                outbox,
                plan,
                deviation,
                origin="compliance",
                contract_id=contract_id,
                severity=severity,
            )
        elif deviation.severity != severity:
            deviation.severity = severity
    elif deviation is not None and deviation.status == "open":
        await _close(session, outbox, plan, deviation, SYSTEM)


async def close_deviation(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan, deviation: Deviation
) -> Deviation:
    return await _close(session, outbox, plan, deviation, principal.sub)


async def record_cause(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    deviation: Deviation,
    data: CauseIn,
) -> Deviation:
    deviation.cause, deviation.analysis = data.cause, data.analysis
    await emit(
        session,
        outbox,
        deviation,
        lambda: DeviationCauseRecorded(
            deviation=deviation_state(deviation, plan),
            analysis=data.analysis,
            recorded_by=principal.sub,
        ),
    )
    return deviation


async def reforecast(
    session: AsyncSession, plan: Plan, deviation: Deviation, data: ReforecastIn, today: date
) -> Indicator:
    """The indicator's expected values for the periods still to come (this one included)."""
    if deviation.indicator_id is None:
        raise Unprocessable("Only a deviation of an indicator is re-forecast.", slug="no-indicator")
    indicator = await session.get(Indicator, deviation.indicator_id)
    assert indicator is not None
    forecast = dict(indicator.forecast or {})
    for item in data.periods:
        if granularity_of(item.period) != indicator.granularity:
            raise Unprocessable(
                f"Indicator {indicator.code} is followed by {indicator.granularity}.",
                slug="period-granularity",
            )
        if not overlaps(item.period, max(today, plan.start_date), plan.end_date):
            raise Unprocessable(
                f"{item.period} is not a period still to come in the plan.",
                slug="period-not-ahead",
            )
        forecast[item.period] = str(item.forecast)
    indicator.forecast = dict(sorted(forecast.items()))
    await session.flush()
    return indicator


def _require_open_plan(plan: Plan) -> None:
    if plan.status not in OPEN:
        raise Conflict(f"Plan {plan.id} is closed: no more corrective actions.", slug="plan-closed")


async def add_action(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    data: CorrectiveActionIn,
    *,
    deviation: Deviation | None = None,
    meeting_id: uuid.UUID | None = None,
) -> CorrectiveAction:
    _require_open_plan(plan)
    action = CorrectiveAction(
        plan_id=plan.id,
        deviation_id=deviation.id if deviation else None,
        meeting_id=meeting_id,
        title=data.title,
        owner_id=data.owner_id or plan.owner_id or principal.sub,
        due_on=data.due_on,
        budget=data.budget.amount if data.budget else None,
        currency=data.budget.currency if data.budget else None,
        expected_effect=data.expected_effect,
        status="open",
        created_by=principal.sub,
    )
    session.add(action)
    await emit(
        session,
        outbox,
        action,
        lambda: CorrectiveActionCreated(
            action=action_state(action, plan), created_by=principal.sub
        ),
    )
    return action


async def finish_action(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    plan: Plan,
    action: CorrectiveAction,
    step: str,
    outcome: str | None,
) -> CorrectiveAction:
    action.status = next_status("Corrective action", ACTION_MOVES, action.id, action.status, step)
    action.completed_at, action.completed_by, action.outcome = utcnow(), principal.sub, outcome
    await emit(
        session,
        outbox,
        action,
        lambda: CorrectiveActionCompleted(
            action=action_state(action, plan), completed_by=principal.sub
        ),
    )
    return action


async def announce_overdue_actions(db: Database, outbox: Outbox, today: date) -> int:
    """Announce each open action past its due date, once."""
    async with db.unit_of_work() as session:
        ids = await repository.unnoticed_overdue(session, today)

    async def announce(session: AsyncSession, action_id: uuid.UUID) -> bool:
        action = await session.get(CorrectiveAction, action_id)
        if action is None or action.status != "open" or action.overdue_noticed_at is not None:
            return False
        plan = await session.get(Plan, action.plan_id)
        assert plan is not None
        action.overdue_noticed_at = utcnow()
        days = (today - action.due_on).days
        await emit(
            session,
            outbox,
            action,
            lambda: CorrectiveActionOverdue(action=action_state(action, plan), days_overdue=days),
        )
        return True

    return await each_in_own_transaction(db, ids, announce)
