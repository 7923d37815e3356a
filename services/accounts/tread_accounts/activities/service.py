"""Logging activities with an account and controlling the investment they add up to.

Investment control, for a period: *planned* is the qualification's yearly plan times the
period's share of the year (a quarter plans a quarter of the visits); *actual* counts visits
(activities of type ``visit``), hours (every activity's duration) and budget (every cost in the
plan's currency; costs in other currencies are listed apart, never converted) of the activities
*done*; *deviation* is actual minus planned, and its percentage of the plan. Activities still
*planned* (a visit to come) and *missed* are shown apart, never counted as done: an activity
dated ahead is logged as planned, and becomes done (once its time has come) or missed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.access import visible_accounts
from tread_accounts.accounts.models import Account
from tread_accounts.accounts.service import in_account_scope
from tread_accounts.activities import repository
from tread_accounts.activities.events import record_activity_event
from tread_accounts.activities.models import Activity
from tread_accounts.activities.period import Period
from tread_accounts.activities.schemas import (
    ActivityCounts,
    ActivityCreate,
    ActivityFilters,
    ActivityPatch,
    InvestmentControl,
    InvestmentDeviation,
    InvestmentSpent,
    Participant,
    PlannedInvestmentShare,
    TypeTotals,
)
from tread_accounts.contacts import repository as contacts
from tread_accounts.qualification import repository as qualifications
from tread_shared.auth.principal import Principal
from tread_shared.clock import as_utc, utcnow
from tread_shared.db.listing import Listed
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import ActivityDeleted, ActivityLogged, ActivityUpdated
from tread_shared.http.pagination import PageParams
from tread_shared.money import Money, SignedMoney

HUNDREDTH = Decimal("0.01")


async def activity_in_scope(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, *, change: bool = False
) -> Activity:
    activity = await repository.get_live(session, activity_id)
    missing = f"No activity {activity_id}."
    return (await in_account_scope(session, principal, activity, missing=missing, change=change))[0]


async def _check_participants(
    session: AsyncSession, account_id: uuid.UUID, participants: list[Participant]
) -> list[dict[str, Any]]:
    named = {p.contact_id for p in participants if p.contact_id is not None}
    unknown = named - await contacts.live_ids_of_account(session, account_id, named)
    if unknown:
        raise Unprocessable(
            "Participants refer to contacts this account does not have.",
            slug="unknown-contact",
            contact_ids=sorted(str(c) for c in unknown),
        )
    return [p.model_dump(mode="json") for p in participants]


# A device's clock may run a little ahead of ours.
CLOCK_LEEWAY = timedelta(minutes=5)


def _status_at_logging(data: ActivityCreate) -> str:
    """Dated ahead, an activity is a plan; it cannot be done before its time."""
    ahead = data.started_at > utcnow() + CLOCK_LEEWAY
    status = data.status or ("planned" if ahead else "done")
    if status == "done" and ahead:
        raise Unprocessable(
            "An activity dated ahead is planned, not done.", slug="activity-not-yet-done"
        )
    return status


def _check_status_change(activity: Activity, changes: dict[str, Any]) -> None:
    """planned → done (once its time has come) or missed; done and missed are final."""
    wanted = changes.get("status")
    if wanted is None:
        if activity.status == "planned" or "started_at" not in changes:
            return
        wanted = activity.status
    if activity.status != "planned" and wanted != activity.status:
        raise Conflict(
            f"Activity {activity.id} is {activity.status}: only a planned one becomes done or "
            "missed.",
            slug="illegal-transition",
            status_now=activity.status,
        )
    if wanted == "planned" and activity.status != "planned":
        raise Conflict(
            "A done or missed activity cannot be planned again.", slug="illegal-transition"
        )
    started_at = changes.get("started_at", activity.started_at)
    if wanted == "done" and as_utc(started_at) > utcnow() + CLOCK_LEEWAY:
        raise Unprocessable(
            "An activity dated ahead is planned, not done.", slug="activity-not-yet-done"
        )


async def log_activity(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    account: Account,
    data: ActivityCreate,
) -> Activity:
    status = _status_at_logging(data)
    activity = Activity(
        account_id=account.id,
        type=data.type,
        status=status,
        subject=data.subject,
        started_at=data.started_at,
        duration_minutes=data.duration_minutes,
        cost_amount=data.cost.amount if data.cost else None,
        cost_currency=data.cost.currency if data.cost else None,
        participants=await _check_participants(session, account.id, data.participants),
        outcome=data.outcome,
        follow_ups=[f.model_dump(mode="json") for f in data.follow_ups],
        performed_by=principal.sub,
    )
    session.add(activity)
    await record_activity_event(session, outbox, ActivityLogged, activity)
    return activity


async def _requested_changes(
    session: AsyncSession, activity: Activity, patch: ActivityPatch
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if name == "cost":
            changes["cost_amount"] = value.amount if value else None
            changes["cost_currency"] = value.currency if value else None
            continue
        if name == "participants":
            value = await _check_participants(session, activity.account_id, value)
        elif name == "follow_ups":
            value = [f.model_dump(mode="json") for f in value]
        changes[name] = value
    return {name: v for name, v in changes.items() if getattr(activity, name) != v}


async def correct_activity(
    session: AsyncSession,
    outbox: Outbox,
    activity: Activity,
    patch: ActivityPatch,
) -> Activity:
    changes = await _requested_changes(session, activity, patch)
    if not changes:
        return activity
    _check_status_change(activity, changes)
    for name, value in changes.items():
        setattr(activity, name, value)
    changed = sorted({"cost" if name.startswith("cost_") else name for name in changes})
    await record_activity_event(session, outbox, ActivityUpdated, activity, changed_fields=changed)
    return activity


async def delete_activity(session: AsyncSession, outbox: Outbox, activity: Activity) -> None:
    activity.deleted_at = utcnow()
    await record_activity_event(session, outbox, ActivityDeleted, activity)


async def list_activities(
    session: AsyncSession,
    principal: Principal,
    filters: ActivityFilters,
    page: PageParams,
    updated_since: datetime | None,
) -> Listed[Activity]:
    return await repository.list_activities(
        session, visible_accounts(principal), filters, page, updated_since
    )


def _percent(deviation: Decimal, planned: Decimal) -> Decimal | None:
    if planned == 0:
        return None
    return (deviation * 100 / planned).quantize(Decimal("0.1"))


async def investment_control(
    session: AsyncSession, account: Account, period: Period
) -> InvestmentControl:
    spending = await repository.spending(session, account.id, period.starts_at, period.ends_at)
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    spent: dict[str, Decimal] = defaultdict(Decimal)
    not_done: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for kind, minutes, amount, currency, status in spending:
        if status != "done":
            not_done[status].append((kind, minutes))
            continue
        by_type[kind][0] += 1
        by_type[kind][1] += minutes
        if amount is not None and currency is not None:
            spent[currency] += amount
    hours = (Decimal(sum(m for _, m in by_type.values())) / 60).quantize(HUNDREDTH)
    plan = await qualifications.for_account(session, account.id)
    plan_currency = plan.budget_currency if plan else None
    actual = InvestmentSpent(
        activities=sum(count for count, _ in by_type.values()),
        visits=by_type["visit"][0] if "visit" in by_type else 0,
        hours=hours,
        budget=Money(amount=spent.get(plan_currency, Decimal(0)), currency=plan_currency)
        if plan_currency
        else None,
        spent=[Money(amount=spent[c], currency=c) for c in sorted(spent)],
        by_type={
            kind: TypeTotals(count=count, hours=(Decimal(minutes) / 60).quantize(HUNDREDTH))
            for kind, (count, minutes) in sorted(by_type.items())
        },
    )
    planned = deviation = None
    if plan is not None:
        share = period.share_of_year
        planned = PlannedInvestmentShare(
            visits=(plan.visits_per_year * share).quantize(HUNDREDTH),
            hours=(plan.hours_per_year * share).quantize(HUNDREDTH),
            budget=Money(
                amount=(plan.budget_amount * share).quantize(HUNDREDTH),
                currency=plan.budget_currency,
            ),
        )
        budget_spent = actual.budget.amount if actual.budget else Decimal(0)
        deviation = InvestmentDeviation(
            visits=actual.visits - planned.visits,
            hours=actual.hours - planned.hours,
            budget=SignedMoney(
                amount=budget_spent - planned.budget.amount, currency=planned.budget.currency
            ),
            visits_percent=_percent(actual.visits - planned.visits, planned.visits),
            hours_percent=_percent(actual.hours - planned.hours, planned.hours),
            budget_percent=_percent(budget_spent - planned.budget.amount, planned.budget.amount),
        )
    return InvestmentControl(
        account_id=account.id,
        period=period.label,
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        share_of_year=period.share_of_year.quantize(Decimal("0.0001")),
        planned=planned,
        actual=actual,
        deviation=deviation,
        scheduled=_counts(not_done["planned"]),
        missed=_counts(not_done["missed"]),
    )


def _counts(activities: list[tuple[str, int]]) -> ActivityCounts:
    return ActivityCounts(
        activities=len(activities),
        visits=sum(kind == "visit" for kind, _ in activities),
        hours=(Decimal(sum(minutes for _, minutes in activities)) / 60).quantize(HUNDREDTH),
    )
