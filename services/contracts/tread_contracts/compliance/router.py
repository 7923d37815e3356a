from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from tread_contracts.compliance import service
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.schemas import ComplianceOut
from tread_contracts.contracts.service import contract_in_scope
from tread_contracts.directory.access import Staff
from tread_contracts.rebates.service import earned
from tread_contracts.settings import ContractsSettings
from tread_shared.clock import utcnow
from tread_shared.dates import PlausibleDate
from tread_shared.db.session import DbSession

router = APIRouter(prefix="/v1/contracts", tags=["compliance"])


@router.get("/{contract_id}/compliance", response_model=ComplianceOut)
async def get_contract_compliance(
    contract_id: uuid.UUID,
    session: DbSession,
    caller: Staff,
    settings: ContractsSettings,
    as_of: Annotated[
        PlausibleDate | None, Query(description="Evaluate as of this day (default today)")
    ] = None,
) -> ComplianceOut:
    """The contract's commitments and tier requirements against sell-in and the latest audit:
    what is met, on track, at risk and missed; and, once its period is over and judged, the
    rebate it earned."""
    contract = await contract_in_scope(session, caller, contract_id)
    policy = CompliancePolicy.of(settings)
    report = await service.evaluate(session, contract, as_of or utcnow().date(), policy)
    report.rebate = await earned(session, contract.id)
    return report
