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
from tread_market_intel.products.events import changed_event, created_event, price_event
from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_market_intel.products.schemas import ProductIn
from tread_market_intel.products.service import product_fields
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.registry import EventPayload


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
    """Every product, then every price, each in one flush; then every event in one statement
    (a file of 50,000 products is a few statements, not 200,000)."""
    by = principal.sub
    created: list[Product] = []
    changed: list[tuple[Product, list[str]]] = []
    seen: set[str] = set()
    for row in rows:
        data = row.product
        if data.code in seen:
            continue
        seen.add(data.code)
        values = product_fields(data, set(ProductIn.model_fields))
        product = known.get(data.code)
        if product is None:
            product = Product(**values)
            session.add(product)
            known[data.code] = product
            created.append(product)
            continue
        differ = sorted(name for name, value in values.items() if getattr(product, name) != value)
        for name in differ:
            setattr(product, name, values[name])
        if differ:
            changed.append((product, differ))
    await flush_changes(session)
    entries = await products.price_entries_of(session, [p.id for p in known.values()])
    priced: list[tuple[Product, PriceEntry]] = []
    for row in rows:
        if row.price is None:
            continue
        product = known[row.product.code]
        price = row.price
        territory = price.territory or DEFAULT_TERRITORY
        key = (product.id, territory, price.list_price.currency, price.valid_from)
        entry = entries.get(key)
        if entry is None:
            entry = PriceEntry(
                product_id=product.id,
                territory=territory,
                currency=price.list_price.currency,
                amount=price.list_price.amount,
                valid_from=price.valid_from,
                valid_to=price.valid_to,
                changed_by=by,
            )
            session.add(entry)
            entries[key] = entry
        elif entry.amount == price.list_price.amount and entry.valid_to == price.valid_to:
            continue
        else:
            entry.amount, entry.valid_to, entry.changed_by = (
                price.list_price.amount,
                price.valid_to,
                by,
            )
        priced.append((product, entry))
    await flush_changes(session)
    events: list[tuple[EventPayload, str]] = [
        (created_event(product, by), str(product.id)) for product in created
    ]
    events += [(changed_event(p, fields, by), str(p.id)) for p, fields in changed]
    events += [(price_event(product, entry), str(product.id)) for product, entry in priced]
    await outbox.add_many(session, events)
    return {
        "products_created": len(created),
        "products_changed": len(changed),
        "prices_set": len(priced),
    }
