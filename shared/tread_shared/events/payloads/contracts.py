"""Events of the contracts service: programs, offers, contracts, audits, facilitations and
compliance.

Each event carries enough for a consumer to keep a partnership read model without ever calling
the contracts service: contract events carry the whole contract (``ContractState``) at its
``contract_version``, so a consumer upserts and ignores anything older than what it holds;
offer events carry the offer's totals at a ``revision``; facilitation events carry the
account-and-year balance after the change."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from tread_shared.events.registry import EventPayload
from tread_shared.money import Money

# -- programs ---------------------------------------------------------------------------------


class NamedRequirement(BaseModel):
    """A tier requirement other than volume and audit scores (e.g. trained staff)."""

    name: str
    description: str | None = None
    minimum: Decimal | None = None


class TierTerms(BaseModel):
    """A tier of a program version: its requirements and benefits."""

    code: str
    name: str | None = None
    min_annual_volume: int
    min_scores: dict[str, int]
    # The weight of each criterion in an audit's overall score (1 for a criterion not named).
    criterion_weights: dict[str, Decimal] = {}
    other_requirements: list[NamedRequirement] = []
    # Compliance pace: the tolerance (None: the service's) and the seasonal profile ("flat",
    # "last_year", or twelve monthly weights from January).
    pace_tolerance_pct: Decimal | None = None
    seasonal_profile: str | list[Decimal] = "flat"
    rebate_pct: Decimal
    facilitation_budget: Money


class ProgramPublished(EventPayload):
    """A program was created, or a new version of it was published."""

    service = "contracts"
    entity = "program"
    verb = "published"

    program_id: uuid.UUID
    name: str
    description: str | None = None
    program_version: int
    tiers: list[TierTerms]
    published_at: datetime
    published_by: str


# -- offers -----------------------------------------------------------------------------------

OfferStatus = Literal["pending_approval", "submitted", "accepted", "rejected", "expired"]


class OfferLineTerms(BaseModel):
    product_code: str
    description: str | None = None
    quantity: int
    list_price: Money
    discount_pct: Decimal
    net: Money
    # The price book's list price in force, when the author stated another one: the approver
    # (and the inbox item) sees both. Absent when the line is at the catalogue's price or the
    # catalogue is not checked.
    catalogue_list_price: Money | None = None


class OfferEvent(EventPayload):
    """Base of offer events: the offer's state at ``revision``."""

    service = "contracts"
    entity = "offer"

    offer_id: uuid.UUID
    account_id: uuid.UUID
    revision: int
    status: OfferStatus
    valid_until: date
    list_total: Money
    net_total: Money
    max_discount_pct: Decimal
    offer_version: int


class OfferSubmitted(OfferEvent):
    """A revision of an offer was put to the customer, or to a district manager first when its
    discount is above the author's limit (``requires_approval``)."""

    verb = "submitted"

    lines: list[OfferLineTerms]
    requires_approval: bool
    discount_limit_pct: Decimal
    submitted_by: str
    submitted_at: datetime


class OfferApproved(OfferEvent):
    """A district manager approved the discount of the offer's current revision."""

    verb = "approved"

    approved_by: str
    approved_at: datetime


class OfferAccepted(OfferEvent):
    """The customer accepted the offer's current revision."""

    verb = "accepted"

    accepted_at: datetime
    recorded_by: str


class OfferRejected(OfferEvent):
    """The offer was rejected: by the customer, or its discount by a district manager."""

    verb = "rejected"

    rejected_at: datetime
    rejected_by: str
    stage: Literal["customer", "approval"]
    reason: str


class OfferExpired(OfferEvent):
    """The offer's validity ended before it was accepted (or someone declared it expired)."""

    verb = "expired"

    expired_at: datetime
    expired_by: str


# -- contracts --------------------------------------------------------------------------------

# ``scheduled``: signed by both parties before its start date; the daily job activates it then.
ContractStatus = Literal[
    "draft", "submitted", "signed", "scheduled", "active", "renewed", "expired", "terminated"
]
Party = Literal["customer", "manufacturer"]


class Commitment(BaseModel):
    """What the customer commits to: a volume in a period, an audit score, or another term."""

    kind: Literal["volume", "audit_score", "other"]
    period: str | None = None
    quantity: int | None = None
    product_line: str | None = None
    criterion: str | None = None
    min_score: int | None = None
    name: str | None = None
    description: str | None = None


class SignatureRecord(BaseModel):
    party: Party
    signer_name: str
    signer_role: str
    method: str
    document_sha256: str
    signed_at: datetime
    recorded_by: str


