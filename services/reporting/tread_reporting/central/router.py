from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse

from tread_reporting.central import repository, service
from tread_reporting.central.csv_export import render_csv
from tread_reporting.central.formats import MEDIA_TYPES, Format, negotiate
from tread_reporting.central.pdf import render_pdf
from tread_reporting.central.production import download_path
from tread_reporting.central.schemas import (
    CentralReportOut,
    StoredReportOut,
    StoredReportPage,
)
from tread_reporting.freshness.schemas import AsOf
from tread_reporting.freshness.service import CurrentView
from tread_reporting.readers import CentralOffice, Reader
from tread_shared.clock import utcnow
from tread_shared.db.reading import ReadSession
from tread_shared.errors import NotFound, Problem
from tread_shared.events.payloads.reporting import CentralReportFigures
from tread_shared.http.pagination import PageParams, decode_cursor, encode_cursor, page_params

router = APIRouter(prefix="/v1/reports/central", tags=["central office"])

DOCUMENTS = {
    200: {
        "description": "The report as JSON, CSV (`Accept: text/csv`) or PDF (`Accept: "
        "application/pdf`)",
        "content": {"text/csv": {}, "application/pdf": {}},
    },
    406: {"description": "None of JSON, CSV or PDF is acceptable"},
}
FormatQuery = Annotated[
    Format | None, Query(description="Overrides Accept (handy for download links)")
]


async def _render(report: CentralReportOut, chosen: Format, pdf: bytes | None = None) -> Response:
    headers = {
        "Tread-As-Of-Sequence": str(report.as_of.sequence),
        "Tread-As-Of-Time": report.as_of.time.isoformat() if report.as_of.time else "",
        "Vary": "Accept",
    }
    if chosen == "json":
        return Response(report.model_dump_json(), media_type=MEDIA_TYPES["json"], headers=headers)
    filename = f"central-report-{report.period}.{chosen}"
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if chosen == "csv":
        return Response(render_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    document = pdf if pdf is not None else await asyncio.to_thread(render_pdf, report)
    return Response(document, media_type=MEDIA_TYPES["pdf"], headers=headers)


@router.get("", response_model=CentralReportOut, responses=DOCUMENTS)  # type: ignore[arg-type]
async def get_central_report(
    session: ReadSession,
    view: CurrentView,
    caller: Reader,
    period: Annotated[
        str, Query(max_length=7, description="A month (2026-11) or quarter (2026-Q4)")
    ],
    accept: Annotated[str | None, Header()] = None,
    format: FormatQuery = None,
    compare: Annotated[
        Literal["year_earlier"] | None,
        Query(description="year_earlier: the same period a year earlier's key figures beside"),
    ] = None,
) -> Response:
    """The state of every partnership in the caller's scope and of each customer's business in
    the period: contracts signed, renewed, terminated; audits and gaps; commitments met or
    missed; facilitations; sell-in against commitment; cases."""
    chosen = negotiate(accept, format)
    asked = service.report_period(period)
    now = utcnow()
    report = await service.central_report(session, caller, view, asked, now)
    if compare == "year_earlier":
        earlier = await service.central_report(
            session, caller, view, service.a_year_before(asked), now
        )
        service.with_year_earlier(report, earlier)
    return await _render(report, chosen)


@router.get("/archive", response_model=StoredReportPage)
async def list_stored_reports(
    session: ReadSession,
    _caller: CentralOffice,
    page: Annotated[PageParams, Depends(page_params)],
) -> StoredReportPage:
    """The reports the scheduled job produced when each month and quarter closed, latest first."""
    before = None
    if page.cursor:
        (last,) = decode_cursor(page.cursor, 1)
        try:
            before = uuid.UUID(last)
        except ValueError as exc:
            raise Problem("The cursor is not valid.", status=400, slug="invalid-cursor") from exc
    rows = list(await repository.stored_page(session, page.limit + 1, before))
    next_cursor = encode_cursor(rows[page.limit - 1].id) if len(rows) > page.limit else None
    return StoredReportPage(
        items=[
            StoredReportOut(
                id=row.id,
                period=row.period,
                start=row.period_start,
                end=row.period_end,
                produced_at=row.produced_at,
                as_of=AsOf(time=row.as_of_time, sequence=row.as_of_sequence),
                figures=CentralReportFigures.model_validate(row.figures),
                download_path=download_path(row.period),
            )
            for row in rows[: page.limit]
        ],
        next_cursor=next_cursor,
    )


@router.get("/archive/{period}", response_model=CentralReportOut, responses=DOCUMENTS)  # type: ignore[arg-type]
async def get_stored_report(
    period: str,
    session: ReadSession,
    _caller: CentralOffice,
    accept: Annotated[str | None, Header()] = None,
    format: FormatQuery = None,
) -> Response:
    """A stored report exactly as it was produced, as JSON, CSV or PDF."""
    chosen = negotiate(accept, format)
    stored = await repository.stored(session, period)
    if stored is None:
        raise NotFound(f"No report of {period} is stored (yet).")
    if chosen == "json":
        return JSONResponse(stored.content, headers={"Vary": "Accept"})
    return await _render(CentralReportOut.model_validate(stored.content), chosen, stored.pdf)
