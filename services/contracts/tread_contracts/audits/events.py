from __future__ import annotations

from tread_contracts.audits.models import Audit
from tread_shared.events.payloads.contracts import AuditCompleted, AuditGap, CriterionScore


def audit_completed(audit: Audit) -> AuditCompleted:
    return AuditCompleted(
        audit_id=audit.id,
        account_id=audit.account_id,
        contract_id=audit.contract_id,
        program_id=audit.program_id,
        program_version=audit.program_version,
        tier=audit.tier,
        performed_at=audit.performed_at,
        auditor=audit.auditor,
        scores=[
            CriterionScore(
                criterion=s.criterion, score=s.score, evidence=s.evidence, comment=s.comment
            )
            for s in audit.scores
        ],
        overall_score=audit.overall_score,
        gaps=[AuditGap.model_validate(gap) for gap in audit.gaps],
        recorded_by=audit.recorded_by,
    )
