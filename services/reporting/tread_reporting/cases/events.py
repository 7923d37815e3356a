"""Case events → the cases read model, every version of each case, and their dated steps."""

from __future__ import annotations

from tread_reporting.cases.models import CaseHistoryRecord, CaseRecord
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_reporting.timeline.events import record_milestone
from tread_shared.events.payloads.accounts import (
    CaseAssigned,
    CaseCommented,
    CaseEscalated,
    CaseEvent,
    CaseOpened,
    CaseStatusChanged,
    CaseUpdated,
)

projection = Projection()


@projection.on(
    CaseOpened, CaseUpdated, CaseStatusChanged, CaseAssigned, CaseEscalated, CaseCommented
)
def case(payload: CaseEvent, _at: Landing, writes: Writes) -> None:
    writes.upsert_newer(
        CaseRecord,
        payload.case.model_dump(exclude={"opened_by"}),
    )


@projection.on(
    CaseOpened, CaseUpdated, CaseStatusChanged, CaseAssigned, CaseEscalated, CaseCommented
)
def case_version(payload: CaseEvent, _at: Landing, writes: Writes) -> None:
    writes.insert_fact(
        CaseHistoryRecord,
        payload.case.model_dump(
            include={
                "case_id",
                "version",
                "account_id",
                "category",
                "status",
                "opened_at",
                "due_at",
                "updated_at",
            }
        ),
    )


@projection.on(CaseStatusChanged)
def case_status_reached(payload: CaseStatusChanged, _at: Landing, writes: Writes) -> None:
    record_milestone(
        writes,
        "case",
        payload.case.case_id,
        payload.case.status,
        payload.case.updated_at,
        payload.case.account_id,
        detail=payload.case.category,
    )
