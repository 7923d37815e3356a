"""The pytest plugin every Tread test suite uses (registered as ``tread`` in ``pytest11``).

Environment:
- ``TREAD_TEST_POSTGRES_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``):
  databases are PostgreSQL, cloned per test from a migrated template; else SQLite files.
- ``TREAD_TEST_NATS_URL``: the NATS server to use; else one is started from the wheel.
Each test gets its own stream and subject root, so tests never see each other's events.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
import pytest
from fastapi import FastAPI

from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.settings import ServiceSettings
from tread_shared.testing.databases import PostgresDatabases, SqliteDatabases, run_blocking
from tread_shared.testing.nats_server import NatsServer

S = TypeVar("S", bound=ServiceSettings)

ROLES = (
    "account_manager",
    "key_account_manager",
    "district_manager",
    "central",
    "admin",
    "integration",
)


@pytest.fixture(scope="session")
def database_backend() -> str:
    return "postgresql" if os.environ.get("TREAD_TEST_POSTGRES_URL") else "sqlite"


@pytest.fixture(scope="session")
def _database_pool(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    postgres_url = os.environ.get("TREAD_TEST_POSTGRES_URL")
    if postgres_url:
        pool = PostgresDatabases(postgres_url)
        yield pool
        pool.drop_templates()
    else:
        yield SqliteDatabases(tmp_path_factory.mktemp("databases"))


@pytest.fixture
def make_database(
    _database_pool: SqliteDatabases | PostgresDatabases,
) -> Iterator[Callable[[str, Path], str]]:
    """``make_database(service, migrations_dir)`` → the URL of a fresh, migrated database."""
    created: list[str] = []

    def create(service: str, migrations_dir: Path) -> str:
        url = _database_pool.create(service, migrations_dir)
        created.append(url)
        return url

    yield create
    for url in created:
        _database_pool.drop(url)


@pytest.fixture(scope="session")
def jwt_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of the test identity provider."""
    return generate_key_pair()


@pytest.fixture(scope="session")
def token_factory(jwt_key_pair: tuple[str, str]) -> Callable[..., str]:
    """``token_factory(role, sub=..., territories=[...], name=...)`` → a valid bearer token."""

    def make(
        *roles: str,
        sub: str | None = None,
        territories: list[str] | None = None,
        name: str = "",
        **kwargs: Any,
    ) -> str:
        return mint_token(
            jwt_key_pair[0],
            sub=sub or f"user-{uuid.uuid4().hex[:8]}",
            roles=list(roles),
            territories=territories or [],
            name=name,
            **kwargs,
        )

    return make


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shared NATS server of the run (system one when TREAD_TEST_NATS_URL is set)."""
    external = os.environ.get("TREAD_TEST_NATS_URL")
    if external:
        yield external
        return
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A private NATS server the test may stop and restart."""
    server = NatsServer(tmp_path / "nats-store")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def event_namespace(nats_url: str) -> Iterator[dict[str, str]]:
    """A stream and subject root of this test's own; deleted afterwards."""
    suffix = uuid.uuid4().hex[:10]
    namespace = {"nats_stream": f"T{suffix.upper()}", "nats_subject_root": f"t{suffix}"}
    yield namespace

    async def cleanup() -> None:
        with contextlib.suppress(Exception):
            nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
            js = nc.jetstream()
            for stream in (namespace["nats_stream"], f"{namespace['nats_stream']}_DEADLETTER"):
                with contextlib.suppress(Exception):
                    await js.delete_stream(stream)
            await nc.close()

    run_blocking(cleanup())


@pytest.fixture
def make_settings(
    make_database: Callable[[str, Path], str],
    nats_url: str,
    event_namespace: dict[str, str],
    jwt_key_pair: tuple[str, str],
) -> Callable[..., Any]:
    """``make_settings(SettingsClass, migrations_dir, **overrides)`` → settings on a fresh
    database, this test's event namespace and the test identity provider."""

    def build(settings_class: type[S], migrations_dir: Path, **overrides: Any) -> S:
        service = settings_class.model_fields["service_name"].default
        values: dict[str, Any] = {
            "nats_url": nats_url,
            "jwt_public_key": jwt_key_pair[1],
            "log_json": False,
            "relay_poll_seconds": 0.05,
            "consumer_heartbeat_seconds": 0.5,
            "consumer_backoff_seconds": [0.05, 0.1, 0.2],
            **event_namespace,
        }
        values.update(overrides)
        if "database_url" not in values:
            values["database_url"] = make_database(service, migrations_dir)
        return settings_class(**values)

    return build


@contextlib.asynccontextmanager
async def serve_in_process(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan (relay, consumers) and give a client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
