"""Keys from the identity provider's JWKS, served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import RSAAlgorithm
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.auth.dev_keys import generate_key_pair
from tread_shared.testing.external_http import ExternalHttpServer, ReceivedRequest, Reply
from tread_shared.testing.http import assert_problem
from tread_shared.testing.plugin import serve_in_process

KeyPair = tuple[str, str]
ROTATED_PRIVATE_KEY, ROTATED_PUBLIC_KEY = generate_key_pair()


def _jwk(public_pem: str, kid: str) -> dict[str, Any]:
    key = load_pem_public_key(public_pem.encode())
    assert isinstance(key, RSAPublicKey)
    return {**RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}


def _token(private_pem: str, kid: str | None) -> str:
    now = int(time.time())
    claims = {
        "sub": "am-0042",
        "roles": ["account_manager"],
        "iss": "tread-dev",
        "aud": "tread",
        "exp": now + 600,
    }
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, private_pem, algorithm="RS256", headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class IdentityProvider:
    """What the JWKS endpoint publishes, changeable during the test."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        # Cleared by a test: the provider hangs until it is set again.
        self.answering = threading.Event()
        self.answering.set()

    def __call__(self, request: ReceivedRequest) -> Reply:
        self.answering.wait(timeout=30)
        body = json.dumps({"keys": self.keys}).encode()
        return 200, {"Content-Type": "application/json"}, body


@pytest.fixture
def provider(jwt_key_pair: KeyPair) -> IdentityProvider:
    return IdentityProvider([_jwk(jwt_key_pair[1], "k1")])


@pytest.fixture
def jwks_server(
    provider: IdentityProvider, external_http_server: Callable[..., ExternalHttpServer]
) -> ExternalHttpServer:
    return external_http_server(provider)


@pytest.fixture
def serve_with_jwks(
    make_settings: Callable[..., Any], jwks_server: ExternalHttpServer
) -> Callable[..., Any]:
    """``async with serve_with_jwks(**settings)`` → a client of the sample service verifying
    tokens against the JWKS server only (no public key configured)."""

    def serve(**overrides: Any) -> Any:
        settings = make_settings(
            NotesSettings,
            MIGRATIONS_DIR,
            jwt_public_key=None,
            jwt_jwks_url=f"{jwks_server.url}/.well-known/jwks.json",
            events_enabled=False,
            **overrides,
        )
        return serve_in_process(create_app(settings))

    return serve


async def test_a_token_whose_kid_the_provider_lists_is_accepted(
    serve_with_jwks: Callable[..., Any], jwks_server: ExternalHttpServer, jwt_key_pair: KeyPair
) -> None:
    async with serve_with_jwks() as notes:
        for _ in range(3):
            response = await notes.get("/v1/notes", headers=_bearer(_token(jwt_key_pair[0], "k1")))
            assert response.status_code == 200, response.text

    # Fetched once, then cached.
    assert [r.path for r in jwks_server.requests] == ["/.well-known/jwks.json"]


@pytest.mark.parametrize("kid", ["k9", None], ids=["unknown-kid", "no-kid"])
async def test_a_token_whose_kid_the_provider_does_not_list_is_refused(
    serve_with_jwks: Callable[..., Any], jwt_key_pair: KeyPair, kid: str | None
) -> None:
    async with serve_with_jwks() as notes:
        response = await notes.get("/v1/notes", headers=_bearer(_token(jwt_key_pair[0], kid)))

    assert_problem(response, 401, "unauthorized")


async def test_a_listed_kid_with_another_key_s_signature_is_refused(
    serve_with_jwks: Callable[..., Any],
) -> None:
    async with serve_with_jwks() as notes:
        response = await notes.get("/v1/notes", headers=_bearer(_token(ROTATED_PRIVATE_KEY, "k1")))

    assert_problem(response, 401, "unauthorized")


async def test_unknown_kids_do_not_make_us_fetch_the_keys_again_and_again(
    serve_with_jwks: Callable[..., Any], jwks_server: ExternalHttpServer
) -> None:
    async with serve_with_jwks(jwt_jwks_refetch_seconds=60) as notes:
        for n in range(5):
            forged = _bearer(_token(ROTATED_PRIVATE_KEY, f"made-up-{n}"))
            assert (await notes.get("/v1/notes", headers=forged)).status_code == 401

    assert len(jwks_server.requests) == 1


async def test_a_key_the_provider_rotates_in_is_picked_up(
    serve_with_jwks: Callable[..., Any],
    provider: IdentityProvider,
    jwks_server: ExternalHttpServer,
    jwt_key_pair: KeyPair,
) -> None:
    async with serve_with_jwks(jwt_jwks_refetch_seconds=0) as notes:
        first = await notes.get("/v1/notes", headers=_bearer(_token(jwt_key_pair[0], "k1")))
        provider.keys = [_jwk(ROTATED_PUBLIC_KEY, "k2")]
        rotated = await notes.get("/v1/notes", headers=_bearer(_token(ROTATED_PRIVATE_KEY, "k2")))

    assert (first.status_code, rotated.status_code) == (200, 200)
    assert len(jwks_server.requests) == 2


async def test_a_hanging_provider_costs_one_timeout_and_never_blocks_other_requests(
    serve_with_jwks: Callable[..., Any],
    provider: IdentityProvider,
    jwks_server: ExternalHttpServer,
    jwt_key_pair: KeyPair,
) -> None:
    provider.answering.clear()  # hangs until the end of the test
    try:
        async with serve_with_jwks(jwt_jwks_timeout_seconds=0.5) as notes:
            verified = asyncio.gather(
                *(
                    notes.get("/v1/notes", headers=_bearer(_token(jwt_key_pair[0], "k1")))
                    for _ in range(3)
                )
            )
            await asyncio.sleep(0.05)
            health = await notes.get("/healthz")
            answered_meanwhile = not verified.done()
            answers = await verified
    finally:
        provider.answering.set()

    # All answered while the provider still hung: nobody waited for it, only for the timeout.
    assert health.status_code == 200 and answered_meanwhile
    for answer in answers:
        problem = assert_problem(answer, 503, "identity-provider-unavailable")
        assert answer.headers["retry-after"]
        assert problem["request_id"]
    assert len(jwks_server.requests) == 1, "one fetch timed out for all three requests"
