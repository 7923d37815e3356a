"""The report as CSV: one row per partnership in force in the period (the table a spreadsheet
wants); the headline figures travel in the JSON and the PDF."""

from __future__ import annotations

import csv
import io
from typing import Any

from tread_reporting.central.schemas import CentralReportOut

COLUMNS = [
    "period",
    "account_id",
    "account_name",
    "owner_id",
    "territory",
    "contract_id",
    "program_name",
    "tier",
    "status_at_end",
    "start_date",
    "end_date",
    "committed_units",
    "sell_in_units",
    "sell_in_share",
    "commitment_met",
    "committed_units_year_to_date",
    "sell_in_units_year_to_date",
    "compliance",
    "latest_audit_score",
    "open_gaps",
    "facilitations_granted",
    "facilitations_spent",
    "cases_opened",
    "cases_open_at_end",
    "credit_blocked",
]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(m) for m in value)
    return str(value)


def render_csv(report: CentralReportOut) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line in report.partnerships:
        values = {"period": report.period, **dict(line)}
        writer.writerow([_cell(values[column]) for column in COLUMNS])
    # A BOM, so that spreadsheet programs read account names in UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()
