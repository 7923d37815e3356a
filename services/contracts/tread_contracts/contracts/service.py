"""The contract lifecycle: draft → submitted → signed (by the customer) → scheduled (countersigned
by the manufacturer before the start date) → active (in force: countersigned and the start date
has come) → renewed / expired / terminated. A step out of order is 409 and changes nothing (the
request's transaction rolls back). What "in force on a date" means is ``in_force``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.service import refresh_compliance
from tread_contracts.contracts import repository
from tread_contracts.contracts.events import contract_state, signature_record
from tread_contracts.contracts.models import Contract, ContractSignature, RenewalNotice
from tread_contracts.contracts.schemas import (
    CommitmentIn,
    ContractAmendIn,
    ContractIn,
    RenewalIn,
    SignatureIn,
)
from tread_contracts.directory.service import account_for_new_work, in_scope
from tread_contracts.emit import emit
from tread_contracts.jobs import each_in_own_transaction
from tread_contracts.lifecycle import require_status
from tread_contracts.offers.models import Offer
from tread_contracts.offers.service import offer_in_scope
from tread_contracts.periods import next_period, period_bounds, shift_period
from tread_contracts.programs import repository as programs
from tread_contracts.programs.models import ProgramVersion
from tread_contracts.programs.service import current_version, referenced_program, tier_of
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.reading import Reader
from tread_shared.directory.handlers import sees_entry
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.contracts import (
    ContractActivated,
    ContractAmended,
    ContractCreated,
    ContractExpired,
    ContractRenewalDue,
    ContractRenewed,
    ContractSigned,
    ContractSubmitted,
    ContractTerminated,
)

NOT_YET_IN_FORCE = ("draft", "submitted", "signed")
SIGNED_BY_BOTH = ("scheduled", "active")
MANAGERS = (Role.KEY_ACCOUNT_MANAGER, Role.DISTRICT_MANAGER, Role.ADMIN)
# A signature may be dated a little ahead of our clock (the signer's device).
SIGNATURE_CLOCK_LEEWAY = timedelta(minutes=5)


async def contract_in_scope(
    session: AsyncSession, principal: Principal, contract_id: uuid.UUID
) -> Contract:
    return await in_scope(session, principal, Contract, contract_id, "contract")


async def contract_to_read(
    reads: Reader, principal: Principal, contract_id: uuid.UUID
) -> repository.ContractRead:
    """:func:`contract_in_scope` for a route that only renders it: one Core statement, no ORM
    session (run by ``Reader``: on PostgreSQL on the driver itself); the same 404 whether the
    contract does not exist or is out of scope."""
    contract = await repository.read(reads, contract_id)
    if contract is None or not sees_entry(principal, contract.directory_entry):
        raise NotFound(f"No contract {contract_id}.")
    return contract


def _check_commitments(commitments: Sequence[CommitmentIn], start: date, end: date) -> None:
    for commitment in commitments:
        if commitment.kind != "volume" or commitment.period is None:
            continue
        first, last = period_bounds(commitment.period)
        if last < start or first > end:
            raise Unprocessable(
                f"The commitment period {commitment.period} lies outside the contract's "
                f"period {start} - {end}.",
                slug="commitment-outside-period",
            )


def _stored(commitments: Sequence[CommitmentIn]) -> list[dict[str, object]]:
    return [c.model_dump(mode="json", exclude_none=True) for c in commitments]


async def _seeding_offer(
    session: AsyncSession, principal: Principal, data: ContractIn
) -> Offer | None:
    if data.offer_id is None:
        return None
    try:
        offer = await offer_in_scope(session, principal, data.offer_id)
    except NotFound:
        raise Unprocessable(f"No offer {data.offer_id}.", slug="unknown-offer") from None
    if offer.status != "accepted":
        raise Conflict(
            f"Offer {offer.id} is {offer.status}: only an accepted offer seeds a contract.",
            slug="offer-not-accepted",
        )
    if data.account_id is not None and data.account_id != offer.account_id:
        raise Unprocessable(
            f"Offer {offer.id} was made to another account.", slug="offer-account-mismatch"
        )
    seeded = await repository.by_offer(session, offer.id)
    if seeded is not None:
        raise Conflict(
            f"Offer {offer.id} already seeded contract {seeded.id}.", slug="offer-already-used"
        )
    return offer


def _offer_commitments(offer: Offer | None, start: date, end: date) -> list[CommitmentIn]:
    """An accepted offer commits its total quantity over the contract's year."""
    if offer is None or start.year != end.year:
        return []
    quantity = sum(line.quantity for line in offer.latest.lines)
    return [CommitmentIn(kind="volume", period=str(start.year), quantity=quantity)]


