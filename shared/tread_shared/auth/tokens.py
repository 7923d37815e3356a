"""RS256 JWT verification against a configured public key or a JWKS endpoint.

Only RS256 is accepted: ``alg: none`` and HS256 tokens (even signed with the public key as an
HMAC secret) are refused. ``exp``, ``iss``, ``aud`` and ``sub`` are required.

A client sends the same token with every request until it expires; checking its signature
again each time was a sixth of a simple GET's CPU. A token once verified is remembered (the
exact string, so nothing forged or altered can match it) until it expires, and for at most
``REMEMBER_SECONDS``, so a key withdrawn from the JWKS stops being honoured within a minute."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tread_shared.auth.jwks import JwksKeys
from tread_shared.auth.principal import Principal
from tread_shared.errors import Unauthorized
from tread_shared.settings import ServiceSettings

ALGORITHMS = ["RS256"]
REMEMBER_SECONDS = 60.0
REMEMBERED_TOKENS = 10_000


class VerifiedTokens:
    """The principals of recently verified tokens, each until it lapses; least recently used
    first out beyond ``capacity``."""

    def __init__(self, capacity: int, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.clock = clock
        self._principals: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, token: str) -> Principal | None:
        found = self._principals.get(token)
        if found is None:
            return None
        principal, lapses_at = found
        if self.clock() >= lapses_at:
            del self._principals[token]
            return None
        self._principals.move_to_end(token)
        return principal

    def remember(self, token: str, principal: Principal, lapses_at: float) -> None:
        self._principals[token] = (principal, lapses_at)
        self._principals.move_to_end(token)
        while len(self._principals) > self.capacity:
            self._principals.popitem(last=False)

    def __len__(self) -> int:
        return len(self._principals)


class TokenVerifier:
    """Checks bearer tokens and turns them into a :class:`Principal`."""

    def __init__(
        self,
        *,
        public_key: str | None,
        jwks: JwksKeys | None,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.public_key = public_key
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self.clock = clock
        self.verified = VerifiedTokens(REMEMBERED_TOKENS, clock)
        # Parsed once: PyJWT would parse the PEM again for every token.
        self._public_key = load_pem_public_key(public_key.encode()) if public_key else None

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        """The verifier ``settings`` describe: a JWKS URL if set, else the public key."""
        public_key = settings.jwt_public_key
        if not public_key and settings.jwt_public_key_file:
            public_key = settings.jwt_public_key_file.read_text()
        jwks = None
        if settings.jwt_jwks_url:
            jwks = JwksKeys(
                settings.jwt_jwks_url,
                timeout_seconds=settings.jwt_jwks_timeout_seconds,
                cache_seconds=settings.jwt_jwks_cache_seconds,
                refetch_seconds=settings.jwt_jwks_refetch_seconds,
            )
        return cls(
            public_key=public_key,
            jwks=jwks,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway_seconds=settings.jwt_leeway_seconds,
        )

    @property
    def configured(self) -> bool:
        return bool(self.public_key or self.jwks)

    async def _key_for(self, header: dict[str, Any]) -> Any:
        if self.jwks is not None:
            kid = header.get("kid")
            return await self.jwks.key_for(kid if isinstance(kid, str) else None)
        if self._public_key is not None:
            return self._public_key
        raise Unauthorized("The service has no key to verify tokens with.")

    async def verify(self, token: str) -> Principal:
        """The caller ``token`` names; a 401 problem when it is not one we accept."""
        remembered = self.verified.get(token)
        if remembered is not None:
            return remembered
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is not a JWT.") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized("Only RS256 tokens are accepted.")
        key = await self._key_for(header)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                # Times are checked below, on this verifier's clock and as numbers only.
                options={
                    "require": ["exp", "iss", "aud", "sub"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The token was refused: {exc}") from exc
        expires_at = self._check_times(claims)
        principal = principal_from_claims(claims)
        lapses_at = min(expires_at + self.leeway, self.clock() + REMEMBER_SECONDS)
        self.verified.remember(token, principal, lapses_at)
        return principal

    def _check_times(self, claims: dict[str, Any]) -> float:
        """``exp`` (and ``nbf``, ``iat`` when present) as RFC 7519 NumericDates, against
        :attr:`clock`; returns ``exp``. PyJWT would take ``"exp": "1999999999"`` (a string)."""
        times: dict[str, float] = {}
        for name in ("exp", "nbf", "iat"):
            if name not in claims:
                continue
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Unauthorized(f"The token's {name} claim must be a number of seconds.")
            times[name] = float(value)
        now = self.clock()
        if times["exp"] + self.leeway <= now:
            raise Unauthorized("The token has expired.")
        if "nbf" in times and times["nbf"] - self.leeway > now:
            raise Unauthorized("The token is not valid yet.")
        return times["exp"]


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The :class:`Principal` of verified ``claims``."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise Unauthorized("The token's sub claim must name the caller.")
    roles = claims.get("roles") or []
    territories = claims.get("territories") or []
    if not isinstance(roles, list) or not isinstance(territories, list):
        raise Unauthorized("The roles and territories claims must be lists.")
    return Principal(
        sub=sub,
        name=str(claims.get("name") or ""),
        roles=frozenset(str(r) for r in roles),
        territories=frozenset(str(t) for t in territories),
    )
