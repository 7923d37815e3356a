"""Fakes of the credit and billing systems: real HTTP servers on 127.0.0.1 whose answers and
failures the test controls."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from tread_shared.testing.external_http import ExternalHttpServer, ReceivedRequest, Reply


class FakeSystem:
    """Answers ``GET /customers/{erp}/<resource>`` from ``answers``; ``failure`` (a status)
    or ``delay`` (seconds) make it misbehave; ``stop()`` takes it down."""

    def __init__(self, resource: str) -> None:
        self.answers: dict[str, Any] = {}
        self.failure: int | None = None
        self.delay = 0.0
        self.path = re.compile(rf"^/customers/(?P<erp>[^/]+)/{resource}$")
        self.server = ExternalHttpServer(self._answer)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self.server.requests

    def _answer(self, request: ReceivedRequest) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        match = self.path.match(request.path)
        if self.failure is not None:
            return self._json(self.failure, {"error": "down for maintenance"})
        if match is None or unquote(match["erp"]) not in self.answers:
            return self._json(404, {"error": "unknown customer"})
        return self._json(200, self.answers[unquote(match["erp"])])

    @staticmethod
    def _json(status: int, body: Any) -> Reply:
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def credit_system() -> Iterator[FakeSystem]:
    system = FakeSystem("credit")
    system.server.start()
    yield system
    system.server.stop()


@pytest.fixture
def billing_system() -> Iterator[FakeSystem]:
    system = FakeSystem("open-invoices")
    system.server.start()
    yield system
    system.server.stop()


@pytest.fixture
def settings_overrides(credit_system: FakeSystem, billing_system: FakeSystem) -> dict[str, Any]:
    return {
        "credit_base_url": credit_system.url,
        "credit_api_token": "credit-token",
        "billing_base_url": billing_system.url,
        "billing_api_token": "billing-token",
        "integration_timeout_seconds": 0.5,
        "integration_attempts": 3,
        "integration_backoff_seconds": 0.01,
        "integration_deadline_seconds": 3.0,
        "credit_webhook_secret": "credit-secret",
        "billing_webhook_secret": "billing-secret",
        "case_routing": {"credit": "central-credit", "billing": "central-billing"},
    }
