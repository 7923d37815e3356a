"""Publishing programs. Every change is a new version; earlier versions stay as they were, so a
contract keeps the requirements and benefits it was written under."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.programs import repository
from tread_contracts.programs.events import program_published
from tread_contracts.programs.models import Program, ProgramVersion
from tread_contracts.programs.schemas import ProgramIn, Tier
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, NotFound, Unprocessable
from tread_shared.events.outbox import Outbox


def tiers_of(version: ProgramVersion) -> list[Tier]:
    return [Tier.model_validate(tier) for tier in version.tiers]


def tier_of(version: ProgramVersion, code: str) -> Tier:
    """The tier ``code`` of ``version``; 422 naming the tiers there are when it has none.
    Only that tier is validated (the stored tiers were when the version was written): every
    contract answer asks for its own, and validating all of them was 4 % of a contract's read."""
    for tier in version.tiers:
        if tier.get("code") == code:
            return Tier.model_validate(tier)
    available = ", ".join(t.code for t in tiers_of(version))
    raise Unprocessable(
        f"Program {version.name!r} (version {version.number}) has no tier {code!r}; "
        f"its tiers are: {available}.",
        slug="unknown-tier",
    )


async def program_or_404(session: AsyncSession, program_id: uuid.UUID) -> Program:
    program = await repository.get(session, program_id)
    if program is None:
        raise NotFound(f"No program {program_id}.")
    return program


async def current_version(session: AsyncSession, program: Program) -> ProgramVersion:
    version = await repository.version(session, program.id, program.current_version)
    assert version is not None, "a program always has its current version"
    return version


async def referenced_program(session: AsyncSession, program_id: uuid.UUID) -> ProgramVersion:
    """The current version of a program named in a request body; 422 when unknown."""
    program = await repository.get(session, program_id)
    if program is None:
        raise Unprocessable(f"No program {program_id}.", slug="unknown-program")
    return await current_version(session, program)


async def create_program(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: ProgramIn
) -> tuple[Program, ProgramVersion]:
    await _ensure_name_free(session, data.name)
    program = Program(
        name=data.name, description=data.description, current_version=1, created_by=principal.sub
    )
    session.add(program)
    await session.flush()
    version = await _publish(session, outbox, principal, program, data)
    return program, version


async def publish_version(
    session: AsyncSession, outbox: Outbox, principal: Principal, program: Program, data: ProgramIn
) -> ProgramVersion:
    if data.name != program.name:
        await _ensure_name_free(session, data.name)
    program.name = data.name
    program.description = data.description
    program.current_version += 1
    return await _publish(session, outbox, principal, program, data)


async def _publish(
    session: AsyncSession, outbox: Outbox, principal: Principal, program: Program, data: ProgramIn
) -> ProgramVersion:
    version = ProgramVersion(
        program_id=program.id,
        number=program.current_version,
        name=data.name,
        description=data.description,
        tiers=[tier.model_dump(mode="json") for tier in data.tiers],
        published_at=utcnow(),
        published_by=principal.sub,
    )
    session.add(version)
    await outbox.add(session, program_published(version), subject=str(program.id))
    return version


async def _ensure_name_free(session: AsyncSession, name: str) -> None:
    if await repository.by_name(session, name) is not None:
        raise Conflict(f"A program named {name!r} exists already.", slug="program-name-taken")
