"""Building a period's central-office report from the read models."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.action_plans.repository import PlanScope
from tread_reporting.action_plans.schemas import ActionPlanGroup
from tread_reporting.action_plans.service import action_plans_at
from tread_reporting.amounts import by_currency
from tread_reporting.central import repository
from tread_reporting.central.schemas import (
    AuditLine,
    CaseLine,
    CentralReportOut,
    CentralSummary,
    ContractChange,
    FacilitationLine,
    PartnershipLine,
    Subtotal,
    SubtotalFigures,
)
from tread_reporting.freshness.service import ReadView
from tread_reporting.market.service import market_section
from tread_reporting.partnerships.schemas import GapOut
from tread_reporting.periods import Period
from tread_shared.auth.principal import Principal
from tread_shared.clock import as_utc
from tread_shared.errors import Unprocessable

RENEWAL_HORIZON = timedelta(days=90)


def report_period(key: str) -> Period:
    """The month (``2026-11``) or quarter (``2026-Q4``) a report is asked for; 422 otherwise."""
    period = Period.parse(key)
    if period is None or period.kind == "year":
        raise Unprocessable(
            f"{key!r} is not a month (2026-11) or a quarter (2026-Q4).", slug="invalid-period"
        )
    return period


def a_year_before(period: Period) -> Period:
    """The same month or quarter a year earlier."""
    shifted = Period.parse(f"{period.start.year - 1}{period.key[4:]}")
    assert shifted is not None
    return shifted


def title_of(period: Period) -> str:
    if period.kind == "month":
        label = period.start.strftime("%B %Y")
    else:
        last = period.last_day
        label = f"{period.key[-2:]} {period.start.year} ({period.start:%B} to {last:%B})"
    return f"Central-office report — {label}"


@lru_cache(maxsize=4096)
def committed_units_of(
    commitments_json: str, period: Period, first_day: date, last_day: date
) -> int:
    """``committed_units`` of commitments as stored (JSON text): contracts of one program
    often commit alike, so this is worth remembering."""
    return committed_units(json.loads(commitments_json), period, first_day, last_day)


@lru_cache(maxsize=64)
def covered_lines_of(commitments_json: str) -> frozenset[str] | None:
    """The product lines the volume commitments cover; ``None``: every line (a commitment
    without a product line)."""
    lines: set[str] = set()
    for commitment in json.loads(commitments_json):
        if commitment.get("kind") != "volume":
            continue
        if not commitment.get("product_line"):
            return None
        lines.add(commitment["product_line"])
    return frozenset(lines)


def committed_units(
    commitments: Iterable[dict[str, Any]], period: Period, first_day: date, last_day: date
) -> int:
    """Volume commitments over ``period``, for the days ``first_day``-``last_day`` the contract
    was in force: each month gets its share of the commitment (flat: 6,000 a year is 500 a
    month), times the share of the month's days in force (250 for half a month)."""
    committed = Decimal(0)
    for commitment in commitments:
        if commitment.get("kind") != "volume" or not commitment.get("quantity"):
            continue
        committed_over = Period.parse(str(commitment.get("period") or ""))
        if committed_over is None:
            continue
        per_month = Decimal(commitment["quantity"]) / len(committed_over.months)
        for month in period.month_set & committed_over.month_set:
            whole = Period.parse(month)
            assert whole is not None
            days = (whole.end - whole.start).days
            in_force = (min(whole.last_day, last_day) - max(whole.start, first_day)).days + 1
            committed += per_month * max(in_force, 0) / days
    return int(committed.to_integral_value())


def year_to_date(period: Period) -> Period:
    """From January 1st of the period's year to the period's end."""
    return Period(
        f"{period.start.year}-to-{period.key}", "year", date(period.start.year, 1, 1), period.end
    )


def _units(by_line: dict[str, int], covered: frozenset[str] | None) -> int:
    if covered is None:
        return sum(by_line.values())
    return sum(units for line, units in by_line.items() if line in covered)


