"""Settings come from the environment, with one prefix per service."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from tread_notes.settings import Settings as NotesSettings


def test_the_service_prefix_sets_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES_DATABASE_URL", "postgresql+asyncpg://notes@db/notes")
    monkeypatch.setenv("NOTES_NATS_URL", "nats://nats-1:4222")
    monkeypatch.setenv("NOTES_CONSUMER_BACKOFF_SECONDS", "[1, 2.5]")
    monkeypatch.setenv("NOTES_EVENTS_ENABLED", "false")

    settings = NotesSettings()

    assert settings.database_url == "postgresql+asyncpg://notes@db/notes"
    assert settings.resolved_database_url == "postgresql+asyncpg://notes@db/notes"
    assert settings.nats_url == "nats://nats-1:4222"
    assert settings.consumer_backoff_seconds == [1.0, 2.5]
    assert settings.events_enabled is False


def test_another_service_s_prefix_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNTS_DATABASE_URL", "postgresql+asyncpg://accounts@db/accounts")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://someone@db/else")
    monkeypatch.delenv("NOTES_DATABASE_URL", raising=False)

    settings = NotesSettings()

    assert settings.database_url == ""
    assert (
        settings.resolved_database_url == f"sqlite+aiosqlite:///{Path.cwd() / 'var' / 'notes.db'}"
    )


@pytest.mark.parametrize(
    ("package", "prefix"),
    [
        ("tread_accounts", "ACCOUNTS"),
        ("tread_actionplans", "ACTIONPLANS"),
        ("tread_contracts", "CONTRACTS"),
        ("tread_market_intel", "MARKET_INTEL"),
        ("tread_reporting", "REPORTING"),
        ("tread_inbox", "INBOX"),
    ],
)
def test_each_tread_service_reads_its_own_prefix(
    monkeypatch: pytest.MonkeyPatch, package: str, prefix: str
) -> None:
    url = f"postgresql+asyncpg://{package}@db/{package}"
    monkeypatch.setenv(f"{prefix}_DATABASE_URL", url)

    settings = importlib.import_module(f"{package}.settings").Settings()

    assert settings.database_url == url
