from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tread_market_intel.directory.access import CatalogueOwner, Staff
from tread_market_intel.imports import repository, service
from tread_market_intel.imports.models import CatalogueImport
from tread_market_intel.imports.schemas import COLUMNS, ImportMode, ImportReport, RowError
from tread_shared.app import EventOutbox
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.errors import NotFound

router = APIRouter(prefix="/v1/products/imports", tags=["products"])

_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": ",".join(COLUMNS)
                + "\nTR-315/80R22.5-XMD,tyre,Tread,X Multi,X Multi D 315/80R22.5,315,80,22.5,"
                "156/150,L,long_haul,active,2150.00,CNY,,2026-01-01,",
            }
        },
    }
}


def report_out(report: CatalogueImport, replayed: bool = False) -> ImportReport:
    return ImportReport(
        id=report.id,
        file_sha256=report.file_sha256,
        mode=report.mode,
        rows=report.rows,
        applied_rows=report.applied_rows,
        products_created=report.products_created,
        products_changed=report.products_changed,
        prices_set=report.prices_set,
        errors=[RowError.model_validate(error) for error in report.errors],
        imported_by=report.imported_by,
        imported_at=report.imported_at,
        replayed=replayed,
    )


@router.post(
    "",
    status_code=201,
    openapi_extra=_CSV_BODY,
    responses={
        200: {"model": ImportReport, "description": "The same file again: its first report"}
    },
)
async def import_products(
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: CatalogueOwner,
    response: Response,
    mode: Annotated[
        ImportMode,
        Query(description="all_or_nothing: any error refuses the file; valid_rows: apply those"),
    ] = "all_or_nothing",
) -> ImportReport:
    """Import products and prices from a CSV file (central): every error with its row and
    column. The same file again answers the first report (200) and changes nothing."""
    # Its size is capped before it is read (request_body_caps).
    content = await request.body()
    report, replayed = await service.import_catalogue(session, outbox, caller, content, mode)
    if replayed:
        response.status_code = 200
    response.headers["Location"] = f"/v1/products/imports/{report.id}"
    return report_out(report, replayed)


@router.get("/{import_id}")
async def get_product_import(
    import_id: uuid.UUID, session: ReadSession, caller: Staff
) -> ImportReport:
    report = await repository.get(session, import_id)
    if report is None:
        raise NotFound(f"No import {import_id}.")
    return report_out(report)
