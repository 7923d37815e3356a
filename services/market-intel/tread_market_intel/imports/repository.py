from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.imports.models import CatalogueImport


async def by_hash(session: AsyncSession, file_sha256: str) -> CatalogueImport | None:
    query = select(CatalogueImport).where(CatalogueImport.file_sha256 == file_sha256)
    return (await session.scalars(query)).first()


async def get(session: AsyncSession, import_id: uuid.UUID) -> CatalogueImport | None:
    return await session.get(CatalogueImport, import_id)