class ContractState(BaseModel):
    """The whole contract as it stands after the event; ``contract_version`` orders them."""

    contract_id: uuid.UUID
    contract_version: int
    account_id: uuid.UUID
    program_id: uuid.UUID
    program_name: str
    program_version: int
    tier: str
    start_date: date
    end_date: date
    status: ContractStatus
    commitments: list[Commitment]
    terms: str | None = None
    offer_id: uuid.UUID | None = None
    renews_contract_id: uuid.UUID | None = None
    signatures: list[SignatureRecord] = []
    rebate_pct: Decimal
    facilitation_budget: Money


class ContractEvent(EventPayload):
    service = "contracts"
    entity = "contract"

    contract: ContractState


class ContractCreated(ContractEvent):
    """A draft contract was written (from scratch, from an accepted offer, or as a renewal)."""

    verb = "created"

    created_by: str


class ContractAmended(ContractEvent):
    """A draft contract was changed before being submitted."""

    verb = "amended"

    amended_by: str
    changed_fields: list[str]


class ContractSubmitted(ContractEvent):
    """The draft was submitted for signature: its terms are frozen."""

    verb = "submitted"

    submitted_at: datetime
    submitted_by: str


class ContractSigned(ContractEvent):
    """One party signed (the customer first, then the manufacturer countersigns). Countersigned
    before its start date, the contract is ``scheduled``: ``contract.activated`` follows on that
    date."""

    verb = "signed"

    signature: SignatureRecord


class ContractActivated(ContractEvent):
    """The contract came into force: both parties have signed and its start date has come (at
    the countersignature, or on the start date for a contract signed ahead of it). It is the
    account's active one for its program."""

    verb = "activated"

    activated_at: datetime


class ContractRenewed(ContractEvent):
    """The contract's renewal came into force (the day after this contract's end, for a renewal
    signed ahead): this contract is now ``renewed``."""

    verb = "renewed"

    renewed_by_contract_id: uuid.UUID
    renewal_start_date: date
    renewal_end_date: date
    renewed_at: datetime


class ContractTerminated(ContractEvent):
    """The contract was ended early, with a reason."""

    verb = "terminated"

    previous_status: ContractStatus
    reason: str
    terminated_at: datetime
    terminated_by: str


class ContractExpired(ContractEvent):
    """The contract's period ended without a renewal taking over."""

    verb = "expired"

    expired_at: datetime


class ContractRenewalDue(ContractEvent):
    """The contract ends within ``window_days``: time to negotiate its renewal. Emitted once
    per contract and window."""

    verb = "renewal_due"

    window_days: int
    days_left: int
    renewal_contract_id: uuid.UUID | None = None
    noticed_at: datetime


# -- audits -----------------------------------------------------------------------------------


class CriterionScore(BaseModel):
    criterion: str
    score: int
    evidence: str | None = None
    comment: str | None = None


class AuditGap(BaseModel):
    """A criterion scored below what the contract (or, before any contract, the tier) requires
    (``score`` is null if not scored)."""

    criterion: str
    score: int | None
    required: int


class AuditCompletedV1(EventPayload):
    """A partnership audit of a contract was recorded (superseded by v2, which also carries
    audits made before any contract; kept so that the stream's older events still read)."""

    service = "contracts"
    entity = "audit"
    verb = "completed"

    audit_id: uuid.UUID
    account_id: uuid.UUID
    contract_id: uuid.UUID
    program_id: uuid.UUID
    program_version: int
    tier: str
    performed_at: datetime
    auditor: str
    scores: list[CriterionScore]
    overall_score: Decimal
    gaps: list[AuditGap]
    recorded_by: str


class AuditCompleted(EventPayload):
    """A partnership audit was recorded; ``gaps`` feed professionalism action plans. An audit
    of a contract names it; a pre-partnership audit (to decide a partnership) has no
    ``contract_id`` and is judged against the program tier it names."""

    service = "contracts"
    entity = "audit"
    verb = "completed"
    version = 2

    audit_id: uuid.UUID
    account_id: uuid.UUID
    contract_id: uuid.UUID | None
    program_id: uuid.UUID
    program_version: int
    tier: str
    performed_at: datetime
    auditor: str
    scores: list[CriterionScore]
    overall_score: Decimal
    gaps: list[AuditGap]
    recorded_by: str


# -- facilitations ----------------------------------------------------------------------------

FacilitationType = Literal[
    "marketing_fund", "training", "point_of_sale_material", "demo_products", "event_support"
]
FacilitationStatus = Literal["pending_approval", "granted", "rejected"]


