"""From audit to plan: an audit with gaps drafts a ``professionalism`` plan for the account,
with one ``audit_score`` indicator and one objective per gap (target: the score the tier
requires) and a re-audit date, owned by the account's manager. Never twice for one audit: the
plan remembers its audit (unique), so a redelivered or replayed event changes nothing. An audit
that arrives before its account gets an ownerless plan, which takes the account's manager and
territory when the account arrives (see ``directory.events``). A pre-partnership audit (no
contract yet, judged against a program tier) drafts the same plan, without a contract."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.indicators.models import Indicator
from tread_actionplans.objectives.models import Objective
from tread_actionplans.periods import bounds, period_of
from tread_actionplans.plans import repository
from tread_actionplans.plans.events import plan_state
from tread_actionplans.plans.models import Plan
from tread_actionplans.settings import Settings
from tread_shared.events.consumer import Handler
from tread_shared.events.emit import emit
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import PlanCreated
from tread_shared.events.payloads.contracts import AuditCompleted, AuditGap

SYSTEM = "actionplans"
# Below the required score at all is amber; this many points below is red.
RED_BELOW_POINTS = Decimal(10)


def _quarters(plan: Plan) -> list[str]:
    quarters, day = [], plan.start_date
    while day <= plan.end_date:
        quarter = period_of(day, "quarter")
        quarters.append(quarter)
        day = bounds(quarter)[1] + timedelta(days=1)
    return quarters


def _indicator_and_objective(plan: Plan, gap: AuditGap) -> tuple[Indicator, Objective]:
    required = Decimal(gap.required)
    indicator = Indicator(
        plan_id=plan.id,
        account_id=plan.account_id,
        code=f"AUDIT-{gap.criterion}"[:40],
        name=f"Audit score {gap.criterion}",
        unit="points",
        direction="higher_is_better",
        granularity="quarter",
        baseline=None if gap.score is None else Decimal(gap.score),
        source="audit_score",
        source_filter=gap.criterion,
        aggregation="latest",
        threshold_mode="absolute",
        warning=Decimal(0),
        critical=RED_BELOW_POINTS,
        targets={quarter: str(required) for quarter in _quarters(plan)},
    )
    objective = Objective(
        plan_id=plan.id,
        kind="quantitative",
        statement=f"Reach {gap.required} points on {gap.criterion} at the re-audit",
        baseline=indicator.baseline,
        target=required,
        due_on=plan.reaudit_on,
    )
    return indicator, objective


async def draft_plan_from_audit(
    session: AsyncSession, outbox: Outbox, settings: Settings, audit: AuditCompleted
) -> Plan | None:
    if not audit.gaps or await repository.by_audit(session, audit.audit_id) is not None:
        return None
    entry = await session.get(AccountDirectory, audit.account_id)
    start = audit.performed_at.date()
    which = "audit" if audit.contract_id is not None else "pre-partnership audit"
    plan = Plan(
        title=f"Professionalism plan after the {which} of {start.isoformat()}",
        kind="professionalism",
        scope="account",
        account_id=audit.account_id,
        territory=entry.territory if entry is not None else None,
        owner_id=entry.owner_id if entry is not None else None,
        stakeholders=[],
        budget_lines=[],
        start_date=start,
        end_date=start + timedelta(days=settings.audit_plan_days),
        reaudit_on=start + timedelta(days=settings.reaudit_after_days),
        contract_id=audit.contract_id,
        audit_id=audit.audit_id,
        origin="audit",
        status="draft",
        created_by=SYSTEM,
    )
    session.add(plan)
    await session.flush()
    for gap in audit.gaps:
        indicator, objective = _indicator_and_objective(plan, gap)
        session.add(indicator)
        await session.flush()
        objective.indicator_id = indicator.id
        session.add(objective)
    await emit(
        session,
        outbox,
        plan,
        lambda: PlanCreated(plan=plan_state(plan), origin="audit", created_by=SYSTEM),
    )
    return plan


def audit_handler(outbox: Outbox, settings: Settings, measure: Handler) -> Handler:
    """Measure the open plans' audit-score indicators, then draft the plan for the gaps (so
    the new plan does not count the audit it answers as its own first measurement)."""

    async def apply(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        await measure(session, event, stream_seq)
        audit = AuditCompleted.model_validate(event.data)
        await draft_plan_from_audit(session, outbox, settings, audit)

    return apply
