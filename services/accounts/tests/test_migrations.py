"""The migrations build exactly the tables the models describe, and undo cleanly."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tread_accounts import MIGRATIONS_DIR
from tread_accounts.models import Base
from tread_shared.db.migrations import alembic_config
from tread_shared.db.platform_tables import platform_metadata


async def _differences(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": "alembic_version_accounts"}
        )
        return list(compare_metadata(context, [Base.metadata, platform_metadata]))  # type: ignore[arg-type]

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def _in_thread(function: Callable[..., None], *args: Any) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(function, *args).result()


async def test_head_matches_the_models_and_downgrades_to_nothing(
    make_database: Callable[[str, Path], str],
) -> None:
    url = make_database("accounts", MIGRATIONS_DIR)
    assert await _differences(url) == []
    config = alembic_config(MIGRATIONS_DIR, url, "accounts")
    _in_thread(command.downgrade, config, "0001")
    _in_thread(command.upgrade, config, "head")
    assert await _differences(url) == []
