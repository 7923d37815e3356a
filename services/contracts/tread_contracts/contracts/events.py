from __future__ import annotations

from tread_contracts.contracts.models import Contract, ContractSignature
from tread_contracts.contracts.terms import tier_terms
from tread_shared.events.payloads.contracts import (
    Commitment,
    ContractState,
    SignatureRecord,
)
from tread_shared.trusted import trusted


def signature_record(signature: ContractSignature) -> SignatureRecord:
    # A stored signature's columns, written from a validated request: not validated again.
    return trusted(
        SignatureRecord,
        party=signature.party,
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        method=signature.method,
        document_sha256=signature.document_sha256,
        signed_at=signature.signed_at,
        recorded_by=signature.recorded_by,
    )


def contract_state(contract: Contract) -> ContractState:
    """The whole contract, as every contract event carries it."""
    tier = tier_terms(contract)
    return ContractState(
        contract_id=contract.id,
        contract_version=contract.version,
        account_id=contract.account_id,
        program_id=contract.program_id,
        program_name=contract.program_terms.name,
        program_version=contract.program_version,
        tier=contract.tier,
        start_date=contract.start_date,
        end_date=contract.end_date,
        status=contract.status,
        commitments=[Commitment.model_validate(c) for c in contract.commitments],
        terms=contract.terms,
        offer_id=contract.offer_id,
        renews_contract_id=contract.renews_contract_id,
        signatures=[signature_record(s) for s in contract.signatures],
        rebate_pct=tier.rebate_pct,
        facilitation_budget=tier.facilitation_budget,
    )