async def create_contract(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: ContractIn
) -> Contract:
    offer = await _seeding_offer(session, principal, data)
    account_id = data.account_id or (offer.account_id if offer else None)
    assert account_id is not None
    await account_for_new_work(session, principal, account_id)
    version = await referenced_program(session, data.program_id)
    tier_of(version, data.tier)
    commitments = (
        data.commitments
        if data.commitments is not None
        else _offer_commitments(offer, data.start_date, data.end_date)
    )
    _check_commitments(commitments, data.start_date, data.end_date)
    contract = Contract(
        account_id=account_id,
        program_id=version.program_id,
        program_version=version.number,
        program_terms=version,
        tier=data.tier,
        start_date=data.start_date,
        end_date=data.end_date,
        status="draft",
        commitments=_stored(commitments),
        terms=data.terms,
        offer_id=offer.id if offer else None,
        created_by=principal.sub,
        signatures=[],
    )
    session.add(contract)
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractCreated(contract=contract_state(contract), created_by=principal.sub),
    )
    return contract


async def _latest_version(session: AsyncSession, contract: Contract) -> ProgramVersion:
    program = await programs.get(session, contract.program_id)
    assert program is not None
    return await current_version(session, program)


async def _pin_latest_version(session: AsyncSession, contract: Contract) -> ProgramVersion:
    version = await _latest_version(session, contract)
    contract.program_terms = version
    contract.program_version = version.number
    return version


async def amend_contract(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contract: Contract,
    data: ContractAmendIn,
) -> Contract:
    """Change a draft. The draft moves to the program's latest version: a contract keeps the
    version it was last written under before it went out for signature."""
    require_status("Contract", contract.id, contract.status, ("draft",), "amended")
    changed = sorted(data.model_fields_set)
    start = data.start_date or contract.start_date
    end = data.end_date or contract.end_date
    if end <= start:
        raise Unprocessable("end_date must be after start_date.", slug="invalid-period")
    tier = data.tier or contract.tier
    version = await _pin_latest_version(session, contract)
    tier_of(version, tier)
    if data.commitments is not None:
        _check_commitments(data.commitments, start, end)
        contract.commitments = _stored(data.commitments)
    else:
        _check_commitments(
            [CommitmentIn.model_validate(c) for c in contract.commitments], start, end
        )
    contract.tier, contract.start_date, contract.end_date = tier, start, end
    if "terms" in data.model_fields_set:
        contract.terms = data.terms
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractAmended(
            contract=contract_state(contract), amended_by=principal.sub, changed_fields=changed
        ),
    )
    return contract


async def submit_contract(
    session: AsyncSession, outbox: Outbox, principal: Principal, contract: Contract
) -> Contract:
    require_status("Contract", contract.id, contract.status, ("draft",), "submitted")
    now = utcnow()
    contract.status = "submitted"
    contract.submitted_at = now
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractSubmitted(
            contract=contract_state(contract), submitted_at=now, submitted_by=principal.sub
        ),
    )
    return contract


def _check_signing_order(principal: Principal, contract: Contract, data: SignatureIn) -> None:
    if data.party == "manufacturer" and not principal.has_role(*MANAGERS):
        raise Forbidden("The manufacturer's signature is given by a manager.")
    if contract.signature_of(data.party) is not None:
        raise Conflict(
            f"The {data.party} has already signed contract {contract.id}.",
            slug="already-signed",
        )
    if data.party == "customer":
        require_status(
            "Contract", contract.id, contract.status, ("submitted",), "signed by the customer"
        )
        return
    if contract.status == "submitted":
        raise Conflict(
            f"The customer signs contract {contract.id} first.", slug="customer-signs-first"
        )
    require_status(
        "Contract", contract.id, contract.status, ("signed",), "countersigned by the manufacturer"
    )
    customer = contract.signature_of("customer")
    assert customer is not None
    if customer.document_sha256 != data.document_sha256:
        raise Conflict(
            "The manufacturer countersigns the document the customer signed "
            f"(sha256 {customer.document_sha256}).",
            slug="document-mismatch",
        )


async def sign_contract(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contract: Contract,
    data: SignatureIn,
    policy: CompliancePolicy,
) -> Contract:
    """Record a party's signature; the manufacturer's countersignature brings the contract into
    force, or schedules it when its start date is still ahead."""
    _check_signing_order(principal, contract, data)
    now = utcnow()
    signed_at = data.signed_at or now
    if signed_at.tzinfo is None or signed_at > now + SIGNATURE_CLOCK_LEEWAY:
        raise Unprocessable(
            "signed_at must be a time with its offset, not in the future.", slug="invalid-time"
        )
    signature = ContractSignature(
        party=data.party,
        signer_name=data.signer_name,
        signer_role=data.signer_role,
        method=data.method,
        document_sha256=data.document_sha256,
        signed_at=signed_at,
        recorded_by=principal.sub,
    )
    contract.signatures.append(signature)
    today = now.date()
    if data.party == "customer":
        contract.status = "signed"
    elif contract.start_date > today:
        await _schedule(session, contract)
    else:
        await _make_active(session, outbox, contract, today)
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractSigned(
            contract=contract_state(contract), signature=signature_record(signature)
        ),
    )
    if contract.status == "active":
        await _announce_activation(session, outbox, contract, today, policy)
    return contract


