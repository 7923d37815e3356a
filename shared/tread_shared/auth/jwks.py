"""Signing keys published by an identity provider as a JWKS document, fetched without blocking.

Keys are cached by ``kid``. The document is fetched again when the cache is old, or when a token
names a ``kid`` we do not know (the provider rotated its keys) — but at most once per
``refetch_seconds``, so tokens with made-up ``kid`` values cannot make us hammer the provider.
Every fetch has a timeout; concurrent requests share one fetch."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt

from tread_shared.errors import Problem, Unauthorized

log = logging.getLogger(__name__)


class JwksKeys:
    """The RS256 public keys at ``url``, by ``kid``."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 2.0,
        cache_seconds: float = 300.0,
        refetch_seconds: float = 10.0,
    ) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.cache_seconds = cache_seconds
        self.refetch_seconds = refetch_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock: asyncio.Lock | None = None

    async def key_for(self, kid: str | None) -> Any:
        """The public key named ``kid``; 401 when the provider does not publish it, 503 when
        its keys could never be fetched."""
        if not kid:
            raise Unauthorized("The token names no signing key (kid).")
        if self._since(self._attempted_at) >= self.refetch_seconds and (
            self._since(self._fetched_at) > self.cache_seconds or kid not in self._keys
        ):
            await self._refresh()
        if self._fetched_at is None:
            raise Problem(
                "The identity provider's keys cannot be fetched; retry shortly.",
                status=503,
                slug="identity-provider-unavailable",
                headers={"Retry-After": str(max(1, round(self.refetch_seconds)))},
            )
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized(
                "The token is signed with a key the identity provider does not list."
            )
        return key

    @staticmethod
    def _since(moment: float | None) -> float:
        return float("inf") if moment is None else time.monotonic() - moment

    async def _refresh(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        attempted_before = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted_before:
                return  # another request fetched while this one waited
            self._attempted_at = time.monotonic()
            try:
                self._keys = await self._fetch()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                # Keep verifying with the keys we had, if any; try again after refetch_seconds.
                log.warning("JWKS at %s not usable: %s", self.url, exc)
                return
            self._fetched_at = self._attempted_at

    async def _fetch(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
            response = await client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        keys: dict[str, Any] = {}
        for jwk in jwt.PyJWKSet.from_dict(document).keys:
            if jwk.key_id and jwk.key_type == "RSA" and jwk.algorithm_name == "RS256":
                keys[jwk.key_id] = jwk.key
        return keys
