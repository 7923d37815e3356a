"""Events of the reporting service."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from tread_shared.events.registry import EventPayload


class CentralReportFigures(BaseModel):
    """The headline figures of a central-office report."""

    partnerships_in_force: int
    contracts_signed: int
    contracts_renewed: int
    contracts_terminated: int
    contracts_expired: int
    audits: int
    audits_with_gaps: int
    facilitations_granted: int
    cases_opened: int
    cases_resolved: int
    cases_open_at_end: int


class CentralReportProduced(EventPayload):
    """The central-office report of a closed month or quarter was produced and stored; it can be
    downloaded as JSON, CSV or PDF from ``download_path``."""

    service = "reporting"
    entity = "central_report"
    verb = "produced"

    report_id: uuid.UUID
    period: str
    period_kind: Literal["month", "quarter"]
    period_start: date
    period_end: date
    produced_at: datetime
    as_of_sequence: int
    as_of_time: datetime | None
    figures: CentralReportFigures
    formats: list[str]
    download_path: str
