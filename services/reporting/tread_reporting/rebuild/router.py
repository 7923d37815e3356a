from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response, status
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.generations import repository as generations
from tread_reporting.generations.models import Generation
from tread_reporting.readers import Admin
from tread_reporting.rebuild.schemas import RebuildOut
from tread_reporting.rebuild.service import Replay, claim, cleanup
from tread_reporting.settings import ReportingSettings, Settings
from tread_shared.db.engine import Database
from tread_shared.db.reading import ReadSession
from tread_shared.errors import Problem
from tread_shared.events.broker import Broker

router = APIRouter(prefix="/v1/reports", tags=["rebuild"])
log = logging.getLogger(__name__)


async def _status(session: AsyncSession, generation: Generation) -> RebuildOut:
    active = await generations.active(session)
    return RebuildOut(
        generation=generation.generation,
        state=generation.state,
        active_generation=active.generation,
        target_sequence=generation.replay_target_seq,
        replayed_sequence=generation.applied_seq,
        events_replayed=generation.events_replayed,
        events_skipped=generation.events_skipped,
        requested_by=generation.requested_by,
        started_at=generation.started_at,
        finished_at=generation.finished_at,
        error=generation.error,
    )


async def _replay_then_clean(replay: Replay, db: Database, delay: float) -> None:
    try:
        await replay.run()
        await asyncio.sleep(delay)
        await cleanup(db)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("rebuild of generation %d failed", replay.progress.generation)


@router.post("/rebuild", response_model=RebuildOut, status_code=status.HTTP_202_ACCEPTED)
async def start_rebuild(
    request: Request, response: Response, settings: ReportingSettings, caller: Admin
) -> RebuildOut:
    """Replay the event stream from its start into fresh read models, then switch reads to
    them at once. Reads keep answering from the current ones meanwhile. 409 while another
    rebuild runs; follow this one at ``GET /v1/reports/rebuild``."""
    broker: Broker | None = request.app.state.broker
    if broker is None or broker.js is None or not broker.connected:
        raise Problem("The event broker is not reachable: no stream to replay.", status=503)
    db: Database = request.app.state.db
    try:
        generation = await claim(db, broker.js, settings, requested_by=caller.sub)
    except (TimeoutError, NotFoundError) as exc:
        raise Problem(f"The event stream cannot be read: {exc or 'timeout'}", status=503) from exc
    assert isinstance(settings, Settings)
    replay = Replay(db, broker.js, settings, generation)
    task = asyncio.create_task(
        _replay_then_clean(replay, db, settings.rebuild_cleanup_delay_seconds),
        name=f"rebuild-{generation.generation}",
    )
    request.app.state.rebuild_task = task
    response.headers["Location"] = "/v1/reports/rebuild"
    async with db.unit_of_work() as session:
        return await _status(session, generation)


@router.get("/rebuild", response_model=RebuildOut)
async def get_rebuild(session: ReadSession, _caller: Admin) -> RebuildOut:
    """The latest rebuild: how far its replay is, or how it ended."""
    latest = await generations.latest(session)
    return await _status(session, latest)
