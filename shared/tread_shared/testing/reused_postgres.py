"""PostgreSQL test databases handed from one test to the next, emptied in between."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from tread_shared.testing.databases import PostgresDatabases, run_blocking


class ReusedPostgresDatabases:
    """Cloning a PostgreSQL database from its template takes about half a second, and dropping
    it as long; emptying one takes a few milliseconds. So a database a test is done with is
    emptied (every table truncated but Alembic's version) and given to the next test of the same
    service — unless the test changed its schema, in which case it is dropped."""

    def __init__(self, pool: PostgresDatabases) -> None:
        self.pool = pool
        self.free: dict[tuple[str, Path], list[str]] = {}
        self.schemas: dict[tuple[str, Path], str] = {}

    def create(self, service: str, migrations_dir: Path) -> str:
        key = (service, migrations_dir)
        free = self.free.get(key)
        if free:
            return free.pop()
        url = self.pool.create(service, migrations_dir)
        if key not in self.schemas:
            self.schemas[key] = run_blocking(_schema_fingerprint(url))
        return url

    def release(self, service: str, migrations_dir: Path, url: str) -> None:
        key = (service, migrations_dir)
        try:
            reusable = run_blocking(_empty(url, self.pool.admin_url, self.schemas[key]))
        except Exception:  # noqa: BLE001 - whatever went wrong, a fresh clone is safe
            reusable = False
        if reusable:
            self.free.setdefault(key, []).append(url)
        else:
            self.pool.drop(url)

    def close(self) -> None:
        for urls in self.free.values():
            for url in urls:
                self.pool.drop(url)
        self.pool.drop_templates()


def _asyncpg_dsn(url: str | URL) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _schema_fingerprint_of(connection: asyncpg.Connection) -> str:
    return str(
        await connection.fetchval(
            """
            SELECT md5(coalesce(string_agg(part, ',' ORDER BY part), ''))
            FROM (
                SELECT table_name || '.' || column_name || ':' || data_type AS part
                FROM information_schema.columns WHERE table_schema = 'public'
                UNION ALL
                SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
            ) AS schema_parts
            """
        )
    )


async def _schema_fingerprint(url: str) -> str:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return await _schema_fingerprint_of(connection)
    finally:
        await connection.close()


async def _empty(url: str, admin_url: URL, schema: str) -> bool:
    """Empty the database at ``url``; ``False`` when its schema is no longer the migrated one."""
    database = make_url(url).database
    admin = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        # Connections a test left open would hold locks the TRUNCATE waits for.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        if await _schema_fingerprint_of(connection) != schema:
            return False
        tables = await connection.fetch(
            "SELECT quote_ident(tablename) AS name FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename NOT LIKE 'alembic_version%'"
        )
        if tables:
            names = ", ".join(row["name"] for row in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return True
    finally:
        await connection.close()
