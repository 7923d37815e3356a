"""The library's HTTP side under test: the sample service ``tread_notes`` (``sample_app/``), built
only from ``tread_shared``, run in-process on the test's database and NATS."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

# The sample service is laid out like a real one (migrations/ beside its package), not installed.
sys.path.insert(0, str(Path(__file__).resolve().parent / "sample_app"))

from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.testing.http import Caller
from tread_shared.testing.plugin import serve_in_process


@pytest.fixture
def notes_settings(make_settings: Callable[..., Any]) -> NotesSettings:
    settings: NotesSettings = make_settings(NotesSettings, MIGRATIONS_DIR)
    return settings


@pytest.fixture
def notes_app(notes_settings: NotesSettings) -> FastAPI:
    return create_app(notes_settings)


@pytest.fixture
async def notes(notes_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running sample service."""
    async with serve_in_process(notes_app) as client:
        yield client


@pytest.fixture
def author(make_caller: Callable[..., Caller]) -> Caller:
    """An account manager: may write notes."""
    return make_caller("account_manager")


@pytest.fixture
def write_note(notes: httpx.AsyncClient) -> Callable[..., Awaitable[httpx.Response]]:
    """``await write_note(caller, title=..., **fields)`` → the 201 answer of ``POST /v1/notes``."""

    async def write(
        caller: Caller, title: str = "Winter stock check", **fields: Any
    ) -> httpx.Response:
        response = await notes.post(
            "/v1/notes", json={"title": title, **fields}, headers=caller.headers
        )
        assert response.status_code == 201, response.text
        return response

    return write
