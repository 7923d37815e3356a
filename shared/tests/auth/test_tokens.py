"""Only well-formed RS256 tokens from our issuer, for our audience, still valid, are accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from tread_shared.auth.dev_keys import generate_key_pair
from tread_shared.testing.http import assert_problem

KeyPair = tuple[str, str]
OTHER_PRIVATE_KEY, _ = generate_key_pair()


def _claims(**changes: Any) -> dict[str, Any]:
    """Claims of a valid token; a change to ``None`` leaves that claim out."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "am-0042",
        "name": "Anna Berg",
        "roles": ["account_manager"],
        "territories": ["north"],
        "iss": "tread-dev",
        "aud": "tread",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A token built by hand, as an attacker would (PyJWT refuses to make these)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if secret is None:
        return signing_input + "."
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


TokenMaker = Callable[[KeyPair], str]

REFUSED: dict[str, TokenMaker] = {
    "alg-none": lambda keys: _forged({"alg": "none", "typ": "JWT"}, _claims(), None),
    "hs256-signed-with-the-public-key": lambda keys: _forged(
        {"alg": "HS256", "typ": "JWT"}, _claims(), keys[1].encode()
    ),
    "rs384": lambda keys: jwt.encode(_claims(), keys[0], algorithm="RS384"),
    "signed-by-another-key": lambda keys: jwt.encode(_claims(), OTHER_PRIVATE_KEY, "RS256"),
    "signature-altered": lambda keys: jwt.encode(_claims(), keys[0], "RS256")[:-6] + "AAAAAA",
    "claims-altered": lambda keys: ".".join(
        [
            (parts := jwt.encode(_claims(), keys[0], "RS256").split("."))[0],
            _b64(json.dumps(_claims(roles=["admin"])).encode()),
            parts[2],
        ]
    ),
    "expired": lambda keys: jwt.encode(_claims(exp=int(time.time()) - 120), keys[0], "RS256"),
    "wrong-issuer": lambda keys: jwt.encode(_claims(iss="someone-else"), keys[0], "RS256"),
    "wrong-audience": lambda keys: jwt.encode(_claims(aud="billing"), keys[0], "RS256"),
    "no-exp": lambda keys: jwt.encode(_claims(exp=None), keys[0], "RS256"),
    "no-iss": lambda keys: jwt.encode(_claims(iss=None), keys[0], "RS256"),
    "no-aud": lambda keys: jwt.encode(_claims(aud=None), keys[0], "RS256"),
    "no-sub": lambda keys: jwt.encode(_claims(sub=None), keys[0], "RS256"),
    "exp-as-a-string": lambda keys: jwt.encode(
        _claims(exp=str(int(time.time()) + 600)), keys[0], "RS256"
    ),
    "exp-as-true": lambda keys: jwt.encode(_claims(exp=True), keys[0], "RS256"),
    "empty-sub": lambda keys: jwt.encode(_claims(sub=""), keys[0], "RS256"),
    "blank-sub": lambda keys: jwt.encode(_claims(sub="   "), keys[0], "RS256"),
    "roles-not-a-list": lambda keys: jwt.encode(_claims(roles="admin"), keys[0], "RS256"),
    "not-a-jwt": lambda keys: "tyres",
}


@pytest.mark.parametrize("make_token", REFUSED.values(), ids=REFUSED.keys())
async def test_a_refused_token_is_a_401_problem_with_a_bearer_challenge(
    notes: httpx.AsyncClient, jwt_key_pair: KeyPair, make_token: TokenMaker
) -> None:
    token = make_token(jwt_key_pair)

    response = await notes.get("/v1/notes", headers={"Authorization": f"Bearer {token}"})

    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_valid_rs256_token_is_accepted(
    notes: httpx.AsyncClient, jwt_key_pair: KeyPair
) -> None:
    token = jwt.encode(_claims(), jwt_key_pair[0], algorithm="RS256")

    response = await notes.get("/v1/notes", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text


async def test_a_token_expired_within_the_leeway_is_still_accepted(
    notes: httpx.AsyncClient, jwt_key_pair: KeyPair
) -> None:
    """Clocks drift by a few seconds between the identity provider and us."""
    token = jwt.encode(_claims(exp=int(time.time()) - 5), jwt_key_pair[0], algorithm="RS256")

    response = await notes.get("/v1/notes", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
