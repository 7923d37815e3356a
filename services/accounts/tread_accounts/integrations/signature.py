"""``Tread-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.

Each system signs with its own secret. Several ``v1`` values may be sent (while a secret is
being rotated): one matching is enough. A timestamp more than the tolerance away from our clock
is refused, so a captured request cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from tread_shared.errors import Unauthorized

HEADER = "Tread-Signature"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value for ``body`` (what the credit and billing systems send)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _refused(detail: str) -> Unauthorized:
    return Unauthorized(detail, slug="invalid-signature", headers={})


def verify(header: str | None, body: bytes, secret: str | None, *, tolerance_seconds: int) -> None:
    """Accept the request or raise a 401 problem."""
    if not secret:
        raise _refused("Webhooks from this system are not configured (no secret).")
    if not header:
        raise _refused(f"The {HEADER} header is missing.")
    timestamps: list[int] = []
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            # ASCII digits only: str.isdigit() also takes "²", which int() then refuses.
            if not _UNIX_SECONDS.fullmatch(value):
                raise _refused("The signature's timestamp must be unix seconds.")
            timestamps.append(int(value))
        elif key == "v1" and value:
            candidates.append(value)
    # Exactly one t=: with two, which one was signed is the attacker's choice.
    if len(timestamps) != 1 or not candidates:
        raise _refused(f"The {HEADER} header must be t=<unix seconds>,v1=<hex>.")
    (timestamp,) = timestamps
    if abs(time.time() - timestamp) > tolerance_seconds:
        raise _refused("The signature's timestamp is too far from now.")
    expected = sign(body, secret, timestamp).partition("v1=")[2]
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise _refused("The signature does not match the body.")
