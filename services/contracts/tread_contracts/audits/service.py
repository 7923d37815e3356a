"""Recording audits. The overall score is the mean of the criteria scored, weighted by the tier's
criterion weights (one decimal); a gap is a criterion the contract requires a minimum for that
is scored below it, or not scored. An audit before any contract (pre-partnership, to decide a
partnership) is judged against the program tier it names, in the program's current version."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.audits.events import audit_completed
from tread_contracts.audits.models import Audit, AuditScore
from tread_contracts.audits.schemas import AuditIn
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.service import refresh_compliance
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.service import contract_in_scope
from tread_contracts.contracts.terms import required_scores, tier_terms
from tread_contracts.directory.service import account_for_new_work, in_scope
from tread_contracts.emit import emit
from tread_contracts.programs.models import ProgramVersion
from tread_contracts.programs.schemas import Tier
from tread_contracts.programs.service import referenced_program, tier_of
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


async def _audited_contract(
    session: AsyncSession, principal: Principal, data: AuditIn
) -> Contract | None:
    if data.contract_id is None:
        return None
    try:
        contract = await contract_in_scope(session, principal, data.contract_id)
    except NotFound:
        raise Unprocessable(f"No contract {data.contract_id}.", slug="unknown-contract") from None
    if contract.account_id != data.account_id:
        raise Unprocessable(
            f"Contract {contract.id} is not account {data.account_id}'s.",
            slug="contract-account-mismatch",
        )
    return contract


async def _audited_terms(
    session: AsyncSession, contract: Contract | None, data: AuditIn
) -> tuple[ProgramVersion, Tier, dict[str, int]]:
    """The program version and tier the audit is judged against, and the minimum scores."""
    if contract is not None:
        return contract.program_terms, tier_terms(contract), required_scores(contract)
    assert data.program_id is not None and data.tier is not None  # AuditIn's validator
    version = await referenced_program(session, data.program_id)
    tier = tier_of(version, data.tier)
    return version, tier, dict(sorted(tier.min_scores.items()))


async def record_audit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    data: AuditIn,
    policy: CompliancePolicy,
) -> Audit:
    await account_for_new_work(session, principal, data.account_id)
    contract = await _audited_contract(session, principal, data)
    performed_at = as_utc(data.performed_at)
    if performed_at > utcnow():
        raise Unprocessable("performed_at is in the future.", slug="invalid-time")
    version, tier, required = await _audited_terms(session, contract, data)
    scores = {s.criterion: s.score for s in data.scores}
    overall = overall_score(scores, tier.criterion_weights)
    audit = Audit(
        account_id=data.account_id,
        contract_id=contract.id if contract is not None else None,
        program_id=version.program_id,
        program_version=version.number,
        tier=tier.code,
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
    if contract is not None:
        await refresh_compliance(session, outbox, contract, utcnow().date(), policy)
    return audit
