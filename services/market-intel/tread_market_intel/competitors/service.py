"""Competitor products (central writes, everyone reads) and the own products each is
equivalent to: every equivalent code must be in the catalogue."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.competitors import repository
from tread_market_intel.competitors.models import CompetitorProduct, Equivalence
from tread_market_intel.competitors.schemas import (
    CompetitorProductIn,
    CompetitorProductPatch,
    EquivalenceIn,
)
from tread_market_intel.products import repository as products
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.errors import NotFound, Unprocessable


async def competitor_product_of(session: AsyncSession, product_id: uuid.UUID) -> CompetitorProduct:
    row = await repository.get_live(session, product_id)
    if row is None:
        raise NotFound(f"No competitor product {product_id}.")
    return row


async def _equivalences(
    session: AsyncSession, equivalents: list[EquivalenceIn]
) -> list[Equivalence]:
    codes = [e.product_code for e in equivalents]
    if len(set(codes)) != len(codes):
        raise Unprocessable("An own product is named twice.", slug="duplicate-equivalence")
    known = await products.by_codes(session, codes)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise Unprocessable(
            f"Not in the catalogue: {', '.join(unknown)}.",
            slug="unknown-product",
            product_codes=unknown,
        )
    return [Equivalence(product_code=e.product_code, note=e.note) for e in equivalents]


async def create(session: AsyncSession, data: CompetitorProductIn) -> CompetitorProduct:
    fields = data.model_dump(exclude={"equivalents", "spec"})
    row = CompetitorProduct(
        **fields,
        spec=data.spec.model_dump(mode="json", exclude_none=True) if data.spec else {},
        equivalences=await _equivalences(session, data.equivalents),
    )
    session.add(row)
    await flush_changes(session)
    return row


async def change(
    session: AsyncSession, row: CompetitorProduct, patch: CompetitorProductPatch
) -> CompetitorProduct:
    sent = patch.model_fields_set
    for name in sent - {"equivalents", "spec"}:
        setattr(row, name, getattr(patch, name))
    if "spec" in sent:
        row.spec = patch.spec.model_dump(mode="json", exclude_none=True) if patch.spec else {}
    if "equivalents" in sent and patch.equivalents is not None:
        wanted = {e.product_code: e for e in await _equivalences(session, patch.equivalents)}
        # Kept rows are updated in place: the unit of work inserts before it deletes.
        row.equivalences = [e for e in row.equivalences if e.product_code in wanted]
        for kept in row.equivalences:
            kept.note = wanted.pop(kept.product_code).note
        row.equivalences.extend(wanted.values())
        # A change of equivalences alone must still move the version (and the ETag).
        row.updated_at = utcnow()
    await flush_changes(session)
    return row


async def remove(session: AsyncSession, row: CompetitorProduct) -> None:
    row.deleted_at = utcnow()
    await flush_changes(session)
