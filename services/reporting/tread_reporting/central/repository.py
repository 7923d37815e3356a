"""The queries of a period's report. Each answers for every account at once (grouped), and the
service keeps the rows of accounts the caller may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from tread_reporting.business.models import CreditRecord, SellInRecord
from tread_reporting.cases.models import CaseHistoryRecord, CaseRecord
from tread_reporting.central.models import CentralReport
from tread_reporting.columns import total
from tread_reporting.directory.models import AccountEntry
from tread_reporting.directory.repository import visible
from tread_reporting.partnerships.models import AuditRecord, ComplianceRecord, ContractRecord
from tread_reporting.timeline.models import Milestone
from tread_shared.auth.principal import Principal

CONTRACT_ENDINGS = ("renewed", "terminated", "expired")
CASE_DONE = ("resolved", "closed")


async def visible_accounts(
    session: AsyncSession, principal: Principal, generation: int
) -> dict[uuid.UUID, Any]:
    """account_id → (account_id, name, owner_id, territory) of every account the caller sees."""
    query = select(
        AccountEntry.account_id, AccountEntry.name, AccountEntry.owner_id, AccountEntry.territory
    ).where(visible(principal, generation))
    return {row.account_id: row for row in (await session.execute(query)).all()}


def _milestone_of(entity: str, entity_id: Any, milestone: Any) -> Any:
    return and_(
        Milestone.generation == ContractRecord.generation,
        Milestone.entity == entity,
        Milestone.entity_id == entity_id,
        milestone,
    )


async def activated_contracts(
    session: AsyncSession, generation: int, before: datetime
) -> Sequence[Any]:
    """Contracts activated before ``before``, with their activation time."""
    query = (
        select(
            ContractRecord.contract_id,
            ContractRecord.account_id,
            ContractRecord.program_name,
            ContractRecord.tier,
            ContractRecord.start_date,
            ContractRecord.end_date,
            # As stored (JSON text): the service parses each distinct one once.
            cast(ContractRecord.commitments, Text).label("commitments"),
            Milestone.occurred_at.label("activated_at"),
        )
        .join(
            Milestone,
            _milestone_of(
                "contract", ContractRecord.contract_id, Milestone.milestone == "activated"
            ),
        )
        .where(ContractRecord.generation == generation, Milestone.occurred_at < before)
    )
    return list((await session.execute(query)).all())


async def countersigned_between(
    session: AsyncSession, generation: int, start: datetime, end: datetime
) -> Sequence[Any]:
    """(contract_id, account_id) of contracts countersigned (signed by both) in the period,
    whether or not they have come into force."""
    query = select(Milestone.entity_id, Milestone.account_id).where(
        Milestone.generation == generation,
        Milestone.entity == "contract",
        Milestone.milestone == "signed_manufacturer",
        Milestone.occurred_at >= start,
        Milestone.occurred_at < end,
    )
    return list((await session.execute(query)).all())


async def contract_endings(
    session: AsyncSession, generation: int, before: datetime
) -> Sequence[Any]:
    """(contract_id, milestone, occurred_at, detail) of contracts renewed, terminated or
    expired before ``before``."""
    query = select(
        Milestone.entity_id, Milestone.milestone, Milestone.occurred_at, Milestone.detail
    ).where(
        Milestone.generation == generation,
        Milestone.entity == "contract",
        Milestone.milestone.in_(CONTRACT_ENDINGS),
        Milestone.occurred_at < before,
    )
    return list((await session.execute(query)).all())


async def audits_between(
    session: AsyncSession, generation: int, start: datetime, end: datetime
) -> Sequence[Any]:
    query = (
        select(
            AuditRecord.audit_id,
            AuditRecord.account_id,
            AuditRecord.tier,
            AuditRecord.performed_at,
            AuditRecord.overall_score,
            AuditRecord.gaps,
            AuditRecord.gap_count,
        )
        .where(
            AuditRecord.generation == generation,
            AuditRecord.performed_at >= start,
            AuditRecord.performed_at < end,
        )
        .order_by(AuditRecord.performed_at, AuditRecord.audit_id)
    )
    return list((await session.execute(query)).all())


async def latest_audits_before(
    session: AsyncSession, generation: int, before: datetime
) -> Sequence[Any]:
    """(account_id, overall_score, gap_count) of each account's latest audit before ``before``."""
    ranked = (
        select(
            AuditRecord.account_id,
            AuditRecord.overall_score,
            AuditRecord.gap_count,
            func.row_number()
            .over(
                partition_by=AuditRecord.account_id,
                order_by=(AuditRecord.performed_at.desc(), AuditRecord.audit_id.desc()),
            )
            .label("recency"),
        )
        .where(AuditRecord.generation == generation, AuditRecord.performed_at < before)
        .subquery()
    )
    query = select(ranked.c.account_id, ranked.c.overall_score, ranked.c.gap_count).where(
        ranked.c.recency == 1
    )
    return list((await session.execute(query)).all())


