from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy import select

from tread_contracts.directory.access import ProgramOwner, Staff
from tread_contracts.programs import repository, service
from tread_contracts.programs.models import Program, ProgramVersion
from tread_contracts.programs.schemas import (
    ProgramIn,
    ProgramOut,
    ProgramPage,
    ProgramVersionOut,
)
from tread_shared.app import EventOutbox
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.listing import list_page
from tread_shared.db.session import DbSession
from tread_shared.errors import NotFound
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import PageParams, page_params
from tread_shared.quantities import MAX_COUNT

router = APIRouter(prefix="/v1/programs", tags=["programs"])


def _version_out(version: ProgramVersion) -> ProgramVersionOut:
    return ProgramVersionOut(
        program_id=version.program_id,
        version=version.number,
        name=version.name,
        description=version.description,
        tiers=service.tiers_of(version),
        published_at=version.published_at,
        published_by=version.published_by,
    )


def _program_out(program: Program, version: ProgramVersion) -> ProgramOut:
    return ProgramOut(
        **_version_out(version).model_dump(),
        id=program.id,
        created_at=program.created_at,
        updated_at=program.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProgramOut)
async def create_program(
    data: ProgramIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: ProgramOwner,
    response: Response,
) -> ProgramOut:
    """Create a program and publish its first version (central office or admin)."""
    program, version = await service.create_program(session, outbox, caller, data)
    response.headers["Location"] = f"/v1/programs/{program.id}"
    set_etag(response, program.id, program.version)
    return _program_out(program, version)


@router.get("", response_model=ProgramPage)
async def list_programs(
    session: DbSession,
    _caller: Staff,
    page: Annotated[PageParams, Depends(page_params)],
) -> ProgramPage:
    """Programs with their current version, oldest first."""
    listed = await list_page(session, select(Program), Program, page)
    versions = await repository.current_versions(session, listed.rows)
    items = [_program_out(program, versions[program.id]) for program in listed.rows]
    return ProgramPage(items=items, next_cursor=listed.next_cursor)


@router.get("/{program_id}", response_model=ProgramOut)
async def get_program(
    program_id: uuid.UUID, session: DbSession, _caller: Staff, response: Response
) -> ProgramOut:
    """A program as its current version describes it."""
    program = await service.program_or_404(session, program_id)
    set_etag(response, program.id, program.version)
    return _program_out(program, await service.current_version(session, program))


@router.put("/{program_id}", response_model=ProgramOut)
async def publish_program_version(
    program_id: uuid.UUID,
    data: ProgramIn,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: ProgramOwner,
    response: Response,
) -> ProgramOut:
    """Publish a new version of the program (``If-Match`` required). Contracts written under
    earlier versions keep theirs."""
    program = await service.program_or_404(session, program_id)
    check_if_match(request, program.id, program.version)
    version = await service.publish_version(session, outbox, caller, program, data)
    await flush_changes(session)
    set_etag(response, program.id, program.version)
    return _program_out(program, version)


@router.get("/{program_id}/versions", response_model=list[ProgramVersionOut])
async def list_program_versions(
    program_id: uuid.UUID, session: DbSession, _caller: Staff
) -> list[ProgramVersionOut]:
    """Every published version of the program, oldest first."""
    await service.program_or_404(session, program_id)
    return [_version_out(v) for v in await repository.versions(session, program_id)]


@router.get("/{program_id}/versions/{number}", response_model=ProgramVersionOut)
async def get_program_version(
    program_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=MAX_COUNT)],
    session: DbSession,
    _caller: Staff,
) -> ProgramVersionOut:
    """One published version of the program, as contracts written under it see it."""
    version = await repository.version(session, program_id, number)
    if version is None:
        raise NotFound(f"Program {program_id} has no version {number}.")
    return _version_out(version)
