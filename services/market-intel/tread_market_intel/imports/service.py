"""Importing the catalogue from CSV (central).

Every row is validated before anything is written. ``all_or_nothing`` (the default) applies
nothing when any row fails and answers every error; ``valid_rows`` applies the valid rows and
reports the others. A file that changed the catalogue is remembered by its SHA-256: the same
file again is answered with the first report and changes nothing. A file refused as a whole
is not remembered, so it can be sent again once the catalogue it depends on is right."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.imports import repository
from tread_market_intel.imports.models import CatalogueImport
from tread_market_intel.imports.parsing import CatalogueRow, read_catalogue
from tread_market_intel.imports.schemas import ImportMode, RowError
from tread_market_intel.products import repository as products
from tread_market_intel.products import service as catalogue
from tread_market_intel.products.models import Product
from tread_market_intel.products.schemas import ProductPatch
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.outbox import Outbox


async def import_catalogue(
    session: AsyncSession, outbox: Outbox, principal: Principal, content: bytes, mode: ImportMode
) -> tuple[CatalogueImport, bool]:
    """The import's report, and whether it is a replay of an earlier one."""
    digest = hashlib.sha256(content).hexdigest()
    earlier = await repository.by_hash(session, digest)
    if earlier is not None:
        return earlier, True
    count, rows, errors = read_catalogue(content)
    known = await products.by_codes(session, [row.product.code for row in rows])
    rows, errors = _same_kinds(rows, errors, known)
    error_list = [error.model_dump() for error in errors]
    if count == 0:
        raise Unprocessable("The file has no rows.", slug="empty-import")
    if (errors and mode == "all_or_nothing") or not rows:
        raise Unprocessable(
            f"{len(errors)} error(s) in the file; nothing was imported.",
            slug="import-refused",
            row_errors=error_list,
        )
    tally = await _apply(session, outbox, principal, rows, known)
    report = CatalogueImport(
        file_sha256=digest,
        mode=mode,
        rows=count,
        applied_rows=len(rows),
        errors=error_list,
        imported_by=principal.sub,
        imported_at=utcnow(),
        **tally,
    )
    session.add(report)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The same file is being imported right now.", slug="import-running") from exc
    return report, False


def _same_kinds(
    rows: list[CatalogueRow], errors: list[RowError], known: dict[str, Product]
) -> tuple[list[CatalogueRow], list[RowError]]:
    """A known code keeps its kind: a different kind is a different product."""
    kept = []
    for row in rows:
        product = known.get(row.product.code)
        if product is not None and product.kind != row.product.kind:
            message = f"{product.code} is a {product.kind} in the catalogue"
            errors.append(RowError(row=row.number, column="kind", message=message))
        else:
            kept.append(row)
    return kept, sorted(errors, key=lambda error: error.row)


async def _apply(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    rows: list[CatalogueRow],
    known: dict[str, Product],
) -> dict[str, Any]:
    created = changed = prices = 0
    seen: set[str] = set()
    for row in rows:
        data = row.product
        product = known.get(data.code)
        if data.code not in seen:
            seen.add(data.code)
            if product is None:
                product = await catalogue.create_product(session, outbox, principal, data)
                known[data.code] = product
                created += 1
            elif await _update(session, outbox, principal, product, data.model_dump()):
                changed += 1
        assert product is not None
        if row.price is not None:
            _entry, did = await catalogue.set_price(session, outbox, principal, product, row.price)
            prices += did
    return {"products_created": created, "products_changed": changed, "prices_set": prices}


async def _update(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product: Product,
    fields: dict[str, Any],
) -> bool:
    patch = ProductPatch.model_validate(
        {k: v for k, v in fields.items() if k in ProductPatch.model_fields}
    )
    before = product.version
    await catalogue.patch_product(session, outbox, principal, product, patch)
    return product.version != before
