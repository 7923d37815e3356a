"""Every table of the reporting service, in one place for Alembic."""

from tread_reporting.action_plans.models import (
    PlanActionRecord,
    PlanDeviationRecord,
    PlanHistoryRecord,
    PlanIndicatorRecord,
    PlanRecord,
    PlanResourceRecord,
)
from tread_reporting.base import Base
from tread_reporting.business.models import CreditRecord, SellInRecord
from tread_reporting.cases.models import CaseHistoryRecord, CaseRecord
from tread_reporting.central.models import CentralReport
from tread_reporting.directory.models import AccountEntry
from tread_reporting.event_counts.models import EventTypeCount
from tread_reporting.generations.models import Generation, GenerationPointer
from tread_reporting.market.models import (
    MarketObservationRecord,
    MarketPositioningHistoryRecord,
    MarketPositioningRecord,
    MarketProductRecord,
)
from tread_reporting.partnerships.models import (
    AuditRecord,
    ComplianceRecord,
    ContractRecord,
    FacilitationRecord,
    RebateRecord,
)
from tread_reporting.portfolio.models import ActivityRecord, Qualification
from tread_reporting.timeline.models import Milestone

__all__ = [
    "AccountEntry",
    "ActivityRecord",
    "AuditRecord",
    "Base",
    "CaseHistoryRecord",
    "CaseRecord",
    "CentralReport",
    "ComplianceRecord",
    "ContractRecord",
    "CreditRecord",
    "EventTypeCount",
    "FacilitationRecord",
    "Generation",
    "GenerationPointer",
    "MarketObservationRecord",
    "MarketPositioningHistoryRecord",
    "MarketPositioningRecord",
    "MarketProductRecord",
    "Milestone",
    "PlanActionRecord",
    "PlanDeviationRecord",
    "PlanHistoryRecord",
    "PlanIndicatorRecord",
    "PlanRecord",
    "PlanResourceRecord",
    "Qualification",
    "RebateRecord",
    "SellInRecord",
]

# The read models: every row belongs to a generation (rebuild, cleanup).
READ_MODELS: list[type[Base]] = [
    AccountEntry,
    ActivityRecord,
    AuditRecord,
    CaseHistoryRecord,
    CaseRecord,
    ComplianceRecord,
    ContractRecord,
    CreditRecord,
    EventTypeCount,
    FacilitationRecord,
    MarketObservationRecord,
    MarketPositioningHistoryRecord,
    MarketPositioningRecord,
    MarketProductRecord,
    Milestone,
    PlanActionRecord,
    PlanDeviationRecord,
    PlanHistoryRecord,
    PlanIndicatorRecord,
    PlanRecord,
    PlanResourceRecord,
    Qualification,
    RebateRecord,
    SellInRecord,
]
