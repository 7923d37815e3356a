"""Contract, audit, facilitation and compliance events → the partnership read model."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import Integer, Update, Uuid, bindparam, func, select, update

from tread_reporting.partnerships.models import (
    AuditRecord,
    ComplianceRecord,
    ContractRecord,
    FacilitationRecord,
)
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes, table_of
from tread_reporting.timeline.events import change_key, record_milestone
from tread_shared.events.payloads.contracts import (
    AuditCompleted,
    AuditCompletedV1,
    ComplianceChanged,
    ContractActivated,
    ContractAmended,
    ContractCreated,
    ContractEvent,
    ContractExpired,
    ContractRenewalDue,
    ContractRenewed,
    ContractSigned,
    ContractState,
    ContractSubmitted,
    ContractTerminated,
    FacilitationEvent,
    FacilitationGranted,
    FacilitationRejected,
    FacilitationRequested,
    FacilitationSpent,
)

projection = Projection()

# An account's partnership is its contract in force if any, else the one closest to being so;
# among equals the latest to start.
# A scheduled contract (signed by both, not yet started) ranks with a signed one: the start date
# decides.
STATUS_PRIORITY = {"active": 5, "scheduled": 4, "signed": 4, "submitted": 3, "draft": 2}
CONTRACT_EVENTS = (
    ContractCreated,
    ContractAmended,
    ContractSubmitted,
    ContractSigned,
    ContractActivated,
    ContractRenewed,
    ContractTerminated,
    ContractExpired,
    ContractRenewalDue,
)


def contract_rank(contract: ContractState) -> str:
    """Sorts an account's contracts so that the greatest is its partnership."""
    priority = STATUS_PRIORITY.get(contract.status, 1)
    return f"{priority}:{contract.start_date.isoformat()}:{contract.contract_id}"


def _mark_partnership() -> Update:
    """Mark which of an account's contracts is its partnership, from what the rows say now."""
    contracts = table_of(ContractRecord)
    other = contracts.alias("other")
    best = (
        select(func.max(other.c.rank))
        .where(
            other.c.generation == contracts.c.generation,
            other.c.account_id == contracts.c.account_id,
        )
        .scalar_subquery()
    )
    return (
        update(contracts)
        .where(
            contracts.c.generation == bindparam("in_generation", type_=Integer),
            contracts.c.account_id == bindparam("account", type_=Uuid),
        )
        .values(current=contracts.c.rank == best)
    )


MARK_PARTNERSHIP = _mark_partnership()


@projection.on(*CONTRACT_EVENTS)
def contract(payload: ContractEvent, _at: Landing, writes: Writes) -> None:
    state = payload.contract
    writes.afterwards(MARK_PARTNERSHIP, {"account": state.account_id})
    writes.upsert_newer(
        ContractRecord,
        {
            "contract_id": state.contract_id,
            "version": state.contract_version,
            "account_id": state.account_id,
            "program_id": state.program_id,
            "program_name": state.program_name,
            "program_version": state.program_version,
            "tier": state.tier,
            "start_date": state.start_date,
            "end_date": state.end_date,
            "status": state.status,
            "rank": contract_rank(state),
            "current": False,
            "commitments": [c.model_dump(mode="json") for c in state.commitments],
            "signatures": [s.model_dump(mode="json") for s in state.signatures],
            "renews_contract_id": state.renews_contract_id,
            "rebate_pct": state.rebate_pct,
            "facilitation_budget": state.facilitation_budget.amount,
            "facilitation_currency": state.facilitation_budget.currency,
        },
    )


def _contract_milestone(
    writes: Writes,
    payload: ContractEvent,
    milestone: str,
    occurred_at: datetime,
    detail: str | None = None,
) -> None:
    state = payload.contract
    record_milestone(
        writes,
        "contract",
        state.contract_id,
        milestone,
        occurred_at,
        state.account_id,
        detail=detail,
    )


@projection.on(ContractCreated)
def contract_created(payload: ContractCreated, at: Landing, writes: Writes) -> None:
    _contract_milestone(writes, payload, "created", at.event.time)


@projection.on(ContractSubmitted)
def contract_submitted(payload: ContractSubmitted, _at: Landing, writes: Writes) -> None:
    _contract_milestone(writes, payload, "submitted", payload.submitted_at)


@projection.on(ContractSigned)
def contract_signed(payload: ContractSigned, _at: Landing, writes: Writes) -> None:
    signature = payload.signature
    _contract_milestone(
        writes, payload, f"signed_{signature.party}", signature.signed_at, signature.signer_name
    )


@projection.on(ContractActivated)
def contract_activated(payload: ContractActivated, _at: Landing, writes: Writes) -> None:
    _contract_milestone(writes, payload, "activated", payload.activated_at)


