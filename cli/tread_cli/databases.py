"""Where each service keeps its data: a SQLite file under ``var/`` (the embedded default) or a
database of its own on a PostgreSQL server, created when missing; and bringing them to head."""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from tread_cli.services import Service

DEFAULT_DATABASE_PREFIX = "tread_"


class MigrationFailed(RuntimeError):
    """A database could not be created or brought to head."""


def sqlite_url(var_dir: Path, service: Service) -> str:
    return f"sqlite+aiosqlite:///{var_dir.resolve() / (service.database_name + '.db')}"


def _server_url(postgres: str) -> URL:
    url = make_url(postgres)
    if not url.drivername.startswith("postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {postgres}")
    return url


def postgres_url(postgres: str, service: Service, prefix: str = DEFAULT_DATABASE_PREFIX) -> str:
    """The service's own database on the server ``postgres`` points at (``tread_accounts`` …)."""
    url = _server_url(postgres).set(
        drivername="postgresql+asyncpg", database=prefix + service.database_name
    )
    return url.render_as_string(hide_password=False)


def database_urls(
    services: Iterable[Service],
    var_dir: Path,
    postgres: str | None = None,
    prefix: str = DEFAULT_DATABASE_PREFIX,
) -> dict[str, str]:
    if postgres:
        return {s.name: postgres_url(postgres, s, prefix) for s in services}
    return {s.name: sqlite_url(var_dir, s) for s in services}


def create_postgres_databases(postgres: str, urls: Iterable[str]) -> list[str]:
    """Create the databases that do not exist yet; returns the names created."""
    names = [make_url(u).database or "" for u in urls]
    try:
        return asyncio.run(_create_missing(postgres, names))
    except (OSError, asyncpg.PostgresError) as exc:
        where = _server_url(postgres).render_as_string(hide_password=True)
        raise MigrationFailed(f"cannot create the databases on {where}: {exc}") from exc


async def _create_missing(postgres: str, names: list[str]) -> list[str]:
    # Connect to the database the URL names, else to the maintenance database.
    server = _server_url(postgres)
    server = server.set(drivername="postgresql", database=server.database or "postgres")
    connection = await asyncpg.connect(server.render_as_string(hide_password=False))
    created = []
    try:
        for name in names:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                quoted = name.replace('"', '""')
                await connection.execute(f'CREATE DATABASE "{quoted}"')
                created.append(name)
    finally:
        await connection.close()
    return created


def migrate(services: Iterable[Service], urls: dict[str, str], log_dir: Path) -> None:
    """``python -m tread_<service> migrate`` for every service at once; each has its own
    database, so they do not wait for each other."""
    log_dir.mkdir(parents=True, exist_ok=True)
    running: list[tuple[Service, Path, subprocess.Popen[bytes]]] = []
    for service in services:
        log_path = log_dir / f"migrate-{service.name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", service.package, "migrate"],
                env={**os.environ, **service.env(database_url=urls[service.name])},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running.append((service, log_path, process))
    failures = []
    for service, log_path, process in running:
        if process.wait() != 0:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
            failures.append(f"{service.name} (log {log_path}):\n{tail}")
    if failures:
        raise MigrationFailed("migration failed for " + "\n".join(failures))


def new_revision(service: Service, database_url: str, message: str, log_dir: Path) -> Path:
    """Autogenerate the next migration of ``service`` from the difference between its models
    and its database, brought to head first. Returns the new file."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from tread_shared.db.migrations import alembic_config

    migrate([service], {service.name: database_url}, log_dir)
    migrations_dir: Path = importlib.import_module(service.package).MIGRATIONS_DIR
    config = alembic_config(migrations_dir, database_url, service.name)
    head = ScriptDirectory.from_config(config).get_current_head()
    # Revisions here are numbered (0001, 0002 …): keep counting.
    rev_id = f"{int(head) + 1:04d}" if head and head.isdigit() else None
    script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
