"""A verified token is remembered until it lapses; nothing else ever matches it."""

from __future__ import annotations

import time

import jwt
import pytest

from tread_shared.auth.dev_keys import generate_key_pair, mint_token
from tread_shared.auth.principal import Principal
from tread_shared.auth.tokens import REMEMBER_SECONDS, TokenVerifier, VerifiedTokens
from tread_shared.errors import Unauthorized


class Clock:
    """The verifier's clock: stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))
        self.offset = 0.0

    def __call__(self) -> float:
        return self.now + self.offset


def verifier_for(public_pem: str, clock: Clock, leeway: int = 30) -> TokenVerifier:
    return TokenVerifier(
        public_key=public_pem,
        jwks=None,
        issuer="tread-dev",
        audience="tread",
        leeway_seconds=leeway,
        clock=clock,
    )


async def test_a_key_withdrawn_stops_being_honoured_once_the_memory_lapses() -> None:
    private, public = generate_key_pair()
    _, replacement = generate_key_pair()
    clock = Clock()
    verifier = verifier_for(public, clock)
    token = mint_token(private, sub="am-lucas", roles=["account_manager"])

    assert (await verifier.verify(token)).sub == "am-lucas"
    verifier._public_key = verifier_for(replacement, clock)._public_key  # the key is rotated
    assert (await verifier.verify(token)).sub == "am-lucas", "remembered for a while"

    clock.offset = REMEMBER_SECONDS + 1
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


async def test_an_expired_token_is_not_answered_from_memory() -> None:
    private, public = generate_key_pair()
    clock = Clock()
    verifier = verifier_for(public, clock, leeway=0)
    claims = {"sub": "am-lucas", "roles": [], "iss": "tread-dev", "aud": "tread"}
    token = jwt.encode({**claims, "exp": int(clock()) + 1}, private, algorithm="RS256")

    assert (await verifier.verify(token)).sub == "am-lucas"
    clock.offset = 1
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(token)


async def test_a_refused_token_is_not_remembered() -> None:
    private, public = generate_key_pair()
    verifier = verifier_for(public, Clock())
    token = mint_token(private, sub="am-lucas", roles=["account_manager"])
    altered = token[:-6] + "AAAAAA"

    with pytest.raises(Unauthorized):
        await verifier.verify(altered)
    assert len(verifier.verified) == 0
    await verifier.verify(token)
    with pytest.raises(Unauthorized):
        await verifier.verify(altered)


def test_memory_is_bounded_least_recently_used_out_first() -> None:
    memory = VerifiedTokens(capacity=2, clock=time.time)
    later = time.time() + 60
    for name in ("a", "b"):
        memory.remember(name, Principal(sub=name), later)
    assert memory.get("a") is not None  # "a" used: "b" is now the least recent
    memory.remember("c", Principal(sub="c"), later)

    assert len(memory) == 2
    assert memory.get("b") is None
    assert memory.get("a") is not None and memory.get("c") is not None
