"""The pytest plugin every Tread test suite uses (registered as ``tread`` in ``pytest11``).

Environment:
- ``TREAD_TEST_POSTGRES_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``):
  databases are PostgreSQL, cloned from a migrated template and emptied between tests (a test
  sees no other test's rows); else SQLite files copied from a migrated one.
- ``TREAD_TEST_NATS_URL``: the NATS server to use; else one is started from the wheel.
Each test gets its own stream and subject root, so tests never see each other's events.
Systems outside Tread are faked by real HTTP servers (``external_http_server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
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
from tread_shared.testing.external_http import ExternalHttpServer, Handler
from tread_shared.testing.http import Caller
from tread_shared.testing.nats_server import NatsServer
from tread_shared.testing.reused_postgres import ReusedPostgresDatabases

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
) -> Iterator[SqliteDatabases | ReusedPostgresDatabases]:
    postgres_url = os.environ.get("TREAD_TEST_POSTGRES_URL")
    if postgres_url:
        pool = ReusedPostgresDatabases(PostgresDatabases(postgres_url))
        yield pool
        pool.close()
    else:
        yield SqliteDatabases(tmp_path_factory.mktemp("databases"))


@pytest.fixture
def make_database(
    _database_pool: SqliteDatabases | ReusedPostgresDatabases,
) -> Iterator[Callable[[str, Path], str]]:
    """``make_database(service, migrations_dir)`` → the URL of a fresh, migrated database."""
    created: list[tuple[str, Path, str]] = []

    def create(service: str, migrations_dir: Path) -> str:
        url = _database_pool.create(service, migrations_dir)
        created.append((service, migrations_dir, url))
        return url

    yield create
    for service, migrations_dir, url in created:
        if isinstance(_database_pool, ReusedPostgresDatabases):
            _database_pool.release(service, migrations_dir, url)
        else:
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
def caller(token_factory: Callable[..., str]) -> Callable[..., Caller]:
    """``caller("account_manager", sub="am-1", territories=[...])`` → a :class:`Caller` whose
    headers carry a token with those roles."""

    def make(*roles: str, sub: str, territories: list[str] | None = None) -> Caller:
        token = token_factory(*roles, sub=sub, territories=territories or [])
        return Caller(sub=sub, headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture(scope="session")
def make_caller(token_factory: Callable[..., str]) -> Callable[..., Caller]:
    """``make_caller(*roles, sub=..., territories=[...])`` → a :class:`Caller` whose headers
    carry a valid token (``sub`` is made up when not given)."""

    def make(*roles: str, sub: str | None = None, territories: list[str] | None = None) -> Caller:
        sub = sub or f"user-{uuid.uuid4().hex[:8]}"
        token = token_factory(*roles, sub=sub, territories=territories or [])
        return Caller(sub=sub, headers={"Authorization": f"Bearer {token}"})

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
            # Hundreds of apps start in one test process: no collection and freeze at each.
            "gc_gen0_threshold": 0,
            **event_namespace,
        }
        values.update(overrides)
        if "database_url" not in values:
            values["database_url"] = make_database(service, migrations_dir)
        return settings_class(**values)

    return build


@pytest.fixture
def external_http_server() -> Iterator[Callable[..., ExternalHttpServer]]:
    """``external_http_server(handler, listening=True)`` → a real HTTP server on 127.0.0.1
    answering ``handler(request) -> (status, headers, body)``; stopped after the test."""
    servers: list[ExternalHttpServer] = []

    def start(handler: Handler, *, listening: bool = True) -> ExternalHttpServer:
        server = ExternalHttpServer(handler)
        servers.append(server)
        if listening:
            server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@contextlib.asynccontextmanager
async def serve_in_process(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan (relay, consumers) and give a client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def ready_answer(client: httpx.AsyncClient, within: float = 10.0) -> httpx.Response:
    """``/readyz`` once it answers 200 (the broker connects in the background), or its last
    answer after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        answer = await client.get("/readyz")
        if answer.status_code == 200 or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.02)
