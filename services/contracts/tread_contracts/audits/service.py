"""Recording audits. The overall score is the mean of the criteria scored (one decimal); a gap
is a criterion the contract requires a minimum for that is scored below it, or not scored."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.audits.events import audit_completed
from tread_contracts.audits.models import Audit, AuditScore
from tread_contracts.audits.schemas import AuditIn
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.service import refresh_compliance
from tread_contracts.contracts.service import contract_in_scope
from tread_contracts.contracts.terms import required_scores, tier_terms
from tread_contracts.directory.service import account_for_new_work, in_scope
from tread_contracts.emit import emit
from tread_shared.auth.principal import Principal
from tread_shared.clock import as_utc, utcnow
from tread_shared.db.types import plain_decimal as plain
from tread_shared.errors import NotFound, Unprocessable
from tread_shared.events.outbox import Outbox


async def audit_in_scope(session: AsyncSession, principal: Principal, audit_id: uuid.UUID) -> Audit:
    return await in_scope(session, principal, Audit, audit_id, "audit")


def gaps_of(scores: dict[str, int], required: dict[str, int]) -> list[dict[str, object]]:
    return [
        {"criterion": criterion, "score": scores.get(criterion), "required": minimum}
        for criterion, minimum in required.items()
        if scores.get(criterion) is None or scores[criterion] < minimum
    ]


def overall_score(scores: dict[str, int], weights: dict[str, Decimal]) -> Decimal:
    """The mean of the scores weighted by the tier's criterion weights (1 when not named)."""
    weight = {criterion: weights.get(criterion, Decimal(1)) for criterion in scores}
    weighted = sum((score * weight[c] for c, score in scores.items()), Decimal(0))
    mean = weighted / sum(weight.values())
    return plain(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def record_audit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    data: AuditIn,
    policy: CompliancePolicy,
) -> Audit:
    await account_for_new_work(session, principal, data.account_id)
    try:
        contract = await contract_in_scope(session, principal, data.contract_id)
    except NotFound:
        raise Unprocessable(f"No contract {data.contract_id}.", slug="unknown-contract") from None
    if contract.account_id != data.account_id:
        raise Unprocessable(
            f"Contract {contract.id} is not account {data.account_id}'s.",
            slug="contract-account-mismatch",
        )
    performed_at = as_utc(data.performed_at)
    if performed_at > utcnow():
        raise Unprocessable("performed_at is in the future.", slug="invalid-time")
    required = required_scores(contract)
    scores = {s.criterion: s.score for s in data.scores}
    overall = overall_score(scores, tier_terms(contract).criterion_weights)
    audit = Audit(
        account_id=data.account_id,
        contract_id=contract.id,
        program_id=contract.program_id,
        program_version=contract.program_version,
        tier=contract.tier,
        performed_at=performed_at,
        auditor=data.auditor,
        overall_score=overall,
        gaps=gaps_of(scores, required),
        recorded_by=principal.sub,
        scores=[
            AuditScore(
                position=position,
                criterion=s.criterion,
                score=s.score,
                required=required.get(s.criterion),
                evidence=s.evidence,
                comment=s.comment,
            )
            for position, s in enumerate(data.scores, start=1)
        ],
    )
    session.add(audit)
    await emit(session, outbox, audit, lambda: audit_completed(audit))
    await refresh_compliance(session, outbox, contract, utcnow().date(), policy)
    return audit
