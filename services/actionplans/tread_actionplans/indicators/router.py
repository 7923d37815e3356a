from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from tread_actionplans.directory.access import PlanWorker, Staff
from tread_actionplans.indicators import repository, service
from tread_actionplans.indicators.evaluation import forecast_of, target_of
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.indicators.schemas import (
    IndicatorAmendIn,
    IndicatorIn,
    IndicatorOut,
    MeasurementIn,
    MeasurementOut,
    PeriodReadingOut,
    Thresholds,
)
from tread_actionplans.plans.service import part_in_scope, plan_in_scope
from tread_shared.app import EventOutbox
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["indicators"])
Paging = Annotated[PageParams, Depends(page_params)]


def readings(indicator: Indicator, rows: list[IndicatorPeriod]) -> list[PeriodReadingOut]:
    """Every period with a target or a measurement, in order."""
    measured = {row.period: row for row in rows}
    out = []
    for period in sorted(set(indicator.targets) | set(measured)):
        row = measured.get(period)
        target = target_of(indicator, period)
        actual = row.actual if row is not None else None
        out.append(
            PeriodReadingOut(
                period=period,
                target=target,
                forecast=forecast_of(indicator, period),
                actual=actual,
                gap=None if actual is None or target is None else actual - target,
                status=row.status if row is not None else None,
                measurements=row.measurements if row is not None else 0,
            )
        )
    return out


def indicator_out(indicator: Indicator, rows: list[IndicatorPeriod]) -> IndicatorOut:
    return IndicatorOut(
        id=indicator.id,
        plan_id=indicator.plan_id,
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        direction=indicator.direction,
        granularity=indicator.granularity,
        baseline=indicator.baseline,
        source=indicator.source,
        source_filter=indicator.source_filter,
        aggregation=indicator.aggregation,
        thresholds=Thresholds(
            mode=indicator.threshold_mode,
            warning=indicator.warning,
            critical=indicator.critical,
        ),
        periods=readings(indicator, rows),
        created_at=indicator.created_at,
        updated_at=indicator.updated_at,
        version=indicator.version,
    )


def measurement_out(measurement: Measurement) -> MeasurementOut:
    return MeasurementOut.model_validate(measurement, from_attributes=True)


async def _answer(session: ReadSession, indicator: Indicator, response: Response) -> IndicatorOut:
    set_etag(response, indicator.id, indicator.version)
    rows = (await repository.periods_of(session, [indicator.id]))[indicator.id]
    return indicator_out(indicator, rows)


@router.post("/plans/{plan_id}/indicators", status_code=status.HTTP_201_CREATED)
async def add_indicator(
    plan_id: uuid.UUID,
    data: IndicatorIn,
    session: DbSession,
    caller: PlanWorker,
    response: Response,
) -> IndicatorOut:
    """An indicator with its target path per period and its control thresholds."""
    plan = await plan_in_scope(session, caller, plan_id)
    indicator = await service.create_indicator(session, caller, plan, data)
    response.headers["Location"] = f"/v1/indicators/{indicator.id}"
    return await _answer(session, indicator, response)


@router.get("/plans/{plan_id}/indicators")
async def list_plan_indicators(
    plan_id: uuid.UUID,
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[IndicatorOut | Tombstone]:
    await plan_in_scope(session, caller, plan_id)
    query = repository.of_plan(plan_id)
    listed = await list_page(session, query, Indicator, page, updated_since=updated_since)
    periods = await repository.periods_of(session, [i.id for i in listed.rows])
    return sync_page(listed, lambda i: indicator_out(i, periods[i.id]))


@router.get("/indicators/{indicator_id}")
async def get_indicator(
    indicator_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> IndicatorOut:
    """The indicator and each period: target, forecast, actual, gap and status."""
    indicator, _ = await part_in_scope(session, caller, Indicator, indicator_id, "indicator")
    return await _answer(session, indicator, response)


@router.patch("/indicators/{indicator_id}")
async def amend_indicator(
    indicator_id: uuid.UUID,
    data: IndicatorAmendIn,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> IndicatorOut:
    """New name, thresholds or target path (``If-Match`` required); periods are re-evaluated."""
    indicator, plan = await part_in_scope(session, caller, Indicator, indicator_id, "indicator")
    check_if_match(request, indicator.id, indicator.version)
    indicator = await service.amend_indicator(session, outbox, plan, indicator, data)
    await flush_changes(session)
    return await _answer(session, indicator, response)


@router.post("/indicators/{indicator_id}/measurements", status_code=status.HTTP_201_CREATED)
async def record_measurement(
    indicator_id: uuid.UUID,
    data: MeasurementIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
) -> MeasurementOut:
    """A value measured by hand (indicators whose source is ``manual``)."""
    indicator, plan = await part_in_scope(session, caller, Indicator, indicator_id, "indicator")
    measurement = await service.record_manual(session, outbox, caller, plan, indicator, data)
    return measurement_out(measurement)


@router.get("/indicators/{indicator_id}/measurements")
async def list_measurements(
    indicator_id: uuid.UUID,
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[MeasurementOut | Tombstone]:
    """Every measurement, by hand or from events (withdrawn ones as tombstones with
    ``updated_since``)."""
    await part_in_scope(session, caller, Indicator, indicator_id, "indicator")
    query = repository.measurements_of(indicator_id)
    listed = await list_page(session, query, Measurement, page, updated_since=updated_since)
    return sync_page(listed, measurement_out)


@router.delete(
    "/indicators/{indicator_id}/measurements/{measurement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def withdraw_measurement(
    indicator_id: uuid.UUID,
    measurement_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
) -> None:
    """Withdraw a measurement entered by hand; its period is re-evaluated."""
    indicator, plan = await part_in_scope(session, caller, Indicator, indicator_id, "indicator")
    await service.withdraw_manual(session, outbox, plan, indicator, measurement_id)
