"""The report as CSV: one file holding the report's tables one after another, as a spreadsheet
shows them: each table is a title row, a header row and its rows, with a blank row between
tables. Key figures first (with the same period a year earlier beside them when compared), then
their subtotals per territory and per account manager, the partnerships in force (one row
each), the action plans and the market."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, get_args

from tread_reporting.central.schemas import CentralReportOut, SubtotalFigures
from tread_shared.events.payloads.actionplans import DeviationCause, PlanStatus

PARTNERSHIP_COLUMNS = [
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
SUBTOTAL_FIGURES = list(SubtotalFigures.model_fields)
PLAN_STATUSES: tuple[str, ...] = get_args(PlanStatus)
DEVIATION_CAUSES: tuple[str, ...] = (*get_args(DeviationCause), "unknown")

Table = tuple[str, list[str], list[list[Any]]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(m) for m in value)
    return str(value)


def _key_figures(report: CentralReportOut) -> Table:
    earlier = report.year_earlier
    header = ["figure", "value"] + (["year_earlier"] if earlier else [])
    rows = [
        [name, value] + ([getattr(earlier, name)] if earlier else [])
        for name, value in report.summary
    ]
    return "Key figures", header, rows


def _subtotals(title: str, key: str, report: CentralReportOut, by_territory: bool) -> Table:
    subtotals = report.by_territory if by_territory else report.by_owner
    compared = report.year_earlier is not None
    header = [key, *SUBTOTAL_FIGURES]
    if compared:
        header += [f"year_earlier_{name}" for name in SUBTOTAL_FIGURES]
    rows = []
    for subtotal in subtotals:
        row = [subtotal.key, *(getattr(subtotal, name) for name in SUBTOTAL_FIGURES)]
        if compared:
            earlier = subtotal.year_earlier
            row += [getattr(earlier, name) if earlier else 0 for name in SUBTOTAL_FIGURES]
        rows.append(row)
    return title, header, rows


def _partnerships(report: CentralReportOut) -> Table:
    rows = []
    for line in report.partnerships:
        values = {"period": report.period, **dict(line)}
        rows.append([values[column] for column in PARTNERSHIP_COLUMNS])
    return "Partnerships", PARTNERSHIP_COLUMNS, rows


def _action_plans(report: CentralReportOut) -> list[Table]:
    header = [
        "territory",
        "owner_id",
        *(f"plans_{status}" for status in PLAN_STATUSES),
        "indicators_green",
        "indicators_amber",
        "indicators_red",
        *(f"open_deviations_{cause}" for cause in DEVIATION_CAUSES),
        "open_actions",
        "overdue_actions",
    ]
    groups = report.action_plans
    rows = [
        [
            g.territory,
            g.owner_id,
            *(g.plans_by_status.get(status, 0) for status in PLAN_STATUSES),
            g.indicators.get("green", 0),
            g.indicators.get("amber", 0),
            g.indicators.get("red", 0),
            *(g.open_deviations_by_cause.get(cause, 0) for cause in DEVIATION_CAUSES),
            g.open_actions,
            g.overdue_actions,
        ]
        for g in groups
    ]
    resources = [
        [g.territory, g.owner_id, r.kind, r.currency, r.approved, r.committed]
        for g in groups
        for r in g.resources
    ]
    return [
        ("Action plans at the period's end", header, rows),
        (
            "Action-plan resources approved and committed",
            ["territory", "owner_id", "kind", "currency", "approved", "committed"],
            resources,
        ),
    ]


def _market(report: CentralReportOut) -> list[Table]:
    market = report.market
    return [
        (
            "Market observations",
            ["territory", "kind", "observations", "outliers"],
            [[o.territory, o.kind, o.observations, o.outliers] for o in market.observations],
        ),
        (
            "Price positioning",
            ["range", "territory", "products", "below", "within", "above", "median_index"],
            [
                [p.range, p.territory, p.products, p.below, p.within, p.above, p.median_index]
                for p in market.positioning
            ],
        ),
        (
            "Largest positioning moves",
            [
                "product_code",
                "territory",
                "month",
                "previous_index",
                "index",
                "previous_band",
                "band",
            ],
            [
                [
                    m.product_code,
                    m.territory,
                    m.month,
                    m.previous_index,
                    m.index,
                    m.previous_band,
                    m.band,
                ]
                for m in market.top_moves
            ],
        ),
        (
            "Competitors observed",
            ["competitor", "observations", "territories"],
            [[c.competitor, c.observations, c.territories] for c in market.competitors],
        ),
    ]


def tables(report: CentralReportOut) -> Sequence[Table]:
    """The report's tables, in the order of the file."""
    return [
        _key_figures(report),
        _subtotals("Key figures by territory", "territory", report, by_territory=True),
        _subtotals("Key figures by account manager", "owner_id", report, by_territory=False),
        _partnerships(report),
        *_action_plans(report),
        *_market(report),
    ]


def render_csv(report: CentralReportOut) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([report.title])
    for title, header, rows in tables(report):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
    # A BOM, so that spreadsheet programs read account names in UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()
