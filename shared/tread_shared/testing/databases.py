"""Fresh, migrated databases per test: SQLite files copied from a migrated template, or
PostgreSQL databases cloned from a migrated template database (``CREATE DATABASE … TEMPLATE``)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from tread_shared.db.migrations import upgrade

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a loop of its own, even from inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def migrate_in_thread(migrations_dir: Path, url: str, service: str) -> None:
    """Alembic runs its own event loop: give it a thread, so tests may call this from async code."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(upgrade, migrations_dir, url, service).result()


def _migrations_fingerprint(migrations_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(migrations_dir.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class SqliteDatabases:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.templates: dict[str, Path] = {}

    def create(self, service: str, migrations_dir: Path) -> str:
        template = self.templates.get(service)
        if template is None:
            template = self.root / f"template-{service}.db"
            migrate_in_thread(migrations_dir, f"sqlite+aiosqlite:///{template}", service)
            self.templates[service] = template
        target = self.root / f"{service}-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"

    def drop(self, url: str) -> None:
        database = make_url(url).database
        if database:
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)


class PostgresDatabases:
    """``admin_url``: an SQLAlchemy URL of a database we may connect to, e.g.
    ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.templates: dict[str, str] = {}
        self.created: list[str] = []

    def _url_for(self, database: str) -> str:
        return self.admin_url.set(
            drivername="postgresql+asyncpg", database=database
        ).render_as_string(hide_password=False)

    async def _admin(self, *statements: str) -> None:
        url = self.admin_url.set(drivername="postgresql")
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def create(self, service: str, migrations_dir: Path) -> str:
        template = self.templates.get(service)
        if template is None:
            # One template per test process: pytest-xdist's workers each make their own (one
            # dropping and re-creating a template another clones from would break its clones).
            worker = os.environ.get("PYTEST_XDIST_WORKER", "")
            template = (
                f"tread_tmpl_{service.replace('-', '_')}_{_migrations_fingerprint(migrations_dir)}"
                f"{'_' + worker if worker else ''}"
            )
            run_blocking(self._admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
            run_blocking(self._admin(f'CREATE DATABASE "{template}"'))
            migrate_in_thread(migrations_dir, self._url_for(template), service)
            self.templates[service] = template
        name = f"tread_test_{service.replace('-', '_')}_{uuid.uuid4().hex[:10]}"
        run_blocking(self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self.created.append(name)
        return self._url_for(name)

    def drop(self, url: str) -> None:
        database = make_url(url).database
        if database:
            run_blocking(self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

    def drop_templates(self) -> None:
        statements = [
            f'DROP DATABASE IF EXISTS "{t}" WITH (FORCE)' for t in self.templates.values()
        ]
        if statements:
            run_blocking(self._admin(*statements))