async def sell_in(session: AsyncSession, generation: int, months: Sequence[str]) -> Sequence[Any]:
    """(account_id, product_line, units) sold in these months."""
    query = (
        select(SellInRecord.account_id, SellInRecord.product_line, func.sum(SellInRecord.units))
        .where(SellInRecord.generation == generation, SellInRecord.month.in_(months))
        .group_by(SellInRecord.account_id, SellInRecord.product_line)
    )
    return list((await session.execute(query)).all())


async def _last_changes_before(
    session: AsyncSession, generation: int, entity: str, moment: datetime
) -> dict[uuid.UUID, str]:
    """Each entity's state (``detail``) after its last recorded change before ``moment``."""
    order = func.row_number().over(
        partition_by=Milestone.entity_id,
        order_by=(Milestone.occurred_at.desc(), Milestone.milestone.desc()),
    )
    changes = (
        select(Milestone.entity_id, Milestone.detail, order.label("newest"))
        .where(
            Milestone.generation == generation,
            Milestone.entity == entity,
            Milestone.milestone.like("changed:%"),
            Milestone.occurred_at < moment,
        )
        .subquery()
    )
    query = select(changes.c.entity_id, changes.c.detail).where(changes.c.newest == 1)
    return {row.entity_id: row.detail for row in (await session.execute(query)).all()}


async def compliance_at(
    session: AsyncSession, generation: int, moment: datetime
) -> dict[uuid.UUID, str]:
    """Each contract's overall compliance as evaluated last before ``moment``."""
    # Read models built before the history was kept know only the latest evaluation.
    latest = select(ComplianceRecord.contract_id, ComplianceRecord.overall).where(
        ComplianceRecord.generation == generation, ComplianceRecord.evaluated_at < moment
    )
    verdicts = {row.contract_id: row.overall for row in (await session.execute(latest)).all()}
    verdicts.update(await _last_changes_before(session, generation, "compliance", moment))
    return verdicts


async def blocked_at(session: AsyncSession, generation: int, moment: datetime) -> set[uuid.UUID]:
    """Accounts whose credit was blocked at ``moment``."""
    latest = select(CreditRecord.account_id, CreditRecord.blocked).where(
        CreditRecord.generation == generation, CreditRecord.as_of < moment
    )
    blocked = {row.account_id: row.blocked for row in (await session.execute(latest)).all()}
    for account_id, state in (
        await _last_changes_before(session, generation, "credit", moment)
    ).items():
        blocked[account_id] = state == "blocked"
    return {account_id for account_id, is_blocked in blocked.items() if is_blocked}


async def facilitation_steps(
    session: AsyncSession, generation: int, start: datetime, end: datetime
) -> Sequence[Any]:
    """(account_id, step, type, currency, count, amount): facilitations granted, rejected and
    spent in the period."""
    step = case((Milestone.milestone.like("spent_%"), "spent"), else_=Milestone.milestone)
    query = (
        select(
            Milestone.account_id,
            step,
            Milestone.detail,
            Milestone.currency,
            func.count(),
            total(Milestone.amount),
        )
        .where(
            Milestone.generation == generation,
            Milestone.entity == "facilitation",
            Milestone.occurred_at >= start,
            Milestone.occurred_at < end,
            Milestone.milestone.not_in(("requested",)),
        )
        .group_by(Milestone.account_id, step, Milestone.detail, Milestone.currency)
    )
    return list((await session.execute(query)).all())


def _case_states_at(generation: int, moment: datetime) -> Any:
    """Each case as its last version before ``moment`` described it (a subquery)."""
    history = CaseHistoryRecord
    newest = func.row_number().over(partition_by=history.case_id, order_by=history.version.desc())
    ranked = (
        select(
            history.case_id,
            history.account_id,
            history.category,
            history.status,
            history.opened_at,
            history.due_at,
            newest.label("newest"),
        )
        .where(history.generation == generation, history.updated_at < moment)
        .subquery()
    )
    return select(ranked).where(ranked.c.newest == 1).subquery()


