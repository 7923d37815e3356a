"""Every table of the contracts service, in one place for Alembic."""

from tread_contracts.attestations.models import Attestation
from tread_contracts.audits.models import Audit, AuditScore
from tread_contracts.base import Base
from tread_contracts.catalogue.models import CataloguePrice, CatalogueProduct
from tread_contracts.compliance.models import ComplianceSnapshot, SellInVolume
from tread_contracts.contracts.models import Contract, ContractSignature, RenewalNotice
from tread_contracts.directory.models import AccountDirectory
from tread_contracts.facilitations.models import (
    Facilitation,
    FacilitationBudget,
    FacilitationGuideline,
    FacilitationSpending,
)
from tread_contracts.offers.models import Offer, OfferLine, OfferRevision
from tread_contracts.programs.models import Program, ProgramVersion
from tread_contracts.rebates.models import EarnedRebate

__all__ = [
    "AccountDirectory",
    "Attestation",
    "Audit",
    "AuditScore",
    "Base",
    "CataloguePrice",
    "CatalogueProduct",
    "ComplianceSnapshot",
    "Contract",
    "ContractSignature",
    "EarnedRebate",
    "Facilitation",
    "FacilitationBudget",
    "FacilitationGuideline",
    "FacilitationSpending",
    "Offer",
    "OfferLine",
    "OfferRevision",
    "Program",
    "ProgramVersion",
    "RenewalNotice",
    "SellInVolume",
]