async def _schedule(session: AsyncSession, contract: Contract) -> None:
    """Countersigned ahead of its start date: the contract waits (``scheduled``) and the daily
    job brings it into force on that date. Another contract of the program whose period
    overlaps this one's is refused now rather than on the start date; the contract this one
    renews stays in force until the renewal takes over."""
    for other in await repository.signed_by_both_in(
        session, contract.account_id, contract.program_id, contract.start_date, contract.end_date
    ):
        if other.id not in (contract.id, contract.renews_contract_id):
            raise Conflict(
                f"Account {contract.account_id} already has a contract ({other.id}, "
                f"{other.status}) in this program for part of {contract.start_date} - "
                f"{contract.end_date}.",
                slug="active-contract-exists",
            )
    contract.status = "scheduled"


async def _make_active(
    session: AsyncSession, outbox: Outbox, contract: Contract, today: date
) -> None:
    """Both parties signed and the start date has come: the contract becomes the account's
    active one in its program; the contract it renews (if any) steps aside as ``renewed``, and
    another one of the program that has ended (its expiry not yet run) expires."""
    now = utcnow()
    predecessor = (
        await repository.get(session, contract.renews_contract_id)
        if contract.renews_contract_id
        else None
    )
    for other in await repository.active_for(session, contract.account_id, contract.program_id):
        if predecessor is not None and other.id == predecessor.id:
            continue
        if other.end_date < today:
            await _expire(session, outbox, other)
            continue
        raise Conflict(
            f"Account {contract.account_id} already has an active contract ({other.id}) "
            "in this program.",
            slug="active-contract-exists",
        )
    if predecessor is not None and predecessor.status in ("active", "expired"):
        predecessor.status = "renewed"
        predecessor.ended_at = now
        predecessor.renewal_contract_id = contract.id
        # The old contract leaves "active" before the new one takes its place (unique index).
        await session.flush()
    contract.status = "active"
    contract.activated_at = now
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"Account {contract.account_id} already has an active contract in this program.",
            slug="active-contract-exists",
        ) from None


async def _announce_activation(
    session: AsyncSession, outbox: Outbox, contract: Contract, today: date, policy: CompliancePolicy
) -> None:
    assert contract.activated_at is not None
    activated_at = contract.activated_at
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractActivated(contract=contract_state(contract), activated_at=activated_at),
    )
    if contract.renews_contract_id is not None:
        predecessor = await repository.get(session, contract.renews_contract_id)
        if predecessor is not None and predecessor.status == "renewed":
            await emit(
                session,
                outbox,
                predecessor,
                lambda: ContractRenewed(
                    contract=contract_state(predecessor),
                    renewed_by_contract_id=contract.id,
                    renewal_start_date=contract.start_date,
                    renewal_end_date=contract.end_date,
                    renewed_at=activated_at,
                ),
            )
    await refresh_compliance(session, outbox, contract, today, policy)


async def activate_scheduled_contracts(
    db: Database, outbox: Outbox, today: date, policy: CompliancePolicy
) -> int:
    """Scheduled contracts whose start date has come into force (``contract.activated``, and
    ``contract.renewed`` for the contract a renewal takes over from)."""
    async with db.unit_of_work() as session:
        candidates = await repository.scheduled_starting_ids(session, today)

    async def activate(session: AsyncSession, contract_id: uuid.UUID) -> bool:
        contract = await repository.get(session, contract_id)
        if contract is None or contract.status != "scheduled" or contract.start_date > today:
            return False
        await _make_active(session, outbox, contract, today)
        await _announce_activation(session, outbox, contract, today, policy)
        return True

    return await each_in_own_transaction(db, candidates, activate)


