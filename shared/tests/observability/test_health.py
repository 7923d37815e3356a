"""``/healthz`` says the process answers; ``/readyz`` whether its database and broker do."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import outbox_events
from tread_shared.testing.http import Caller
from tread_shared.testing.nats_server import free_port
from tread_shared.testing.plugin import ready_answer, serve_in_process


async def test_a_service_with_its_database_and_broker_is_healthy_and_ready(
    notes: httpx.AsyncClient, notes_settings: NotesSettings
) -> None:
    health = await notes.get("/healthz")
    ready = await ready_answer(notes)

    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "service": "notes",
        "instance": notes_settings.instance_id,
    }
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers, like a database host gone dark."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def _unreachable_database(kind: str, tmp_path: Path, silent_port: int) -> str:
    if kind == "sqlite-path-is-a-directory":
        (tmp_path / "notes.db").mkdir()
        return f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    if kind == "postgresql-refusing":
        return f"postgresql+asyncpg://tread@127.0.0.1:{free_port()}/notes"
    return f"postgresql+asyncpg://tread@127.0.0.1:{silent_port}/notes"


@pytest.mark.parametrize(
    "kind", ["sqlite-path-is-a-directory", "postgresql-refusing", "postgresql-silent"]
)
async def test_without_its_database_the_service_runs_but_is_not_ready(
    make_settings: Callable[..., Any], tmp_path: Path, silent_port: int, kind: str
) -> None:
    settings = make_settings(
        NotesSettings,
        MIGRATIONS_DIR,
        database_url=_unreachable_database(kind, tmp_path, silent_port),
        readiness_timeout_seconds=0.3,
    )
    async with serve_in_process(create_app(settings)) as notes:
        health = await notes.get("/healthz")
        started = time.monotonic()
        ready = await notes.get("/readyz")
        elapsed = time.monotonic() - started

    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["status"] == "not-ready"
    assert ready.json()["checks"]["database"].startswith("error: ")
    assert elapsed < 1.0


async def test_without_the_broker_the_service_is_not_ready_but_still_takes_writes(
    make_settings: Callable[..., Any], author: Caller
) -> None:
    settings = make_settings(
        NotesSettings, MIGRATIONS_DIR, nats_url=f"nats://127.0.0.1:{free_port()}"
    )
    async with serve_in_process(create_app(settings)) as notes:
        ready = await notes.get("/readyz")
        for_the_gateway = await notes.get("/readyz?broker=optional")
        written = await notes.post(
            "/v1/notes", json={"title": "Winter stock check"}, headers=author.headers
        )

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "broker": "unavailable"}
    # The gateway keeps the replica in rotation: its writes wait in the outbox.
    assert for_the_gateway.status_code == 200
    assert for_the_gateway.json()["checks"] == {"database": "ok", "broker": "unavailable"}
    assert written.status_code == 201, written.text
    db = Database(settings.resolved_database_url)
    try:
        async with db.unit_of_work() as session:
            rows = (await session.execute(select(outbox_events))).all()
    finally:
        await db.dispose()
    # The event waits in the outbox for the broker to come back.
    [row] = [r for r in rows if r.entity_id == written.json()["id"]]
    assert (row.type, row.state) == ("tread.notes.note.created.v1", "pending")
