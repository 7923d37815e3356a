"""Calling the credit and billing systems: base URLs and tokens from settings, timeouts and
retries from the shared HTTP client, and one deadline for the whole call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import quote

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, SecretStr, ValidationError

from tread_accounts.integrations.schemas import CreditPosition, OpenInvoice, OpenInvoices
from tread_accounts.settings import Settings
from tread_shared.http_client import RetryableStatusError, create_client, request_with_retries

M = TypeVar("M", bound=BaseModel)


class SystemUnavailable(Exception):
    """The system did not give a usable answer."""


def _client(base_url: str, token: SecretStr | None, settings: Settings) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None
    return create_client(
        base_url,
        timeout_seconds=settings.integration_timeout_seconds,
        connect_timeout_seconds=settings.integration_connect_timeout_seconds,
        headers=headers,
    )


@dataclass
class ExternalSystems:
    credit: httpx.AsyncClient
    billing: httpx.AsyncClient
    attempts: int
    backoff_seconds: float
    deadline_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ExternalSystems:
        return cls(
            credit=_client(settings.credit_base_url, settings.credit_api_token, settings),
            billing=_client(settings.billing_base_url, settings.billing_api_token, settings),
            attempts=settings.integration_attempts,
            backoff_seconds=settings.integration_backoff_seconds,
            deadline_seconds=settings.integration_deadline_seconds,
        )

    async def close(self) -> None:
        await self.credit.aclose()
        await self.billing.aclose()

    async def _get(self, client: httpx.AsyncClient, path: str, model: type[M]) -> M:
        try:
            response = await asyncio.wait_for(
                request_with_retries(
                    client,
                    "GET",
                    path,
                    attempts=self.attempts,
                    backoff_seconds=self.backoff_seconds,
                ),
                timeout=self.deadline_seconds,
            )
        except TimeoutError as exc:
            raise SystemUnavailable(f"no answer within {self.deadline_seconds}s") from exc
        except (httpx.HTTPError, RetryableStatusError) as exc:
            raise SystemUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise SystemUnavailable(f"answered {response.status_code}")
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise SystemUnavailable(
                f"answered something unexpected: {exc.error_count()} errors"
            ) from exc

    async def credit_position(self, erp_customer_id: str) -> CreditPosition:
        path = f"/customers/{quote(erp_customer_id, safe='')}/credit"
        return await self._get(self.credit, path, CreditPosition)

    async def open_invoices(self, erp_customer_id: str) -> list[OpenInvoice]:
        path = f"/customers/{quote(erp_customer_id, safe='')}/open-invoices"
        return (await self._get(self.billing, path, OpenInvoices)).items


async def external_systems(request: Request) -> ExternalSystems:
    systems: ExternalSystems = request.app.state.external_systems
    return systems


Systems = Annotated[ExternalSystems, Depends(external_systems)]


def with_external_systems(app: FastAPI, settings: Settings) -> FastAPI:
    """Open the clients of both systems with the service, close them when it stops."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            app_.state.external_systems = ExternalSystems.from_settings(settings)
            try:
                yield
            finally:
                await app_.state.external_systems.close()

    app.router.lifespan_context = lifespan
    return app
