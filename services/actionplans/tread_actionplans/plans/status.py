"""The plan status page: every indicator with its latest measured period, the objectives, open
deviations and overdue actions, and the budget and resources used. A handful of indexed queries,
whatever the plan's size: three Core statements built once, their values bound, run by ``Reader``
(on PostgreSQL on the driver itself, the three on one connection) outside any transaction; rows,
not entities, since the page only renders them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    CompoundSelect,
    Select,
    bindparam,
    func,
    select,
)

from tread_actionplans.deviations.models import CorrectiveAction, Deviation
from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.indicators.evaluation import target_of
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod
from tread_actionplans.objectives import service as objectives
from tread_actionplans.objectives.models import Objective
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.schemas import (
    ActionBriefOut,
    BudgetLine,
    BudgetUseOut,
    DeviationBriefOut,
    IndicatorStatusOut,
    ObjectiveBriefOut,
    PlanOut,
    PlanStatusOut,
    ResourceUseOut,
)
from tread_actionplans.plans.service import may_see
from tread_actionplans.resources.models import ResourceRequest
from tread_shared.auth.principal import Principal
from tread_shared.db.reading import Reader, RowReads
from tread_shared.db.row_parts import RowPart, labelled_columns, union_of_parts
from tread_shared.db.types import plain_decimal
from tread_shared.directory.handlers import SCOPE_COLUMNS
from tread_shared.errors import NotFound
from tread_shared.trusted import trusted

ZERO = Decimal(0)
BUDGET_FIGURES = ("planned", "committed", "spent", "requested", "approved", "approved_committed")


@cache
def _plan() -> Select[Any]:
    # The plan and, when it is an account's, the account's directory entry its scope depends on.
    plans, directory = Plan.__table__, AccountDirectory.__table__
    return (
        select(
            *labelled_columns(Plan),
            *labelled_columns(AccountDirectory, "directory_", SCOPE_COLUMNS),
        )
        .select_from(plans)
        .outerjoin(directory, directory.c.account_id == plans.c.account_id)
        .where(plans.c.id == bindparam("plan_id"))
    )


@cache
def _indicators() -> Select[Any]:
    # The plan's indicators by code, each with its latest period row (NULLs: none yet), each
    # latest row found by the period table's primary key, not all the periods read.
    indicators, periods = Indicator.__table__, IndicatorPeriod.__table__
    later = periods.alias("later")
    latest = (
        select(func.max(later.c.period))
        .where(later.c.indicator_id == indicators.c.id)
        .correlate(indicators)
        .scalar_subquery()
    )
    return (
        select(
            *labelled_columns(Indicator, "", ("id", "code", "name", "unit", "source", "targets")),
            *labelled_columns(IndicatorPeriod, "period_", ("period", "actual", "status")),
        )
        .select_from(indicators)
        .outerjoin(
            periods, (periods.c.indicator_id == indicators.c.id) & (periods.c.period == latest)
        )
        .where(indicators.c.plan_id == bindparam("plan_id"), indicators.c.deleted_at.is_(None))
        .order_by(indicators.c.code)
    )


def _objectives() -> Select[Any]:
    # The plan's live objectives, each with its bound indicator's latest measured period's
    # actual and the indicator's direction (NULLs: unbound or not measured yet): what
    # objectives.of_plan and objectives.latest_readings read in two statements.
    objectives_table, indicators = Objective.__table__, Indicator.__table__
    periods = IndicatorPeriod.__table__
    later = periods.alias("later")
    latest = (
        select(func.max(later.c.period))
        .where(later.c.indicator_id == indicators.c.id, later.c.measurements > 0)
        .correlate(indicators)
        .scalar_subquery()
    )
    return (
        select(
            *labelled_columns(
                Objective, "", ("id", "statement", "kind", "indicator_id", "target", "last_score")
            ),
            indicators.c.direction.label("reading_direction"),
            periods.c.actual.label("reading_actual"),
        )
        .select_from(objectives_table)
        .outerjoin(indicators, indicators.c.id == objectives_table.c.indicator_id)
        .outerjoin(
            periods, (periods.c.indicator_id == indicators.c.id) & (periods.c.period == latest)
        )
        .where(
            objectives_table.c.plan_id == bindparam("plan_id"),
            objectives_table.c.deleted_at.is_(None),
        )
    )


def _requests() -> Select[Any]:
    table = ResourceRequest.__table__
    names = ("id", "kind", "currency", "amount", "approved_amount", "committed")
    return select(*labelled_columns(ResourceRequest, "", names)).where(
        table.c.plan_id == bindparam("plan_id")
    )


def _open_deviations() -> Select[Any]:
    table = Deviation.__table__
    names = ("id", "origin", "indicator_id", "period", "severity", "cause", "opened_at")
    return select(*labelled_columns(Deviation, "", names)).where(
        table.c.plan_id == bindparam("plan_id"), table.c.status == "open"
    )


def _overdue_actions() -> Select[Any]:
    table = CorrectiveAction.__table__
    return select(
        *labelled_columns(CorrectiveAction, "", ("id", "title", "owner_id", "due_on"))
    ).where(
        table.c.plan_id == bindparam("plan_id"),
        table.c.status == "open",
        table.c.due_on < bindparam("today"),
    )


# The page's lists, read in one statement, by part number.
OBJECTIVES, REQUESTS, OPEN_DEVIATIONS, OVERDUE_ACTIONS = range(4)


@cache
def _lists() -> CompoundSelect[Any]:
    # One round trip for four lists: the plan's objectives by id, its resource requests by id,
    # its open deviations by opening time, its open actions due before today by due date (the
    # columns the other parts leave NULL order each part).
    lists = union_of_parts(_objectives(), _requests(), _open_deviations(), _overdue_actions())
    order = lists.selected_columns
    return lists.order_by(order.part, order.opened_at, order.due_on, order.id)


async def plan_to_read(reads: RowReads, principal: Principal, plan_id: uuid.UUID) -> Any:
    """The plan's row (its columns as attributes) if ``principal`` sees it; 404 otherwise, the
    same whether it does not exist or is out of scope (``service.plan_in_scope``'s rule)."""
    plan = await reads.one(_plan(), {"plan_id": plan_id})
    if plan is None or plan.deleted_at is not None:
        raise NotFound(f"No plan {plan_id}.")
    entry = RowPart(plan, "directory_") if plan.directory_account_id is not None else None
    if not may_see(principal, plan, entry):
        raise NotFound(f"No plan {plan_id}.")
    return plan


def _indicator_statuses(rows: Any) -> list[IndicatorStatusOut]:
    out = []
    for row in rows:
        measured = row.period_period is not None
        target = target_of(row, row.period_period) if measured else None
        out.append(
            trusted(
                IndicatorStatusOut,
                id=row.id,
                code=row.code,
                name=row.name,
                unit=row.unit,
                source=row.source,
                period=row.period_period if measured else None,
                actual=row.period_actual if measured else None,
                target=target,
                gap=None if not measured or target is None else row.period_actual - target,
                status=row.period_status if measured else None,
            )
        )
    return out


def _budget(lines: Sequence[BudgetLine], requests: Sequence[Any]) -> list[BudgetUseOut]:
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for line in lines:
        currency = totals[line.planned.currency]
        currency["planned"] += line.planned.amount
        currency["committed"] += line.committed.amount if line.committed else ZERO
        currency["spent"] += line.spent.amount if line.spent else ZERO
    for request in requests:
        if request.kind != "money" or request.currency is None:
            continue
        currency = totals[request.currency]
        currency["requested"] += request.amount
        currency["approved"] += request.approved_amount or ZERO
        currency["approved_committed"] += request.committed
    return [
        trusted(
            BudgetUseOut,
            currency=code,
            **{name: plain_decimal(values[name]) for name in BUDGET_FIGURES},
        )
        for code, values in sorted(totals.items())
    ]


def _resources(requests: Sequence[Any]) -> list[ResourceUseOut]:
    totals: dict[str, list[Decimal]] = {}
    for request in requests:
        if request.kind == "money":
            continue
        values = totals.setdefault(request.kind, [ZERO, ZERO, ZERO])
        values[0] += request.amount
        values[1] += request.approved_amount or ZERO
        values[2] += request.committed
    return [
        trusted(ResourceUseOut, kind=kind, requested=v[0], approved=v[1], committed=v[2])
        for kind, v in sorted(totals.items())
    ]


async def plan_status(
    reads: Reader,
    principal: Principal,
    plan_id: uuid.UUID,
    today: date,
    plan_out: Callable[[Any], PlanOut],
) -> PlanStatusOut:
    """The status page of plan ``plan_id`` if ``principal`` sees it (404 otherwise), the plan
    rendered by ``plan_out``."""
    values = {"plan_id": plan_id}
    # Reader runs any SELECT built once, a UNION too.
    lists = cast(Select[Any], _lists())
    async with reads.together() as rows:  # three reads, one connection
        plan = await plan_to_read(rows, principal, plan_id)
        indicator_rows = await rows.all(_indicators(), values)
        list_rows = await rows.all(lists, {**values, "today": today})
    indicators = _indicator_statuses(indicator_rows)
    statuses = {"green": 0, "amber": 0, "red": 0}
    for indicator in indicators:
        if indicator.status is not None:
            statuses[indicator.status] += 1
    parts: tuple[list[Any], ...] = ([], [], [], [])
    for row in list_rows:
        parts[row.part].append(row)
    plan_objectives = parts[OBJECTIVES]
    requests, deviations, actions = (
        parts[REQUESTS],
        parts[OPEN_DEVIATIONS],
        parts[OVERDUE_ACTIONS],
    )
    readings = {
        row.indicator_id: (row.reading_actual, row.reading_direction)
        for row in plan_objectives
        if row.reading_actual is not None
    }
    objective_briefs = []
    for objective in plan_objectives:
        latest, met = objectives.progress(objective, readings)
        objective_briefs.append(
            trusted(
                ObjectiveBriefOut,
                id=objective.id,
                statement=objective.statement,
                target=objective.target,
                latest=latest,
                met=met,
            )
        )
    # The page's parts are built from typed columns: not validated again (tread_shared.trusted).
    shown = plan_out(plan)
    return trusted(
        PlanStatusOut,
        plan=shown,
        as_of=today,
        indicators=indicators,
        statuses=statuses,
        objectives=objective_briefs,
        open_deviations=[
            trusted(
                DeviationBriefOut,
                id=d.id,
                origin=d.origin,
                indicator_id=d.indicator_id,
                period=d.period,
                severity=d.severity,
                cause=d.cause,
                opened_at=d.opened_at,
            )
            for d in deviations
        ],
        overdue_actions=[
            trusted(
                ActionBriefOut,
                id=a.id,
                title=a.title,
                owner_id=a.owner_id,
                due_on=a.due_on,
                days_overdue=(today - a.due_on).days,
            )
            for a in actions
        ],
        budget=_budget(shown.budget_lines, requests),  # validated once, by plan_out
        resources=_resources(requests),
    )
