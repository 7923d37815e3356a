"""The fixtures a service's tests start from, the same in every service:

- ``settings_overrides``: ``{}``; a test module overrides it to change the service's settings;
- ``settings``: the service's settings on a fresh database, this test's event namespace and the
  test identity provider, with the service's ``defaults`` and then the overrides;
- ``app``: the service built from them;
- ``client``: an HTTP client of the service running in-process (lifespan, relay, consumers).

In a service's ``tests/conftest.py``::

    settings_overrides, settings, app, client = service_fixtures(
        Settings, MIGRATIONS_DIR, create_app, schedule_enabled=False
    )
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_shared.settings import ServiceSettings
from tread_shared.testing.plugin import serve_in_process


def service_fixtures(
    settings_class: type[ServiceSettings],
    migrations_dir: Path,
    create_app: Callable[[Any], FastAPI],
    **defaults: Any,
) -> tuple[Any, Any, Any, Any]:
    """``settings_overrides``, ``settings``, ``app`` and ``client`` fixtures for a service."""

    @pytest.fixture(name="settings_overrides")
    def settings_overrides() -> dict[str, Any]:
        return {}

    @pytest.fixture(name="settings")
    def settings(
        make_settings: Callable[..., Any], settings_overrides: dict[str, Any]
    ) -> ServiceSettings:
        built: ServiceSettings = make_settings(
            settings_class, migrations_dir, **{**defaults, **settings_overrides}
        )
        return built

    @pytest.fixture(name="app")
    def app(settings: ServiceSettings) -> FastAPI:
        return create_app(settings)

    @pytest.fixture(name="client")
    async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
        async with serve_in_process(app) as running:
            yield running

    return settings_overrides, settings, app, client