async def renew_contract(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contract: Contract,
    data: RenewalIn,
) -> Contract:
    """A new linked draft for the next period; this contract becomes ``renewed`` when the new
    one is active."""
    require_status("Contract", contract.id, contract.status, ("active", "expired"), "renewed")
    if contract.renewal_contract_id is not None:
        raise Conflict(
            f"Contract {contract.id} already has a renewal under way "
            f"({contract.renewal_contract_id}).",
            slug="renewal-exists",
        )
    default_start, default_end = next_period(contract.start_date, contract.end_date)
    start = data.start_date or default_start
    end = data.end_date or start + (default_end - default_start)
    if end <= start:
        raise Unprocessable("end_date must be after start_date.", slug="invalid-period")
    version = await _latest_version(session, contract)
    tier = data.tier or contract.tier
    tier_of(version, tier)
    years = start.year - contract.start_date.year
    commitments = data.commitments
    if commitments is None:
        commitments = [
            CommitmentIn.model_validate(
                {**c, "period": shift_period(c["period"], years)} if c.get("period") else c
            )
            for c in contract.commitments
        ]
    _check_commitments(commitments, start, end)
    renewal = Contract(
        account_id=contract.account_id,
        program_id=version.program_id,
        program_version=version.number,
        program_terms=version,
        tier=tier,
        start_date=start,
        end_date=end,
        status="draft",
        commitments=_stored(commitments),
        terms=data.terms if data.terms is not None else contract.terms,
        renews_contract_id=contract.id,
        created_by=principal.sub,
        signatures=[],
    )
    session.add(renewal)
    await session.flush()
    contract.renewal_contract_id = renewal.id
    await emit(
        session,
        outbox,
        renewal,
        lambda: ContractCreated(contract=contract_state(renewal), created_by=principal.sub),
    )
    return renewal


async def terminate_contract(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contract: Contract,
    reason: str,
) -> Contract:
    """End a contract early. One signed by both parties (active or scheduled) is ended by a
    manager; a contract not yet signed by both may be withdrawn by whoever works the account."""
    require_status(
        "Contract", contract.id, contract.status, (*NOT_YET_IN_FORCE, *SIGNED_BY_BOTH), "terminated"
    )
    if contract.status in SIGNED_BY_BOTH and not principal.has_role(*MANAGERS):
        raise Forbidden(f"A {contract.status} contract is terminated by a manager.")
    previous = contract.status
    now = utcnow()
    contract.status = "terminated"
    contract.ended_at = now
    contract.ended_by = principal.sub
    contract.termination_reason = reason
    if contract.renews_contract_id is not None:
        predecessor = await repository.get(session, contract.renews_contract_id)
        if predecessor is not None and predecessor.renewal_contract_id == contract.id:
            # The renewal was abandoned: the old contract may be renewed again.
            predecessor.renewal_contract_id = None
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractTerminated(
            contract=contract_state(contract),
            previous_status=previous,
            reason=reason,
            terminated_at=now,
            terminated_by=principal.sub,
        ),
    )
    return contract


async def expire_ended_contracts(db: Database, outbox: Outbox, today: date) -> int:
    """Active contracts whose period ended before ``today`` become ``expired`` (run after
    ``activate_scheduled_contracts``, so a contract whose renewal took over is ``renewed``)."""
    async with db.unit_of_work() as session:
        candidates = await repository.ended_active_ids(session, today)

    async def expire(session: AsyncSession, contract_id: uuid.UUID) -> bool:
        contract = await repository.get(session, contract_id)
        if contract is None or contract.status != "active" or contract.end_date >= today:
            return False
        await _expire(session, outbox, contract)
        return True

    return await each_in_own_transaction(db, candidates, expire)


async def _expire(session: AsyncSession, outbox: Outbox, contract: Contract) -> None:
    now = utcnow()
    contract.status = "expired"
    contract.ended_at = now
    contract.ended_by = "schedule"
    await emit(
        session,
        outbox,
        contract,
        lambda: ContractExpired(contract=contract_state(contract), expired_at=now),
    )
    # The contract leaves "active" before another takes its place (unique index).
    await session.flush()


async def notify_renewals_due(
    db: Database, outbox: Outbox, today: date, windows: Sequence[int]
) -> int:
    """One renewal-due event per active contract and window it has entered. The notice row
    (unique per contract and window) commits with the event, so replicas cannot both emit."""
    sent = 0
    for window in sorted(set(windows), reverse=True):
        async with db.unit_of_work() as session:
            candidates = await repository.unnoticed_renewals(session, today, window)

        async def notice(
            session: AsyncSession, contract_id: uuid.UUID, window: int = window
        ) -> bool:
            contract = await repository.get(session, contract_id)
            if contract is None or contract.status != "active":
                return False
            now = utcnow()
            session.add(RenewalNotice(contract_id=contract.id, window_days=window, noticed_at=now))
            await emit(
                session,
                outbox,
                contract,
                lambda: ContractRenewalDue(
                    contract=contract_state(contract),
                    window_days=window,
                    days_left=(contract.end_date - today).days,
                    renewal_contract_id=contract.renewal_contract_id,
                    noticed_at=now,
                ),
            )
            return True

        sent += await each_in_own_transaction(db, candidates, notice)
    return sent