def _without_history(generation: int) -> Any:
    """Cases applied before their versions were kept (a read model not rebuilt since): read
    as their latest version says."""
    return and_(
        CaseRecord.generation == generation,
        CaseRecord.case_id.not_in(
            select(CaseHistoryRecord.case_id).where(CaseHistoryRecord.generation == generation)
        ),
    )


async def _added_up(session: AsyncSession, *queries: Any) -> list[tuple[Any, ...]]:
    """Rows (account_id, category, counts…) of several queries, added up per account and
    category."""
    totals: dict[tuple[Any, Any], list[int]] = {}
    for query in queries:
        for account_id, category, *counts in (await session.execute(query)).all():
            held = totals.setdefault((account_id, category), [0] * len(counts))
            for index, value in enumerate(counts):
                held[index] += int(value or 0)
    return [(*key, *counts) for key, counts in totals.items()]


async def cases_opened(
    session: AsyncSession, generation: int, start: datetime, end: datetime
) -> Sequence[Any]:
    """(account_id, category, count) of cases opened in the period, in their category at its
    end."""
    state = _case_states_at(generation, end)
    kept = (
        select(state.c.account_id, state.c.category, func.count())
        .where(state.c.opened_at >= start)
        .group_by(state.c.account_id, state.c.category)
    )
    earlier = (
        select(CaseRecord.account_id, CaseRecord.category, func.count())
        .where(
            _without_history(generation),
            CaseRecord.opened_at >= start,
            CaseRecord.opened_at < end,
        )
        .group_by(CaseRecord.account_id, CaseRecord.category)
    )
    return await _added_up(session, kept, earlier)


async def cases_resolved(
    session: AsyncSession, generation: int, start: datetime, end: datetime
) -> Sequence[Any]:
    """(account_id, category, count) of cases resolved (or closed) in the period."""
    query = (
        select(
            Milestone.account_id, Milestone.detail, func.count(func.distinct(Milestone.entity_id))
        )
        .where(
            Milestone.generation == generation,
            Milestone.entity == "case",
            Milestone.milestone.in_(CASE_DONE),
            Milestone.occurred_at >= start,
            Milestone.occurred_at < end,
        )
        .group_by(Milestone.account_id, Milestone.detail)
    )
    return list((await session.execute(query)).all())


async def cases_open_at(
    session: AsyncSession, generation: int, moment: datetime, late_at: datetime
) -> Sequence[Any]:
    """(account_id, category, open, breached) of cases open at ``moment``, each in its state
    then (a case resolved and reopened is open; a due date changed later does not count):
    breached when due before ``late_at`` (the moment, or now while the period runs), as the
    cases API calls a case overdue."""
    state = _case_states_at(generation, moment)
    kept = (
        select(
            state.c.account_id,
            state.c.category,
            func.count(),
            func.sum(case((state.c.due_at < late_at, 1), else_=0)),
        )
        .where(state.c.status.not_in(CASE_DONE))
        .group_by(state.c.account_id, state.c.category)
    )
    # Not correlated: computed once, not once per case.
    done_before = select(Milestone.entity_id).where(
        Milestone.generation == generation,
        Milestone.entity == "case",
        Milestone.milestone.in_(CASE_DONE),
        Milestone.occurred_at < moment,
    )
    earlier = (
        select(
            CaseRecord.account_id,
            CaseRecord.category,
            func.count(),
            func.sum(case((CaseRecord.due_at < late_at, 1), else_=0)),
        )
        .where(
            _without_history(generation),
            CaseRecord.opened_at < moment,
            CaseRecord.case_id.not_in(done_before),
        )
        .group_by(CaseRecord.account_id, CaseRecord.category)
    )
    return await _added_up(session, kept, earlier)


async def stored(session: AsyncSession, period: str) -> CentralReport | None:
    query = select(CentralReport).where(CentralReport.period == period)
    return (await session.scalars(query)).one_or_none()


async def stored_periods(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(CentralReport.period))).all())


async def stored_page(
    session: AsyncSession, limit: int, before: uuid.UUID | None
) -> Sequence[CentralReport]:
    """Stored reports, the latest produced first, without their documents."""
    query = (
        select(CentralReport)
        .options(defer(CentralReport.content), defer(CentralReport.pdf))
        .order_by(CentralReport.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(CentralReport.id < before)
    return (await session.scalars(query)).all()
