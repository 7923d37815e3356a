"""``Reader``'s statements: the same rows and the same errors whether they run on the driver
(PostgreSQL) or through SQLAlchemy Core (SQLite, and any statement the driver path does not
take); a lost connection is an outage the next read recovers from."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Numeric, bindparam, cast, column, func, select, table, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from tread_notes import MIGRATIONS_DIR
from tread_notes.notes.models import Note

from tread_shared.db.engine import Database
from tread_shared.db.prepared import driver_statement
from tread_shared.db.reading import Reader
from tread_shared.db.row_parts import labelled_columns
from tread_shared.errors import unexpected_error

OWNERS = ["am-1", "am-2", "am-3", "am-4"]
WRITTEN = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)

SLEEP = select(func.pg_sleep(bindparam("seconds")).label("slept"))

# Built once, as a route's statements are: live notes of some owners, a bound title, a fixed
# version floor (a value the statement carries), and a computed decimal.
BY_OWNERS = (
    select(*labelled_columns(Note), cast(Note.version, Numeric(10, 2)).label("weight"))
    .where(
        Note.owner.in_(bindparam("owners", expanding=True)),
        Note.title != bindparam("not_titled"),
        Note.version >= 1,
        Note.deleted_at.is_(None),
    )
    .order_by(Note.owner, Note.title)
)


@pytest.fixture
async def db(make_database: Callable[[str, Path], str]) -> AsyncIterator[Database]:
    database = Database(make_database("notes", MIGRATIONS_DIR))
    async with database.unit_of_work() as session:
        for n, owner in enumerate(OWNERS * 2):
            session.add(
                Note(
                    id=uuid.uuid4(),
                    owner=owner,
                    title=f"Visit {n}",
                    body="",
                    pinned=n % 2 == 0,
                    created_at=WRITTEN,
                    updated_at=WRITTEN,
                    version=n + 1,
                )
            )
    yield database
    await database.dispose()


async def _through_core(
    db: Database, statement: Any, values: dict[str, Any]
) -> list[dict[str, Any]]:
    async with db.reading() as connection:
        return [row._asdict() for row in (await connection.execute(statement, values)).all()]


@pytest.mark.parametrize("owners", [["am-2"], ["am-1", "am-3", "am-4"], OWNERS, []])
async def test_rows_are_those_core_reads_for_any_length_of_list(
    db: Database, database_backend: str, owners: list[str]
) -> None:
    values = {"owners": owners, "not_titled": "Visit 1"}
    reader = Reader(db)

    rows = await reader.all(BY_OWNERS, values)

    if database_backend == "postgresql":  # the driver's path, not Core's
        assert driver_statement(BY_OWNERS, reader.engine.sync_engine.dialect) is not None
    assert [row._asdict() for row in rows] == await _through_core(db, BY_OWNERS, values)
    assert sorted({row.owner for row in rows}) == sorted(owners)
    assert "Visit 1" not in {row.title for row in rows}
    first = rows[0] if rows else None
    if first is not None:
        assert isinstance(first.id, uuid.UUID)
        assert first.updated_at == WRITTEN and first.updated_at.tzinfo is not None
        assert first.weight == Decimal(first.version) and isinstance(first.weight, Decimal)
        assert isinstance(first.pinned, bool)


async def test_a_list_the_statement_carries_is_read_as_core_reads_it(db: Database) -> None:
    carried = select(Note.title).where(Note.title.in_(["Visit 0", "Visit 5", "Visit 9"]))
    rows = await Reader(db).all(carried.order_by(Note.title))

    assert [row.title for row in rows] == ["Visit 0", "Visit 5"]


async def test_one_row_or_none(db: Database) -> None:
    reader = Reader(db)
    some = await reader.one(BY_OWNERS, {"owners": ["am-4"], "not_titled": ""})
    none = await reader.one(BY_OWNERS, {"owners": ["nobody"], "not_titled": ""})

    assert some is not None and some.owner == "am-4" and some.title == "Visit 3"
    assert none is None


async def test_a_live_entity_reads_like_the_entity(db: Database) -> None:
    reader = Reader(db)
    [listed] = await reader.all(BY_OWNERS, {"owners": ["am-1"], "not_titled": "Visit 4"})

    row = await reader.live(Note, listed.id)

    assert row is not None and row._asdict() == {
        key: value for key, value in listed._asdict().items() if key != "weight"
    }
    assert await reader.live(Note, uuid.uuid4()) is None


async def test_a_missing_value_is_an_error_not_a_null(db: Database) -> None:
    with pytest.raises(
        SQLAlchemyError, match="A value is required for bind parameter 'not_titled'"
    ):
        await Reader(db).all(BY_OWNERS, {"owners": ["am-1"]})
    with pytest.raises(SQLAlchemyError, match="bind parameter 'owners'"):
        await Reader(db).all(BY_OWNERS, {"not_titled": ""})


async def test_a_failing_statement_raises_what_core_raises_and_the_reader_goes_on(
    db: Database,
) -> None:
    missing = select(column("id")).select_from(table("no_such_table"))
    reader = Reader(db)

    with pytest.raises(DBAPIError) as through_reader:
        await reader.all(missing)
    with pytest.raises(DBAPIError) as through_core:
        await _through_core(db, missing, {})

    assert type(through_reader.value) is type(through_core.value)
    assert "no_such_table" in str(through_reader.value)
    assert len(await reader.all(BY_OWNERS, {"owners": OWNERS, "not_titled": ""})) == 8


async def test_a_connection_lost_mid_statement_is_an_outage_the_next_read_recovers_from(
    db: Database, database_backend: str
) -> None:
    if database_backend != "postgresql":
        pytest.skip("the driver's path and pg_terminate_backend are PostgreSQL's")
    reader = Reader(db)
    sleeping = asyncio.create_task(reader.all(SLEEP, {"seconds": 5}))
    await asyncio.sleep(0.5)

    # The server ends the connection while the statement runs (a restart, a failover).
    async with db.engine.connect() as admin:
        ended = await admin.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE '%pg_sleep%' "
                "AND pid <> pg_backend_pid()"
            )
        )
    assert ended == 1

    with pytest.raises(DBAPIError) as lost:
        await sleeping
    assert lost.value.connection_invalidated  # thrown away, not given back to the pool
    assert unexpected_error(lost.value).status == 503  # an outage, not a bug
    rows = await reader.all(BY_OWNERS, {"owners": OWNERS, "not_titled": ""})
    assert len(rows) == 8  # a new connection, without the service restarting


BACKEND = select(func.pg_backend_pid().label("pid"))
# A column named as no attribute of a named tuple can be: the driver's path does not take it,
# Core runs it.
CORE_ONLY = select(Note.title.label("_title")).where(Note.owner == bindparam("owner"))


async def test_reads_together_read_what_the_reader_reads(db: Database) -> None:
    reader = Reader(db)
    values = {"owners": ["am-1", "am-3"], "not_titled": "Visit 0"}
    alone = [row._asdict() for row in await reader.all(BY_OWNERS, values)]

    async with reader.together() as rows:
        together = [row._asdict() for row in await rows.all(BY_OWNERS, values)]
        first = await rows.one(BY_OWNERS, {"owners": ["am-4"], "not_titled": ""})
        live = await rows.live(Note, first.id)
        twice = await rows.all(CORE_ONLY, {"owner": "am-2"})

    assert together == alone
    assert first.title == "Visit 3" and live.title == "Visit 3"
    assert sorted(row[0] for row in twice) == ["Visit 1", "Visit 5"]


async def test_reads_together_hold_one_connection_until_the_block_ends(
    db: Database, database_backend: str
) -> None:
    if database_backend != "postgresql":
        pytest.skip("the held connection is the driver's path, PostgreSQL's")
    reader = Reader(db)
    pool: Any = db.engine.sync_engine.pool

    async with reader.together() as rows:
        assert pool.checkedout() == 0  # taken by the first read, not before
        backends = {(await rows.one(BACKEND)).pid for _ in range(3)}
        assert pool.checkedout() == 1
        # A statement Core runs gives the held connection back before taking one.
        await rows.all(CORE_ONLY, {"owner": "am-2"})
        assert pool.checkedout() == 0
        backends_after = {(await rows.one(BACKEND)).pid for _ in range(2)}
    assert pool.checkedout() == 0

    assert len(backends) == 1 and len(backends_after) == 1
    with pytest.raises(RuntimeError):
        async with reader.together() as rows:
            await rows.one(BACKEND)
            raise RuntimeError("the route failed")
    assert pool.checkedout() == 0  # given back all the same
