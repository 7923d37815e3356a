"""The depot: a small producing service of tyre stock counts, used by the event pipeline's tests
and by ``bench/events.py``. Its schema is ``migrations/`` next to this file: the platform tables,
``depot_stock`` (the state a write changes) and ``stock_ledger`` (what a consumer keeps)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.db.upsert import insert_on_conflict
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import Outbox
from tread_shared.events.registry import EventPayload
from tread_shared.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DepotSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOT_", extra="ignore")

    service_name: str = "depot"


class StockCounted(EventPayload):
    """A depot counted its stock of one tyre SKU (tests and bench only; not in the catalogue)."""

    service = "depot"
    entity = "stock"
    verb = "counted"

    sku: str
    quantity: int
    position: int  # the how-many-th count of this SKU: per-entity order is checkable


tables = MetaData()
depot_stock = Table(
    "depot_stock",
    tables,
    Column("sku", String(50), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("counts", Integer, nullable=False),
)
stock_ledger = Table(
    "stock_ledger",
    tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False),
    Column("sku", String(50), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("stream_seq", BigInteger, nullable=False),
)


async def record_count(
    session: AsyncSession, outbox: Outbox, sku: str, quantity: int
) -> CloudEvent:
    """The write: the SKU's stock changes and its event joins the same unit of work. One
    statement, so that two first counts of a SKU at once are the first and the second (a look
    for the row then an insert would let both insert)."""
    first = insert_on_conflict(session.get_bind().dialect.name, depot_stock).values(
        sku=sku, quantity=quantity, counts=1
    )
    counts = await session.scalar(
        first.on_conflict_do_update(
            index_elements=[depot_stock.c.sku],
            set_={"quantity": quantity, "counts": depot_stock.c.counts + 1},
        ).returning(depot_stock.c.counts)
    )
    assert counts is not None
    payload = StockCounted(sku=sku, quantity=quantity, position=counts)
    return await outbox.add(session, payload, subject=sku)


_LEDGER_ENTRY = insert(stock_ledger)  # built once: only its parameters change


async def record_in_ledger(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
    """The consumer's effect: one ledger row per stock count."""
    count = StockCounted.model_validate(event.data)
    await session.execute(
        _LEDGER_ENTRY,
        {
            "event_id": event.id,
            "sku": count.sku,
            "quantity": count.quantity,
            "position": count.position,
            "stream_seq": stream_seq,
        },
    )
