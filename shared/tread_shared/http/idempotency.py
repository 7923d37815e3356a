"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second effect.

Keys are stored per service and per caller (the token's ``sub``). A replay answers the stored
response with ``Idempotent-Replayed: true``; the same key with another body is 422; the same key
while the first request is still running is 409. Server errors (5xx) are not stored, so the
client may retry them. A request that died mid-way frees its key after ``lock_seconds``; a key
is forgotten ``ttl_hours`` after its first use.

The answer is stored after the request's own transaction has committed. So that a process dying
between the two cannot let a retry run the request again, ``DbSession`` marks the key
``committed`` inside the request's transaction (:func:`mark_committed`): a retry then finds the
effect done but its answer lost, and gets a 409 saying so instead of a second effect."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tread_shared.auth.tokens import TokenVerifier
from tread_shared.clock import as_utc, utcnow
from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import idempotency_keys
from tread_shared.db.upsert import insert_on_conflict
from tread_shared.errors import Conflict, Problem, Unprocessable, send_problem

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
# Where the middleware leaves (principal, key) for DbSession to mark in the request's transaction.
CLAIM_STATE = "idempotency_claim"
MAX_KEY_LENGTH = 200
_REPLAYED_HEADERS = {"content-type", "etag", "location"}


class IdempotencyMiddleware:
    """ASGI middleware; reads ``app.state.db`` and ``app.state.token_verifier``."""

    def __init__(self, app: ASGIApp, *, lock_seconds: int = 60, ttl_hours: int = 24) -> None:
        self.app = app
        self.lock_seconds = lock_seconds
        self.ttl_hours = ttl_hours

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_raw = headers.get(HEADER)
        if key_raw is None:
            await self.app(scope, receive, send)
            return
        key = key_raw.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            problem = Problem(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                slug="invalid-idempotency-key",
            )
            await send_problem(send, problem, scope["path"])
            return
        principal = await _caller(scope, headers)
        if principal is None:
            # Not authenticated: let the route answer 401; nothing to remember.
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        digest = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        db: Database = scope["app"].state.db
        try:
            stored = await self._claim(db, principal, key, scope, digest)
        except Problem as problem:
            await send_problem(send, problem, scope["path"])
            return
        if stored is not None:
            await _replay(send, stored)
            return
        scope.setdefault("state", {})[CLAIM_STATE] = (principal, key)

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        body_sent = False

        async def replay_receive() -> Message:
            nonlocal body_sent
            if body_sent:
                return await receive()  # waits for the client to disconnect, as the server would
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            await self._finish(db, principal, key, captured)

    async def _claim(
        self, db: Database, principal: str, key: str, scope: Scope, digest: str
    ) -> dict[str, Any] | None:
        """Take the key for this request (``None``), or the stored answer to replay.

        Never lets an insert fail: a failed statement aborts a PostgreSQL transaction, so the
        row is inserted with ``ON CONFLICT DO NOTHING`` and taken over with conditional
        updates, and whoever loses a race simply reads the winner's row."""
        now = utcnow()
        claim = {
            "method": scope["method"],
            "path": scope["path"],
            "request_hash": digest,
            "state": "in_progress",
            "status_code": None,
            "response_headers": None,
            "response_body": None,
            "created_at": now,
            "locked_until": now + timedelta(seconds=self.lock_seconds),
        }
        this_key = (idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
        forgotten_before = now - timedelta(hours=self.ttl_hours)
        for _attempt in range(3):
            async with db.unit_of_work() as session:
                if await _insert_if_absent(
                    session, db, {"principal": principal, "key": key, **claim}
                ):
                    return None
                row = (await session.execute(select(idempotency_keys).where(*this_key))).first()
                if row is None:
                    continue  # freed by a failed first request since our insert: try again
                if as_utc(row.created_at) < forgotten_before:
                    # Kept past its time to live: the key is new again.
                    taken = idempotency_keys.c.created_at < forgotten_before
                    if await _take_over(session, (*this_key, taken), claim):
                        return None
                    continue
                if row.request_hash != digest:
                    raise Unprocessable(
                        "This Idempotency-Key was used with another request; use a new key.",
                        slug="idempotency-key-reused",
                    )
                if row.state == "committed":
                    raise Conflict(
                        "The request with this Idempotency-Key was carried out, but its answer "
                        "was lost; read the resource to see the result.",
                        slug="idempotent-request-completed",
                    )
                if row.state == "completed":
                    return {
                        "status": row.status_code,
                        "headers": row.response_headers or [],
                        "body": row.response_body or b"",
                    }
                abandoned = (
                    idempotency_keys.c.state == "in_progress",
                    idempotency_keys.c.locked_until <= now,
                )
                if as_utc(row.locked_until) <= now and await _take_over(
                    session, (*this_key, *abandoned), claim
                ):
                    return None
                raise Conflict(
                    "A request with this Idempotency-Key is still running; retry later.",
                    slug="idempotency-key-in-use",
                    headers={"Retry-After": "1"},
                )
        raise Conflict("Could not claim the Idempotency-Key; retry.", slug="idempotency-key-in-use")

    async def _finish(
        self, db: Database, principal: str, key: str, captured: dict[str, Any]
    ) -> None:
        row_filter = (idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
        try:
            async with db.unit_of_work() as session:
                if captured["status"] >= 500:
                    # Free the key for a retry, unless the request's effect committed.
                    not_done = idempotency_keys.c.state == "in_progress"
                    await session.execute(delete(idempotency_keys).where(*row_filter, not_done))
                    return
                kept = [
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in captured["headers"]
                    if name.decode("latin-1").lower() in _REPLAYED_HEADERS
                ]
                await session.execute(
                    update(idempotency_keys)
                    .where(*row_filter)
                    .values(
                        state="completed",
                        status_code=captured["status"],
                        response_headers=kept,
                        response_body=captured["body"],
                    )
                )
        except Exception:
            log.exception("could not store the idempotent response for key %s", key)


async def mark_committed(session: AsyncSession, claim: tuple[str, str]) -> None:
    """In the request's own transaction: its effect is being committed under this key."""
    principal, key = claim
    await session.execute(
        update(idempotency_keys)
        .where(
            idempotency_keys.c.principal == principal,
            idempotency_keys.c.key == key,
            idempotency_keys.c.state == "in_progress",
        )
        .values(state="committed")
    )


async def _insert_if_absent(session: AsyncSession, db: Database, values: dict[str, Any]) -> bool:
    statement = (
        insert_on_conflict(db.engine.dialect.name, idempotency_keys)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    return (await session.execute(statement)).first() is not None


async def _take_over(
    session: AsyncSession, condition: tuple[ColumnElement[bool], ...], claim: dict[str, Any]
) -> bool:
    statement = (
        update(idempotency_keys).where(*condition).values(**claim).returning(idempotency_keys.c.key)
    )
    return (await session.execute(statement)).first() is not None


async def _caller(scope: Scope, headers: dict[bytes, bytes]) -> str | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    verifier: TokenVerifier = scope["app"].state.token_verifier
    try:
        principal = await verifier.verify(token.strip())
    except Problem:
        return None
    return principal.sub


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(send: Send, stored: dict[str, Any]) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored["headers"]]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(stored["body"])).encode()))
    await send({"type": "http.response.start", "status": stored["status"], "headers": headers})
    await send({"type": "http.response.body", "body": stored["body"]})
