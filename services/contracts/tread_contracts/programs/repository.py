from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.programs.models import Program, ProgramVersion


async def get(session: AsyncSession, program_id: uuid.UUID) -> Program | None:
    return await session.get(Program, program_id)


async def by_name(session: AsyncSession, name: str) -> Program | None:
    program: Program | None = await session.scalar(select(Program).where(Program.name == name))
    return program


async def version(
    session: AsyncSession, program_id: uuid.UUID, number: int
) -> ProgramVersion | None:
    return await session.get(ProgramVersion, (program_id, number))


async def versions(session: AsyncSession, program_id: uuid.UUID) -> Sequence[ProgramVersion]:
    query = (
        select(ProgramVersion)
        .where(ProgramVersion.program_id == program_id)
        .order_by(ProgramVersion.number)
    )
    return (await session.scalars(query)).all()


async def current_versions(
    session: AsyncSession, programs: Sequence[Program]
) -> dict[uuid.UUID, ProgramVersion]:
    if not programs:
        return {}
    query = (
        select(ProgramVersion)
        .join(
            Program,
            and_(
                Program.id == ProgramVersion.program_id,
                Program.current_version == ProgramVersion.number,
            ),
        )
        .where(Program.id.in_([p.id for p in programs]))
    )
    return {v.program_id: v for v in (await session.scalars(query)).all()}