@dataclass
class _AccountPeriod:
    """One account's business in the period."""

    sell_in: dict[str, int] = field(default_factory=dict)
    sell_in_year_to_date: dict[str, int] = field(default_factory=dict)
    granted: list[tuple[Decimal, str]] = field(default_factory=list)
    spent: list[tuple[Decimal, str]] = field(default_factory=list)
    cases_opened: int = 0
    cases_open_at_end: int = 0


async def central_report(
    session: AsyncSession,
    principal: Principal,
    view: ReadView,
    period: Period,
    now: datetime,
) -> CentralReportOut:
    generation, start, end = view.generation, period.starts_at, period.ends_at
    accounts = await repository.visible_accounts(session, principal, generation)
    business: dict[uuid.UUID, _AccountPeriod] = defaultdict(_AccountPeriod)

    contracts = {
        row.contract_id: row
        for row in await repository.activated_contracts(session, generation, end)
        if row.account_id in accounts
    }
    endings: dict[uuid.UUID, Any] = {}
    for ending in sorted(
        await repository.contract_endings(session, generation, end), key=lambda e: e.occurred_at
    ):
        if ending.entity_id in contracts:
            endings.setdefault(ending.entity_id, ending)
    # In force at some time in the period (docs/rules.md): come into force before its end, its
    # period overlapping it, not ended before its start.
    in_force = [
        c
        for c in contracts.values()
        if (c.contract_id not in endings or endings[c.contract_id].occurred_at >= start)
        and c.start_date < period.end
        and c.end_date >= period.start
    ]

    for account_id, product_line, units in await repository.sell_in(
        session, generation, period.months
    ):
        business[account_id].sell_in[product_line] = int(units)
    for account_id, product_line, units in await repository.sell_in(
        session, generation, year_to_date(period).months
    ):
        business[account_id].sell_in_year_to_date[product_line] = int(units)
    # Late (past an SLA) by the period's end, or by now while the period runs.
    late_at = min(end, now)
    reading = _Reading(session, generation, start, end, late_at, accounts, business)
    facilitations = await _facilitations(reading)
    cases = await _cases(reading)
    # As of the period's end: regenerating a past period gives the same answer.
    compliance = await repository.compliance_at(session, generation, end)
    blocked = await repository.blocked_at(session, generation, end)
    latest_audit = {
        row.account_id: row
        for row in await repository.latest_audits_before(session, generation, end)
    }
    audits = [
        a
        for a in await repository.audits_between(session, generation, start, end)
        if a.account_id in accounts
    ]

    lines = [
        _line(
            c,
            accounts[c.account_id],
            endings.get(c.contract_id),
            period,
            business,
            compliance,
            latest_audit,
            blocked,
        )
        for c in sorted(in_force, key=lambda c: (accounts[c.account_id].name, c.contract_id))
    ]
    changes = _changes(contracts, endings, accounts, start)
    countersigned = sum(
        account_id in accounts
        for _, account_id in await repository.countersigned_between(session, generation, start, end)
    )
    plans = await action_plans_at(
        session, PlanScope(principal=principal, generation=generation), end, late_at.date()
    )
    market = await market_section(
        session, principal, generation, period.start, period.last_day, as_of=end
    )
    summary = _summary(lines, changes, audits, facilitations, cases, compliance, period)
    summary.contracts_started = summary.contracts_signed
    summary.contracts_signed = countersigned
    _plans_figures(summary, plans)
    summary.market_observations = sum(o.observations for o in market.observations)
    by_territory = _subtotals(lines, lambda line: line.territory, period)
    by_owner = _subtotals(lines, lambda line: line.owner_id, period)
    for plan_group in plans:
        for subtotals, key in (
            (by_territory, plan_group.territory),
            (by_owner, plan_group.owner_id),
        ):
            _plans_figures(_subtotal_of(subtotals, key), [plan_group], add=True)
    return CentralReportOut(
        period=period.key,
        kind=period.kind,
        start=period.start,
        end=period.last_day,
        title=title_of(period),
        generated_at=now,
        summary=summary,
        by_territory=by_territory,
        by_owner=by_owner,
        partnerships=lines,
        contract_changes=changes,
        audits=[
            AuditLine(
                audit_id=a.audit_id,
                account_id=a.account_id,
                account_name=accounts[a.account_id].name,
                tier=a.tier,
                performed_at=a.performed_at,
                overall_score=a.overall_score,
                gaps=[GapOut(**g) for g in a.gaps],
            )
            for a in audits
        ],
        facilitations=facilitations,
        cases=cases,
        action_plans=plans,
        market=market,
        as_of=view.as_of,
    )


