"""What a contract requires, from the program version it was written under and its own
commitments."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.repository import ContractRead
from tread_contracts.programs.schemas import Tier
from tread_contracts.programs.service import tier_of

# A program version never changes once written (a change is a new version), so the tier a
# contract was written under is validated once per process, not on every read of the contract
# (4 % of a contract's read). Bounded: a process sees few programs, versions and tiers.
_TIERS: dict[tuple[uuid.UUID, int, str], Tier] = {}
_TIERS_KEPT = 4096


def tier_terms(contract: Contract | ContractRead) -> Tier:
    """The tier of its program version ``contract`` is written under."""
    version = contract.program_terms
    key = (contract.program_id, version.number, contract.tier)
    tier = _TIERS.get(key)
    if tier is None:
        tier = tier_of(version, contract.tier)
        if len(_TIERS) < _TIERS_KEPT:
            _TIERS[key] = tier
    return tier


def required_scores(contract: Contract) -> dict[str, int]:
    """Minimum audit score per criterion: the tier's, raised by the contract's commitments."""
    required = dict(tier_terms(contract).min_scores)
    for commitment in contract.commitments:
        if commitment["kind"] == "audit_score":
            criterion, minimum = commitment["criterion"], int(commitment["min_score"])
            required[criterion] = max(required.get(criterion, 0), minimum)
    return dict(sorted(required.items()))


def named_requirements(contract: Contract) -> dict[str, Decimal | None]:
    """The requirements evaluated by attestation, by name, with their minimum if a number: the
    tier's ``other_requirements`` and the contract's ``other`` commitments."""
    required: dict[str, Decimal | None] = {
        requirement.name: requirement.minimum
        for requirement in tier_terms(contract).other_requirements
    }
    for commitment in contract.commitments:
        if commitment["kind"] == "other" and commitment.get("name"):
            required.setdefault(commitment["name"], None)
    return required
