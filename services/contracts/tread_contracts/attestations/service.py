"""Recording attestations. An attestation names one of the contract's named requirements (the
tier's ``other_requirements``, the contract's ``other`` commitments); one with a minimum needs
the value found, and is met when the value reaches it. Compliance counts the latest one like an
audit (valid for the same months, due at the same time)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.attestations import repository
from tread_contracts.attestations.models import Attestation
from tread_contracts.attestations.schemas import AttestationIn, AttestationOut
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.service import refresh_compliance
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.service import contract_in_scope
from tread_contracts.contracts.terms import named_requirements
from tread_contracts.directory.service import account_for_new_work
from tread_contracts.programs.service import tiers_of
from tread_shared.auth.principal import Principal
from tread_shared.clock import as_utc, utcnow
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.outbox import Outbox

# Signed by both parties: the terms attested against are final.
ATTESTABLE = ("scheduled", "active", "renewed", "expired")


def attestation_out(attestation: Attestation, minimum: Decimal | None) -> AttestationOut:
    return AttestationOut(
        id=attestation.id,
        contract_id=attestation.contract_id,
        account_id=attestation.account_id,
        requirement=attestation.requirement,
        minimum=minimum,
        value=attestation.value,
        met=attestation.meets(minimum),
        evidence=attestation.evidence,
        evidence_url=attestation.evidence_url,
        attested_at=attestation.attested_at,
        attested_by=attestation.attested_by,
    )


def _attestable(contract: Contract) -> dict[str, list[Decimal]]:
    """Every name the contract may be attested on, with the minimums asked of it: its own named
    requirements, and those of its program's other tiers (a lower tier's requirement decides
    whether that tier's rebate is reached)."""
    names: dict[str, list[Decimal]] = {}
    for name, minimum in named_requirements(contract).items():
        names.setdefault(name, []).extend([minimum] if minimum is not None else [])
    for tier in tiers_of(contract.program_terms):
        for requirement in tier.other_requirements:
            minimums = names.setdefault(requirement.name, [])
            if requirement.minimum is not None:
                minimums.append(requirement.minimum)
    return names


def _minimum_of(contract: Contract, data: AttestationIn) -> Decimal | None:
    """The contract's own minimum for the requirement (None: only attested, or another tier's)."""
    attestable = _attestable(contract)
    if data.requirement not in attestable:
        names = ", ".join(repr(name) for name in attestable) or "none"
        raise Unprocessable(
            f"Contract {contract.id} has no requirement {data.requirement!r} to attest; its "
            f"named requirements are: {names}.",
            slug="unknown-requirement",
        )
    if attestable[data.requirement] and data.value is None:
        raise Unprocessable(
            f"{data.requirement!r} asks for at least {max(attestable[data.requirement])}: give "
            "the value found.",
            slug="value-required",
        )
    return named_requirements(contract).get(data.requirement)


async def record_attestation(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contract_id: uuid.UUID,
    data: AttestationIn,
    policy: CompliancePolicy,
) -> AttestationOut:
    contract = await contract_in_scope(session, principal, contract_id)
    await account_for_new_work(session, principal, contract.account_id)
    if contract.status not in ATTESTABLE:
        raise Conflict(
            f"Contract {contract.id} is {contract.status}: requirements are attested once both "
            "parties have signed.",
            slug="contract-not-signed",
        )
    minimum = _minimum_of(contract, data)
    attested_at = as_utc(data.attested_at) if data.attested_at is not None else utcnow()
    if attested_at > utcnow():
        raise Unprocessable("attested_at is in the future.", slug="invalid-time")
    attestation = Attestation(
        contract_id=contract.id,
        account_id=contract.account_id,
        requirement=data.requirement,
        value=data.value,
        evidence=data.evidence,
        evidence_url=str(data.evidence_url) if data.evidence_url is not None else None,
        attested_at=attested_at,
        attested_by=principal.sub,
    )
    session.add(attestation)
    await session.flush()
    await refresh_compliance(session, outbox, contract, utcnow().date(), policy)
    return attestation_out(attestation, minimum)


async def attestations_of(
    session: AsyncSession, principal: Principal, contract_id: uuid.UUID
) -> Sequence[AttestationOut]:
    contract = await contract_in_scope(session, principal, contract_id)
    required = named_requirements(contract)
    return [
        attestation_out(a, required.get(a.requirement))
        for a in await repository.of_contract(session, contract.id)
    ]
