"""What a contract requires, from the program version it was written under and its own
commitments."""

from __future__ import annotations

from tread_contracts.contracts.models import Contract
from tread_contracts.programs.schemas import Tier
from tread_contracts.programs.service import tier_of


def tier_terms(contract: Contract) -> Tier:
    return tier_of(contract.program_terms, contract.tier)


def required_scores(contract: Contract) -> dict[str, int]:
    """Minimum audit score per criterion: the tier's, raised by the contract's commitments."""
    required = dict(tier_terms(contract).min_scores)
    for commitment in contract.commitments:
        if commitment["kind"] == "audit_score":
            criterion, minimum = commitment["criterion"], int(commitment["min_score"])
            required[criterion] = max(required.get(criterion, 0), minimum)
    return dict(sorted(required.items()))
