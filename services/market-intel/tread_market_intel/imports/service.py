"""Importing the catalogue from CSV (central).

Every row is validated before anything is written. ``all_or_nothing`` (the default) applies
nothing when any row fails and answers every error; ``valid_rows`` applies the valid rows and
reports the others. A file that changed the catalogue is remembered by its SHA-256: the same
file again is answered with the first report and changes nothing. A file refused as a whole
is not remembered, so it can be sent again once the catalogue it depends on is right."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.imports import repository
from tread_market_intel.imports.models import CatalogueImport
from tread_market_intel.imports.parsing import CatalogueRow, read_catalogue
from tread_market_intel.imports.schemas import ImportMode, RowError
from tread_market_intel.products import repository as products
from tread_market_intel.products.events import changed_event, created_event, field_of, price_event
from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_market_intel.products.schemas import ProductIn
from tread_market_intel.products.service import product_fields
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.errors import Conflict, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.registry import EventPayload
from tread_shared.ids import new_id

# The tables themselves: Core inserts, without the ORM's bulk-insert bookkeeping per row.
PRODUCTS = cast(Table, Product.__table__)
PRICE_ENTRIES = cast(Table, PriceEntry.__table__)
# A price line: (product, territory, currency, first day).
PriceKey = tuple[uuid.UUID, str, str, date]


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
    """New products and new prices are inserted as rows (Core, one multi-row statement each,
    no ORM object per row: at 50,000 rows the objects were most of the time); changes of
    existing ones go through their ORM objects; then every event in one statement."""
    by, now = principal.sub, utcnow()
    created: dict[str, dict[str, Any]] = {}
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
            created[data.code] = {**_new_row(now), **values}
            continue
        differ = sorted(name for name, value in values.items() if getattr(product, name) != value)
        for name in differ:
            setattr(product, name, values[name])
        if differ:
            changed.append((product, differ))
    if created:
        await session.execute(insert(PRODUCTS), list(created.values()))
    await flush_changes(session)
    entries: dict[PriceKey, PriceEntry | dict[str, Any]] = dict(
        await products.price_entries_of(session, [p.id for p in known.values()])
    )
    added: list[dict[str, Any]] = []
    priced: list[tuple[str, PriceKey]] = []
    for row in rows:
        if row.price is None:
            continue
        code = row.product.code
        product_id = created[code]["id"] if code in created else known[code].id
        price = row.price
        territory = price.territory or DEFAULT_TERRITORY
        key = (product_id, territory, price.list_price.currency, price.valid_from)
        entry = entries.get(key)
        if entry is None:
            entry = {
                **_new_row(now),
                "product_id": product_id,
                "territory": territory,
                "currency": price.list_price.currency,
                "amount": price.list_price.amount,
                "valid_from": price.valid_from,
                "valid_to": price.valid_to,
                "changed_by": by,
            }
            entries[key] = entry
            added.append(entry)
        elif field_of(entry, "amount") == price.list_price.amount and (
            field_of(entry, "valid_to") == price.valid_to
        ):
            continue
        elif isinstance(entry, dict):
            # The same price line twice in the file: the later row stands.
            entry.update(amount=price.list_price.amount, valid_to=price.valid_to)
        else:
            entry.amount, entry.valid_to, entry.changed_by = (
                price.list_price.amount,
                price.valid_to,
                by,
            )
        priced.append((code, key))
    if added:
        await session.execute(insert(PRICE_ENTRIES), added)
    await flush_changes(session)
    events: list[tuple[EventPayload, str]] = [
        (created_event(product, by), str(product["id"])) for product in created.values()
    ]
    events += [(changed_event(p, fields, by), str(p.id)) for p, fields in changed]
    for code, key in priced:
        product_id = key[0]
        events.append((price_event(product_id, code, entries[key]), str(product_id)))
    await outbox.add_many(session, events)
    return {
        "products_created": len(created),
        "products_changed": len(changed),
        "prices_set": len(priced),
    }


def _new_row(now: datetime) -> dict[str, Any]:
    return {"id": new_id(), "created_at": now, "updated_at": now, "deleted_at": None, "version": 1}