def _plans_figures(
    figures: CentralSummary | SubtotalFigures, groups: Sequence[ActionPlanGroup], add: bool = False
) -> None:
    """The action plans' key figures of ``groups`` into ``figures`` (added to them)."""
    if not add:
        figures.plans_active = figures.indicators_red = 0
        figures.open_deviations = figures.overdue_actions = 0
    for group in groups:
        figures.plans_active += group.plans_by_status.get("active", 0)
        figures.indicators_red += group.indicators.get("red", 0)
        figures.open_deviations += sum(group.open_deviations_by_cause.values())
        figures.overdue_actions += group.overdue_actions


def _subtotal_of(subtotals: list[Subtotal], key: str) -> Subtotal:
    """The subtotal of ``key``, added (of zeros, in order) when it has no partnership."""
    for subtotal in subtotals:
        if subtotal.key == key:
            return subtotal
    added = Subtotal(key=key, **dict(_ZEROS))
    subtotals.append(added)
    subtotals.sort(key=lambda s: s.key)
    return added


def with_year_earlier(report: CentralReportOut, earlier: CentralReportOut) -> None:
    """Set the same period a year earlier beside the key figures and each subtotal; a key
    found only a year earlier gets a subtotal of zeros beside it."""
    report.year_earlier = earlier.summary
    for now, then in (
        (report.by_territory, earlier.by_territory),
        (report.by_owner, earlier.by_owner),
    ):
        before = {s.key: _figures_of(s) for s in then}
        keys = {s.key for s in now}
        now += [Subtotal(key=key, **dict(_ZEROS)) for key in before.keys() - keys]
        now.sort(key=lambda s: s.key)
        for subtotal in now:
            subtotal.year_earlier = before.get(subtotal.key, _ZEROS)


_ZEROS = SubtotalFigures(**dict.fromkeys(SubtotalFigures.model_fields, 0))


def _figures_of(subtotal: Subtotal) -> SubtotalFigures:
    return SubtotalFigures.model_validate(subtotal.model_dump(exclude={"key", "year_earlier"}))


def _line(
    contract: Any,
    account: Any,
    ending: Any,
    period: Period,
    business: dict[uuid.UUID, _AccountPeriod],
    compliance: dict[uuid.UUID, str],
    latest_audit: dict[uuid.UUID, Any],
    blocked: set[uuid.UUID],
) -> PartnershipLine:
    done = business.get(contract.account_id) or _AccountPeriod()
    # In force from its start (or its countersignature, when later) to its end or its ending.
    first_day = max(contract.start_date, as_utc(contract.activated_at).date())
    last_day = contract.end_date
    if ending is not None:
        last_day = min(last_day, as_utc(ending.occurred_at).date())
    committed = committed_units_of(contract.commitments, period, first_day, last_day)
    committed_ytd = committed_units_of(
        contract.commitments, year_to_date(period), first_day, last_day
    )
    covered = covered_lines_of(contract.commitments)
    sold = _units(done.sell_in, covered)
    audit = latest_audit.get(contract.account_id)
    # Validated: pydantic's validation (compiled) is quicker than model_construct (Python).
    return PartnershipLine(
        account_id=contract.account_id,
        account_name=account.name,
        owner_id=account.owner_id,
        territory=account.territory,
        contract_id=contract.contract_id,
        program_name=contract.program_name,
        tier=contract.tier,
        status_at_end=ending.milestone if ending is not None else "active",
        start_date=contract.start_date,
        end_date=contract.end_date,
        committed_units=committed,
        sell_in_units=sold,
        sell_in_share=(Decimal(sold) / committed).quantize(Decimal("0.01")) if committed else None,
        commitment_met=sold >= committed if committed else None,
        committed_units_year_to_date=committed_ytd,
        sell_in_units_year_to_date=_units(done.sell_in_year_to_date, covered),
        compliance=compliance.get(contract.contract_id),
        latest_audit_score=audit.overall_score if audit else None,
        open_gaps=audit.gap_count if audit else 0,
        facilitations_granted=by_currency(done.granted),
        facilitations_spent=by_currency(done.spent),
        cases_opened=done.cases_opened,
        cases_open_at_end=done.cases_open_at_end,
        credit_blocked=contract.account_id in blocked,
    )


