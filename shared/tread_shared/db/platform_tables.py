"""Tables every service database has besides its own: the outbox, the relay lease, the consumer
inbox and stored idempotent responses. Each service's first migration creates them
(``tread_shared.db.migrations.create_platform_tables``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
)

from tread_shared.db.base import service_metadata
from tread_shared.db.types import UTCDateTime

platform_metadata = service_metadata()

# BigInteger on PostgreSQL, INTEGER (the rowid alias) on SQLite, so both autoincrement.
_Sequence = BigInteger().with_variant(Integer(), "sqlite")

outbox_events = Table(
    "outbox_events",
    platform_metadata,
    Column("seq", _Sequence, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("nats_subject", String(300), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("state", String(20), nullable=False, default="pending"),
    Column("times_sent", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Index("ix_outbox_events_state_seq", "state", "seq"),
)

outbox_relay_lease = Table(
    "outbox_relay_lease",
    platform_metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

inbox_events = Table(
    "inbox_events",
    platform_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(100), primary_key=True),
    Column("type", String(200), nullable=False),
    Column("stream_seq", BigInteger, nullable=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    platform_metadata,
    Column("principal", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_headers", JSON, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=False),
)