@projection.on(ContractRenewed)
def contract_renewed(payload: ContractRenewed, _at: Landing, writes: Writes) -> None:
    _contract_milestone(
        writes, payload, "renewed", payload.renewed_at, str(payload.renewed_by_contract_id)
    )


@projection.on(ContractTerminated)
def contract_terminated(payload: ContractTerminated, _at: Landing, writes: Writes) -> None:
    _contract_milestone(writes, payload, "terminated", payload.terminated_at, payload.reason)


@projection.on(ContractExpired)
def contract_expired(payload: ContractExpired, _at: Landing, writes: Writes) -> None:
    _contract_milestone(writes, payload, "expired", payload.expired_at)


@projection.on(ContractRenewalDue)
def contract_renewal_due(payload: ContractRenewalDue, _at: Landing, writes: Writes) -> None:
    _contract_milestone(writes, payload, f"renewal_due_{payload.window_days}", payload.noticed_at)


# v1 for the stream's older events (a rebuild replays them); v2 also carries pre-partnership
# audits (no contract), part of the account's audit history like the others.
@projection.on(AuditCompletedV1, AuditCompleted)
def audit(payload: AuditCompletedV1 | AuditCompleted, _at: Landing, writes: Writes) -> None:
    writes.insert_fact(
        AuditRecord,
        {
            "audit_id": payload.audit_id,
            "account_id": payload.account_id,
            "contract_id": payload.contract_id,
            "program_id": payload.program_id,
            "tier": payload.tier,
            "performed_at": payload.performed_at,
            "auditor": payload.auditor,
            "overall_score": payload.overall_score,
            "scores": [s.model_dump(mode="json") for s in payload.scores],
            "gaps": [g.model_dump(mode="json") for g in payload.gaps],
            "gap_count": len(payload.gaps),
        },
    )


@projection.on(FacilitationRequested, FacilitationGranted, FacilitationRejected, FacilitationSpent)
def facilitation(payload: FacilitationEvent, _at: Landing, writes: Writes) -> None:
    writes.upsert_newer(
        FacilitationRecord,
        {
            "facilitation_id": payload.facilitation_id,
            "version": payload.facilitation_version,
            "account_id": payload.account_id,
            "guideline_id": payload.guideline_id,
            "type": payload.guideline_type,
            "contract_id": payload.contract_id,
            "tier": payload.tier,
            "year": payload.year,
            "amount": payload.amount.amount,
            "currency": payload.amount.currency,
            "status": payload.status,
        },
    )


def _facilitation_milestone(
    writes: Writes,
    payload: FacilitationEvent,
    milestone: str,
    occurred_at: datetime,
    detail: str | None = None,
) -> None:
    record_milestone(
        writes,
        "facilitation",
        payload.facilitation_id,
        milestone,
        occurred_at,
        payload.account_id,
        amount=payload.amount,
        detail=detail or payload.guideline_type,
    )


@projection.on(FacilitationRequested)
def facilitation_requested(payload: FacilitationRequested, _at: Landing, writes: Writes) -> None:
    _facilitation_milestone(writes, payload, "requested", payload.requested_at)


@projection.on(FacilitationGranted)
def facilitation_granted(payload: FacilitationGranted, _at: Landing, writes: Writes) -> None:
    _facilitation_milestone(writes, payload, "granted", payload.granted_at)


@projection.on(FacilitationRejected)
def facilitation_rejected(payload: FacilitationRejected, _at: Landing, writes: Writes) -> None:
    _facilitation_milestone(writes, payload, "rejected", payload.rejected_at, payload.reason)


@projection.on(FacilitationSpent)
def facilitation_spent(payload: FacilitationSpent, _at: Landing, writes: Writes) -> None:
    # Each spending is its own step: the facilitation's version names it.
    record_milestone(
        writes,
        "facilitation",
        payload.facilitation_id,
        f"spent_{payload.facilitation_version}",
        datetime.combine(payload.spent_on, time(), tzinfo=UTC),
        payload.account_id,
        amount=payload.spent,
        detail=payload.guideline_type,
    )


@projection.on(ComplianceChanged)
def compliance(payload: ComplianceChanged, at: Landing, writes: Writes) -> None:
    # The history, so that a period's report gives the compliance as of the period's end.
    record_milestone(
        writes,
        "compliance",
        payload.contract_id,
        change_key(at),
        payload.evaluated_at,
        payload.account_id,
        detail=payload.overall,
    )
    writes.upsert_newer(
        ComplianceRecord,
        {
            "contract_id": payload.contract_id,
            "stream_seq": at.stream_seq,
            "account_id": payload.account_id,
            "overall": payload.overall,
            "items": [item.model_dump(mode="json") for item in payload.items],
            "as_of": payload.as_of,
            "evaluated_at": payload.evaluated_at,
        },
        version="stream_seq",
    )