def _changes(
    contracts: dict[uuid.UUID, Any],
    endings: dict[uuid.UUID, Any],
    accounts: dict[uuid.UUID, Any],
    start: datetime,
) -> list[ContractChange]:
    happened: list[tuple[str, datetime, Any, str | None]] = [
        ("signed", c.activated_at, c, None) for c in contracts.values() if c.activated_at >= start
    ]
    happened += [
        (e.milestone, e.occurred_at, contracts[cid], e.detail)
        for cid, e in endings.items()
        if e.occurred_at >= start
    ]
    happened.sort(key=lambda h: (h[1], str(h[2].contract_id)))
    return [
        ContractChange(
            change=change,
            occurred_at=when,
            contract_id=c.contract_id,
            account_id=c.account_id,
            account_name=accounts[c.account_id].name,
            program_name=c.program_name,
            tier=c.tier,
            detail=detail,
        )
        for change, when, c, detail in happened
    ]


@dataclass
class _Reading:
    """What the parts of a report read: the generation, the period, the accounts in scope, and
    each account's business in the period as the parts find it."""

    session: AsyncSession
    generation: int
    start: datetime
    end: datetime
    late_at: datetime
    accounts: dict[uuid.UUID, Any]
    business: dict[uuid.UUID, _AccountPeriod]


async def _facilitations(reading: _Reading) -> list[FacilitationLine]:
    accounts, business = reading.accounts, reading.business
    by_type: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"granted": 0, "rejected": 0, "granted_amount": [], "spent": []}
    )
    for account_id, step, kind, currency, count, amount in await repository.facilitation_steps(
        reading.session, reading.generation, reading.start, reading.end
    ):
        if account_id not in accounts:
            continue
        line = by_type[kind or "other"]
        if step == "granted":
            line["granted"] += count
            line["granted_amount"].append((amount, currency))
            business[account_id].granted.append((amount, currency))
        elif step == "spent":
            line["spent"].append((amount, currency))
            business[account_id].spent.append((amount, currency))
        elif step == "rejected":
            line["rejected"] += count
    return [
        FacilitationLine(
            type=kind,
            granted=line["granted"],
            granted_amount=by_currency(line["granted_amount"]),
            spent=by_currency(line["spent"]),
            rejected=line["rejected"],
        )
        for kind, line in sorted(by_type.items())
    ]


async def _cases(reading: _Reading) -> list[CaseLine]:
    session, generation, start, end = (
        reading.session,
        reading.generation,
        reading.start,
        reading.end,
    )
    accounts, business = reading.accounts, reading.business
    by_category: dict[str, CaseLine] = {}

    def line(category: str) -> CaseLine:
        return by_category.setdefault(
            category, CaseLine(category=category, opened=0, resolved=0, open_at_end=0, breached=0)
        )

    for account_id, category, count in await repository.cases_opened(
        session, generation, start, end
    ):
        if account_id in accounts:
            line(category).opened += count
            business[account_id].cases_opened += count
    for account_id, category, count in await repository.cases_resolved(
        session, generation, start, end
    ):
        if account_id in accounts:
            line(category or "other").resolved += count
    for account_id, category, count, breached in await repository.cases_open_at(
        session, generation, end, reading.late_at
    ):
        if account_id in accounts:
            line(category).open_at_end += count
            line(category).breached += int(breached or 0)
            business[account_id].cases_open_at_end += count
    return [by_category[c] for c in sorted(by_category)]


