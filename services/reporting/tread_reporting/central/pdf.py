"""The report as a PDF a manager can read: headline figures (with the same period a year
earlier when compared), their subtotals per territory and account manager, charts, then the
tables that matter (contract changes, audits, partnerships needing attention, facilitations,
cases, action plans, market). The full list of partnerships is in the CSV."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tread_reporting.central.schemas import (
    CentralReportOut,
    PartnershipLine,
    Subtotal,
    SubtotalFigures,
)
from tread_shared.money import Money

# A CID font every PDF reader has: account names in Chinese print as such.
CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

INK = colors.HexColor("#1f2a37")
MUTED = colors.HexColor("#6b7280")
ACCENT = colors.HexColor("#0f5fa6")
SERIES = [
    colors.HexColor("#0f5fa6"),
    colors.HexColor("#2e9d6b"),
    colors.HexColor("#e0a526"),
    colors.HexColor("#c0392b"),
    colors.HexColor("#7d5ba6"),
    colors.HexColor("#5d6d7e"),
]
ROWS_PER_TABLE = 60

_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_styles["Title"], textColor=INK, fontSize=20, spaceAfter=4)
SUBTITLE = ParagraphStyle("subtitle", parent=_styles["Normal"], textColor=INK, fontSize=11)
NOTE = ParagraphStyle("note", parent=_styles["Normal"], textColor=MUTED, fontSize=8, leading=10)
HEADING = ParagraphStyle(
    "heading", parent=_styles["Heading2"], textColor=ACCENT, fontSize=13, spaceBefore=10
)
CELL = ParagraphStyle("cell", parent=_styles["Normal"], fontSize=8, leading=10, textColor=INK)
CELL_CJK = ParagraphStyle("cell_cjk", parent=CELL, fontName=CJK_FONT)
FIGURE = ParagraphStyle(
    "figure", parent=_styles["Normal"], fontSize=18, leading=22, alignment=TA_CENTER, textColor=INK
)
FIGURE_LABEL = ParagraphStyle(
    "figure_label", parent=NOTE, alignment=TA_CENTER, textColor=MUTED, fontSize=8
)


def _text(value: Any) -> Paragraph:
    text = "" if value is None else str(value)
    style = CELL_CJK if any(ord(ch) > 0x2FF for ch in text) else CELL
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped, style)


def _money(amounts: Sequence[Money]) -> str:
    return ", ".join(f"{m.amount:,.2f} {m.currency}" for m in amounts) or "—"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(
        [[_text(h) for h in header], *[[_text(c) for c in row] for row in rows]],
        colWidths=widths,
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f9fb")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _capped(title: str, table_rows: list[list[Any]]) -> tuple[list[list[Any]], Paragraph | None]:
    if len(table_rows) <= ROWS_PER_TABLE:
        return table_rows, None
    more = len(table_rows) - ROWS_PER_TABLE
    return table_rows[:ROWS_PER_TABLE], Paragraph(f"… and {more} more {title} (see the CSV).", NOTE)


def _share(sold: int, committed: int) -> str:
    return f"{Decimal(sold) / committed:.0%}" if committed else "—"


def _figures(report: CentralReportOut) -> Table:
    s, e = report.summary, report.year_earlier
    share = _share(s.sell_in_units, s.committed_units)
    cells = [
        (s.partnerships_in_force, "partnerships in force"),
        (s.contracts_signed, "contracts signed"),
        (s.contracts_renewed, "renewed"),
        (s.contracts_terminated + s.contracts_expired, "terminated or expired"),
        (s.audits, f"audits (average {s.average_audit_score or '—'})"),
        (s.audits_with_gaps, "audits with gaps"),
        (
            s.facilitations_granted,
            f"facilitations granted ({_money(s.facilitations_granted_amount)})",
        ),
        (share, f"sell-in against commitment ({s.sell_in_units:,} units)"),
        (s.cases_opened, "cases opened"),
        (s.cases_resolved, "cases resolved"),
        (s.cases_open_at_end, "cases open at the end"),
        (s.cases_breached, "of them past their SLA"),
        (s.plans_active, "action plans active"),
        (s.indicators_red, "plan indicators red"),
        (s.overdue_actions, f"corrective actions overdue ({s.open_deviations} deviations open)"),
        (s.market_observations, "market observations"),
    ]
    if e is not None:
        earlier = [
            e.partnerships_in_force,
            e.contracts_signed,
            e.contracts_renewed,
            e.contracts_terminated + e.contracts_expired,
            e.audits,
            e.audits_with_gaps,
            e.facilitations_granted,
            _share(e.sell_in_units, e.committed_units),
            e.cases_opened,
            e.cases_resolved,
            e.cases_open_at_end,
            e.cases_breached,
            e.plans_active,
            e.indicators_red,
            e.overdue_actions,
            e.market_observations,
        ]
        cells = [
            (value, f"{label}<br/>a year earlier: {then}")
            for (value, label), then in zip(cells, earlier, strict=True)
        ]
    grid = [
        [
            [Paragraph(f"<b>{value}</b>", FIGURE), Paragraph(label, FIGURE_LABEL)]
            for value, label in row
        ]
        for row in (cells[0:4], cells[4:8], cells[8:12], cells[12:16])
    ]
    table = Table(grid, colWidths=[43 * mm] * 4)
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#d5dde7")),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#d5dde7")),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _bar_chart(
    title: str, categories: list[str], series: list[tuple[str, list[float]]], width: float
) -> Drawing:
    drawing = Drawing(width, 62 * mm)
    drawing.add(String(0, 58 * mm, title, fontName="Helvetica-Bold", fontSize=9, fillColor=INK))
    chart = VerticalBarChart()
    chart.x, chart.y = 10 * mm, 12 * mm
    chart.width, chart.height = width - 14 * mm, 36 * mm
    chart.data = [values or [0] for _, values in series]
    chart.categoryAxis.categoryNames = categories or ["—"]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20 if len(categories) > 4 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 4 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    highest = max((v for _, values in series for v in values), default=0)
    chart.valueAxis.valueMax = max(highest * 1.15, 1)
    chart.barSpacing = 1
    for index in range(len(series)):
        chart.bars[index].fillColor = SERIES[index % len(SERIES)]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    if len(series) > 1:
        # Under the title, one row, within the drawing.
        legend = Legend()
        legend.x, legend.y = 10 * mm, 54 * mm
        legend.fontSize = 7
        legend.columnMaximum = 1
        legend.deltax = (width - 14 * mm) / len(series)
        legend.dx = legend.dy = 6
        legend.alignment = "right"
        legend.colorNamePairs = [
            (SERIES[i % len(SERIES)], name) for i, (name, _) in enumerate(series)
        ]
        drawing.add(legend)
    return drawing


def _tier_pie(lines: Sequence[PartnershipLine], width: float) -> Drawing:
    drawing = Drawing(width, 62 * mm)
    drawing.add(
        String(0, 58 * mm, "Partnerships in force by tier", fontName="Helvetica-Bold", fontSize=9)
    )
    tiers = Counter(line.tier for line in lines)
    if not tiers:
        drawing.add(String(10 * mm, 30 * mm, "No partnership in force.", fontSize=8))
        return drawing
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 8 * mm, 8 * mm, 42 * mm, 42 * mm
    names = sorted(tiers)
    pie.data = [tiers[n] for n in names]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    for index in range(len(names)):
        pie.slices[index].fillColor = SERIES[index % len(SERIES)]
    drawing.add(pie)
    legend = Legend()
    legend.x, legend.y = 58 * mm, 48 * mm
    legend.fontSize = 8
    legend.colorNamePairs = [
        (SERIES[i % len(SERIES)], f"{n} ({tiers[n]})") for i, n in enumerate(names)
    ]
    drawing.add(legend)
    return drawing


def _sell_in_by_territory(lines: Sequence[PartnershipLine], width: float) -> Drawing:
    committed: dict[str, int] = defaultdict(int)
    sold: dict[str, int] = defaultdict(int)
    for line in lines:
        committed[line.territory] += line.committed_units
        sold[line.territory] += line.sell_in_units
    territories = sorted(committed, key=lambda t: -committed[t])[:10]
    return _bar_chart(
        "Sell-in against commitment by territory (units)",
        territories,
        [
            ("committed", [committed[t] for t in territories]),
            ("sold", [sold[t] for t in territories]),
        ],
        width,
    )


def _needs_attention(line: PartnershipLine) -> bool:
    return (
        line.commitment_met is False
        or line.compliance in ("at_risk", "missed")
        or line.open_gaps > 0
        or line.credit_blocked
    )


def _subtotal_cells(figures: SubtotalFigures) -> list[Any]:
    return [
        figures.partnerships_in_force,
        figures.renewals_due_90_days,
        f"{figures.sell_in_units:,} / {figures.committed_units:,}",
        figures.commitments_met,
        figures.compliance_at_risk,
        figures.compliance_missed,
        figures.credit_blocked,
        figures.cases_open_at_end,
        f"{figures.plans_active} / {figures.indicators_red} / {figures.overdue_actions}",
    ]


def _subtotals(
    title: str, subtotals: Sequence[Subtotal], compared: bool, width: float
) -> list[Any]:
    header = [
        title.split(" by ")[-1],
        "in force",
        "renewals due (90 d)",
        "sell-in / committed",
        "met",
        "at risk",
        "missed",
        "credit blocked",
        "cases open",
        "plans active / red / overdue",
    ]
    rows = []
    for subtotal in subtotals:
        now = _subtotal_cells(subtotal)
        if compared and subtotal.year_earlier is not None:
            then = _subtotal_cells(subtotal.year_earlier)
            now = [f"{a} ({b})" for a, b in zip(now, then, strict=True)]
        rows.append([subtotal.key, *now])
    rows, more = _capped("subtotals", rows)
    first = 32 * mm
    part: list[Any] = [Paragraph(title, HEADING)]
    if compared:
        part.append(Paragraph("In brackets: the same period a year earlier.", NOTE))
    part.append(
        _table(header, rows, [first] + [(width - first) / 9] * 9)
        if rows
        else Paragraph("No partnership in force, no action plan.", NOTE)
    )
    if more:
        part.append(more)
    return part


def _action_plans(report: CentralReportOut, width: float) -> list[Any]:
    groups = report.action_plans
    part: list[Any] = [Paragraph("Action plans at the period's end", HEADING)]
    if not groups:
        return [*part, Paragraph("No action plan.", NOTE)]
    territories = sorted({g.territory for g in groups})
    by_territory = {t: [g for g in groups if g.territory == t] for t in territories}
    part.append(
        _bar_chart(
            "Indicators by status and territory (latest period measured)",
            [t or "—" for t in territories],
            [
                (
                    status,
                    [
                        sum(g.indicators.get(status, 0) for g in by_territory[t])
                        for t in territories
                    ],
                )
                for status in ("green", "amber", "red")
            ],
            width,
        )
    )
    rows, more = _capped(
        "groups",
        [
            [
                g.territory or "—",
                g.owner_id or "—",
                ", ".join(f"{status} {n}" for status, n in sorted(g.plans_by_status.items())),
                f"{g.indicators.get('green', 0)} / {g.indicators.get('amber', 0)} / "
                f"{g.indicators.get('red', 0)}",
                ", ".join(f"{cause} {n}" for cause, n in sorted(g.open_deviations_by_cause.items()))
                or "—",
                f"{g.open_actions} ({g.overdue_actions} overdue)",
                "; ".join(
                    f"{r.kind} {r.approved:,} / {r.committed:,} {r.currency}".strip()
                    for r in g.resources
                )
                or "—",
            ]
            for g in groups
        ],
    )
    part.append(
        _table(
            [
                "territory",
                "account manager",
                "plans",
                "indicators g / a / r",
                "open deviations by cause",
                "open actions",
                "resources approved / used",
            ],
            rows,
            [22 * mm, 25 * mm, 28 * mm, 20 * mm, 32 * mm, 22 * mm, width - 149 * mm],
        )
    )
    if more:
        part.append(more)
    return part


def _market(report: CentralReportOut, width: float) -> list[Any]:
    market = report.market
    part: list[Any] = [Paragraph("Market", HEADING)]
    if not (market.observations or market.positioning or market.top_moves):
        return [*part, Paragraph("No market observation or price positioning.", NOTE)]
    territories = sorted({o.territory for o in market.observations})
    kinds = sorted({o.kind for o in market.observations})
    counts = {(o.territory, o.kind): o.observations for o in market.observations}
    part.append(
        _bar_chart(
            "Field observations by territory and kind",
            territories,
            [(kind, [counts.get((t, kind), 0) for t in territories]) for kind in kinds[:6]],
            width,
        )
    )
    part.append(
        _table(
            ["range", "territory", "products", "below", "within", "above", "median index"],
            [
                [
                    p.range or "—",
                    p.territory,
                    p.products,
                    p.below,
                    p.within,
                    p.above,
                    p.median_index,
                ]
                for p in market.positioning
            ],
            [40 * mm, 30 * mm] + [(width - 70 * mm) / 5] * 5,
        )
        if market.positioning
        else Paragraph("No price positioning crossed its band in the period.", NOTE)
    )
    if market.top_moves:
        part += [
            Paragraph("Largest positioning moves", HEADING),
            _table(
                ["product", "territory", "month", "index", "band"],
                [
                    [
                        m.product_code,
                        m.territory,
                        m.month,
                        f"{m.previous_index if m.previous_index is not None else '—'} → {m.index}",
                        f"{m.previous_band or '—'} → {m.band}",
                    ]
                    for m in market.top_moves
                ],
                [50 * mm, 30 * mm, 20 * mm, 40 * mm, width - 140 * mm],
            ),
        ]
    if market.competitors:
        part += [
            Paragraph("Competitors most observed", HEADING),
            _table(
                ["competitor", "observations", "territories"],
                [[c.competitor, c.observations, c.territories] for c in market.competitors],
                [60 * mm, 30 * mm, width - 90 * mm],
            ),
        ]
    return part


def render_pdf(report: CentralReportOut) -> bytes:
    buffer = io.BytesIO()
    footer = f"Tread · {report.title} · data as of {_when(report.as_of.time)}"

    def decorate(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=report.title,
        author="Tread reporting",
        subject=f"Central-office report {report.period}",
    )
    usable = A4[0] - 30 * mm
    s = report.summary
    story: list[Any] = [
        Paragraph(report.title, TITLE),
        Paragraph(f"{report.start:%d %B %Y} to {report.end:%d %B %Y}", SUBTITLE),
        Paragraph(
            f"Data as of {_when(report.as_of.time)} (event {report.as_of.sequence}) · "
            f"produced {_when(report.generated_at)}",
            NOTE,
        ),
        Spacer(1, 5 * mm),
        Paragraph("Key figures", HEADING),
        _figures(report),
        Spacer(1, 4 * mm),
    ]
    compared = report.year_earlier is not None
    story += _subtotals("Key figures by territory", report.by_territory, compared, usable)
    story += _subtotals("Key figures by account manager", report.by_owner, compared, usable)
    charts = Table(
        [
            [
                _bar_chart(
                    "Contract changes in the period",
                    ["signed", "renewed", "terminated", "expired"],
                    [
                        (
                            "contracts",
                            [
                                s.contracts_signed,
                                s.contracts_renewed,
                                s.contracts_terminated,
                                s.contracts_expired,
                            ],
                        )
                    ],
                    usable / 2 - 4 * mm,
                ),
                _tier_pie(report.partnerships, usable / 2 - 4 * mm),
            ],
            [
                _bar_chart(
                    "Transverse cases by category",
                    [c.category for c in report.cases],
                    [
                        ("opened", [c.opened for c in report.cases]),
                        ("resolved", [c.resolved for c in report.cases]),
                        ("open at end", [c.open_at_end for c in report.cases]),
                    ],
                    usable / 2 - 4 * mm,
                ),
                _sell_in_by_territory(report.partnerships, usable / 2 - 4 * mm),
            ],
        ],
        colWidths=[usable / 2] * 2,
    )
    story += [Paragraph("At a glance", HEADING), charts]

    changes, more = _capped(
        "changes",
        [
            [
                f"{c.occurred_at:%Y-%m-%d}",
                c.change,
                c.account_name,
                c.program_name,
                c.tier,
                c.detail,
            ]
            for c in report.contract_changes
        ],
    )
    story.append(Paragraph("Contract changes", HEADING))
    story.append(
        _table(
            ["date", "change", "account", "program", "tier", "detail"],
            changes,
            [20 * mm, 20 * mm, 50 * mm, 40 * mm, 15 * mm, usable - 145 * mm],
        )
        if changes
        else Paragraph("No contract was signed, renewed, terminated or expired.", NOTE)
    )
    if more:
        story.append(more)

    audits, more = _capped(
        "audits",
        [
            [
                f"{a.performed_at:%Y-%m-%d}",
                a.account_name,
                a.tier,
                f"{a.overall_score:.1f}",
                ", ".join(
                    f"{g.criterion} {g.score if g.score is not None else '—'}/{g.required}"
                    for g in a.gaps
                )
                or "none",
            ]
            for a in report.audits
        ],
    )
    story.append(Paragraph("Partnership audits", HEADING))
    story.append(
        _table(
            ["date", "account", "tier", "score", "gaps (score/required)"],
            audits,
            [20 * mm, 55 * mm, 15 * mm, 15 * mm, usable - 105 * mm],
        )
        if audits
        else Paragraph("No audit in the period.", NOTE)
    )
    if more:
        story.append(more)

    attention = sorted(
        (line for line in report.partnerships if _needs_attention(line)),
        key=lambda line: line.sell_in_share if line.sell_in_share is not None else Decimal(9),
    )
    rows, more = _capped(
        "partnerships",
        [
            [
                line.account_name,
                line.territory,
                line.tier,
                f"{line.sell_in_units:,} / {line.committed_units:,}",
                line.compliance or "—",
                line.open_gaps,
                "blocked" if line.credit_blocked else "",
            ]
            for line in attention
        ],
    )
    story.append(Paragraph("Partnerships needing attention", HEADING))
    story.append(
        _table(
            ["account", "territory", "tier", "sell-in / committed", "compliance", "gaps", "credit"],
            rows,
            [55 * mm, 25 * mm, 15 * mm, 30 * mm, 20 * mm, 12 * mm, usable - 157 * mm],
        )
        if rows
        else Paragraph("Every partnership met its commitments, without gaps or credit block.", NOTE)
    )
    if more:
        story.append(more)

    story.append(
        KeepTogether(
            [
                Paragraph("Facilitations", HEADING),
                _table(
                    ["type", "granted", "amount granted", "spent", "rejected"],
                    [
                        [f.type, f.granted, _money(f.granted_amount), _money(f.spent), f.rejected]
                        for f in report.facilitations
                    ],
                    [40 * mm, 20 * mm, 45 * mm, 45 * mm, usable - 150 * mm],
                )
                if report.facilitations
                else Paragraph("No facilitation granted, spent or rejected.", NOTE),
            ]
        )
    )
    story.append(
        KeepTogether(
            [
                Paragraph("Transverse cases", HEADING),
                _table(
                    ["category", "opened", "resolved", "open at end", "past SLA"],
                    [
                        [c.category, c.opened, c.resolved, c.open_at_end, c.breached]
                        for c in report.cases
                    ],
                    [50 * mm, 30 * mm, 30 * mm, 30 * mm, usable - 140 * mm],
                )
                if report.cases
                else Paragraph("No case.", NOTE),
            ]
        )
    )
    story += _action_plans(report, usable)
    story += _market(report, usable)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
