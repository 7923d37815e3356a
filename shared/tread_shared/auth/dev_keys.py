"""A development key pair and token minting, for local runs and tests only."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tread_shared.clock import utcnow


def generate_key_pair() -> tuple[str, str]:
    """A fresh RSA key pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure_dev_key_pair(directory: Path) -> tuple[Path, Path]:
    """The development key pair under ``directory`` (created on first use)."""
    private_path = directory / "dev-jwt-private.pem"
    public_path = directory / "dev-jwt-public.pem"
    if not (private_path.exists() and public_path.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_key_pair()
        private_path.write_text(private_pem)
        private_path.chmod(0o600)
        public_path.write_text(public_pem)
    return private_path, public_path


@functools.lru_cache(maxsize=8)
def _signing_key(private_pem: str) -> rsa.RSAPrivateKey:
    """The key loaded once: loading a PEM checks the key, about 0.1 s a time, which tests minting
    nine tokens a test paid on every one."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the development signing key must be an RSA key")
    return key


def mint_token(
    private_pem: str,
    *,
    sub: str,
    roles: Iterable[str],
    territories: Iterable[str] = (),
    name: str = "",
    issuer: str = "tread-dev",
    audience: str = "tread",
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """An RS256 token with Tread's claims, signed with ``private_pem``."""
    now = utcnow()
    claims = {
        "sub": sub,
        "name": name or sub,
        "roles": list(roles),
        "territories": list(territories),
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _signing_key(private_pem), algorithm="RS256")