def _renewal_due(line: PartnershipLine, period: Period) -> bool:
    return line.status_at_end == "active" and period.end <= line.end_date < (
        period.end + RENEWAL_HORIZON
    )


def _subtotals(
    lines: Sequence[PartnershipLine], key_of: Callable[[PartnershipLine], str], period: Period
) -> list[Subtotal]:
    groups: dict[str, list[PartnershipLine]] = defaultdict(list)
    for line in lines:
        groups[key_of(line)].append(line)
    return [
        Subtotal(
            key=key,
            partnerships_in_force=len(group),
            renewals_due_90_days=sum(_renewal_due(line, period) for line in group),
            committed_units=sum(line.committed_units for line in group),
            sell_in_units=sum({line.account_id: line.sell_in_units for line in group}.values()),
            commitments_met=sum(line.commitment_met is True for line in group),
            compliance_at_risk=sum(line.compliance == "at_risk" for line in group),
            compliance_missed=sum(line.compliance == "missed" for line in group),
            credit_blocked=len({line.account_id for line in group if line.credit_blocked}),
            cases_open_at_end=sum(
                {line.account_id: line.cases_open_at_end for line in group}.values()
            ),
        )
        for key, group in sorted(groups.items())
    ]


def _summary(
    lines: Sequence[PartnershipLine],
    changes: Sequence[ContractChange],
    audits: Sequence[Any],
    facilitations: Sequence[FacilitationLine],
    cases: Sequence[CaseLine],
    compliance: dict[uuid.UUID, str],
    period: Period,
) -> CentralSummary:
    counted: dict[str, int] = defaultdict(int)
    for change in changes:
        counted[change.change] += 1
    verdicts = [
        compliance.get(line.contract_id) for line in lines if line.status_at_end == "active"
    ]
    scores = [a.overall_score for a in audits]
    return CentralSummary(
        partnerships_in_force=len(lines),
        contracts_signed=counted["signed"],
        contracts_renewed=counted["renewed"],
        contracts_terminated=counted["terminated"],
        contracts_expired=counted["expired"],
        contracts_started=counted["signed"],
        renewals_due_90_days=sum(_renewal_due(line, period) for line in lines),
        audits=len(audits),
        audits_with_gaps=sum(a.gap_count > 0 for a in audits),
        average_audit_score=(sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.1"))
        if scores
        else None,
        commitments_met=sum(line.commitment_met is True for line in lines),
        commitments_missed=sum(line.commitment_met is False for line in lines),
        compliance_at_risk=verdicts.count("at_risk"),
        compliance_missed=verdicts.count("missed"),
        facilitations_granted=sum(f.granted for f in facilitations),
        facilitations_rejected=sum(f.rejected for f in facilitations),
        facilitations_granted_amount=_sum_money(m for f in facilitations for m in f.granted_amount),
        facilitations_spent=_sum_money(m for f in facilitations for m in f.spent),
        # An account renewed in the period has two lines: its sell-in counts once.
        sell_in_units=sum({line.account_id: line.sell_in_units for line in lines}.values()),
        committed_units=sum(line.committed_units for line in lines),
        cases_opened=sum(c.opened for c in cases),
        cases_resolved=sum(c.resolved for c in cases),
        cases_open_at_end=sum(c.open_at_end for c in cases),
        cases_breached=sum(c.breached for c in cases),
    )


def _sum_money(amounts: Iterable[Any]) -> list[Any]:
    return by_currency((m.amount, m.currency) for m in amounts)
