"""Alembic helpers: one ``env.py`` body for every service, programmatic upgrade, and the
platform tables each service's first migration creates."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from tread_shared.db.engine import is_sqlite
from tread_shared.db.platform_tables import platform_metadata


def alembic_config(migrations_dir: Path, database_url: str, service: str) -> Config:
    """An Alembic config for a service's ``migrations/`` folder and database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("version_table", f"alembic_version_{service.replace('-', '_')}")
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    config.set_section_option("post_write_hooks", "hooks", "ruff")
    config.set_section_option("post_write_hooks", "ruff.type", "module")
    config.set_section_option("post_write_hooks", "ruff.module", "ruff")
    config.set_section_option("post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME")
    return config


def upgrade(migrations_dir: Path, database_url: str, service: str, revision: str = "head") -> None:
    """Bring a service's database to ``revision`` (``head`` by default)."""
    if is_sqlite(database_url):
        from sqlalchemy.engine import make_url

        db = make_url(database_url).database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(migrations_dir, database_url, service), revision)


def run_alembic_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or ""
    version_table = config.get_main_option("version_table") or "alembic_version"
    metadata = [target_metadata, platform_metadata]
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table": version_table,
        "render_as_batch": is_sqlite(url),
        "compare_type": True,
    }

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
            await connection.commit()
        await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async())
        return
    raise RuntimeError("run migrations outside the event loop (use asyncio.to_thread)")


def create_platform_tables(connection: Connection) -> None:
    """Create the outbox, relay lease, inbox and idempotency tables (first migration)."""
    platform_metadata.create_all(connection)


def drop_platform_tables(connection: Connection) -> None:
    platform_metadata.drop_all(connection)