class FacilitationGuidelinePublished(EventPayload):
    """A key account manager wrote or changed a facilitation guideline."""

    service = "contracts"
    entity = "facilitation_guideline"
    verb = "published"

    guideline_id: uuid.UUID
    guideline_version: int
    type: FacilitationType
    name: str
    eligible_tiers: list[str]
    eligible_segments: list[str]
    program_id: uuid.UUID | None = None
    cap_per_account_per_year: Money
    approval_threshold: Money
    active: bool
    published_by: str


class FacilitationBalance(BaseModel):
    """An account's use of one guideline in one year, after the event."""

    cap: Money
    requested: Money
    granted: Money
    spent: Money
    remaining: Money


class FacilitationEvent(EventPayload):
    service = "contracts"
    entity = "facilitation"

    facilitation_id: uuid.UUID
    facilitation_version: int
    account_id: uuid.UUID
    guideline_id: uuid.UUID
    guideline_type: FacilitationType
    contract_id: uuid.UUID | None
    tier: str | None
    year: int
    amount: Money
    status: FacilitationStatus
    balance: FacilitationBalance


class FacilitationRequested(FacilitationEvent):
    """An account manager asked for a facilitation within a guideline."""

    verb = "requested"

    justification: str
    requires_approval: bool
    requested_by: str
    requested_at: datetime


class FacilitationGranted(FacilitationEvent):
    """The facilitation was granted: at once under the threshold, else by a KAM."""

    verb = "granted"

    granted_by: str
    granted_at: datetime
    automatic: bool


class FacilitationRejected(FacilitationEvent):
    """A key account manager refused the facilitation."""

    verb = "rejected"

    rejected_by: str
    rejected_at: datetime
    reason: str


class FacilitationSpent(FacilitationEvent):
    """Money of a granted facilitation was spent."""

    verb = "spent"

    spent: Money
    spent_total: Money
    spent_on: date
    description: str
    recorded_by: str


# -- compliance -------------------------------------------------------------------------------

ComplianceStatus = Literal["met", "on_track", "at_risk", "missed"]


class ComplianceItem(BaseModel):
    """One commitment or tier requirement against its actual. Volumes: ``expected_to_date`` is
    the share of ``required`` for the months judged so far, ``judged_through`` the last of them
    (a month is judged once its sell-in arrived or its grace period passed). Audit scores:
    ``due_by`` is when a (new) audit is due: the first one some months after the contract's
    start, then when the latest one stops counting. Other requirements (``other``: a tier's
    other requirement or an ``other`` commitment, by ``name``) are judged on the latest
    attestation like audit scores; ``required`` is their minimum (1 when only attested)."""

    kind: Literal["volume", "tier_volume", "audit_score", "other"]
    status: ComplianceStatus
    period: str | None = None
    product_line: str | None = None
    criterion: str | None = None
    name: str | None = None
    required: Decimal
    actual: Decimal | None
    expected_to_date: Decimal | None = None
    judged_through: str | None = None
    audit_id: uuid.UUID | None = None
    attestation_id: uuid.UUID | None = None
    due_by: date | None = None


class ComplianceChanged(EventPayload):
    """The contract's compliance (overall or of an item) changed, after sell-in, an audit, an
    activation or time passing."""

    service = "contracts"
    entity = "compliance"
    verb = "changed"

    contract_id: uuid.UUID
    account_id: uuid.UUID
    program_id: uuid.UUID
    tier: str
    overall: ComplianceStatus
    previous_overall: ComplianceStatus | None
    items: list[ComplianceItem]
    as_of: date
    evaluated_at: datetime


# -- rebates ----------------------------------------------------------------------------------


class RebateAmount(BaseModel):
    """The period's sell-in value in one currency and the rebate earned on it."""

    sell_in_value: Money
    rebate: Money


class RebateEarned(EventPayload):
    """A contract's period is over and judged (its last month's sell-in arrived or its grace
    passed): the rebate it earned, at the rebate % of the tier reached, on the period's sell-in
    value. ``tier_reached`` is null (and the rebate zero) when no tier's requirements were met.
    Announced once per contract."""

    service = "contracts"
    entity = "rebate"
    verb = "earned"

    contract_id: uuid.UUID
    account_id: uuid.UUID
    program_id: uuid.UUID
    program_version: int
    tier: str
    tier_reached: str | None
    rebate_pct: Decimal
    period_start: date
    period_end: date
    compliance: ComplianceStatus
    sell_in_units: int
    amounts: list[RebateAmount]
    judged_on: date
    computed_at: datetime
