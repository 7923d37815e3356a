"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second effect.

Keys are stored per service and per caller (the token's ``sub``). A replay answers the stored
response with ``Idempotent-Replayed: true``; the same key with another body is 422; the same key
while the first request is still running in the same process is 409 (``Retry-After: 1``).
Server errors (5xx) are not stored, so the client may retry them. A key is forgotten
``ttl_hours`` after its first use.

**The answer is stored in the transaction of the effect, and its INSERT decides.** For a route
that takes ``DbSession``, the middleware holds the request's unit of work open until the
route's answer is complete, writes the key's row with that answer into the same transaction
(an INSERT that takes the place of a row past its time to live, or left in progress by an
earlier version of this code), commits, and only then sends the answer (a failed commit is an
error answer, and nothing is stored). So the row exists exactly when the effect does: a retry
after any crash either finds the original answer or runs the request for the first time.

The key is not looked at before the route runs: that look was a round trip of every keyed
write (a twelfth of a keyed ``POST /v1/accounts``), for the rare retry. The route's events are
held for the answer's INSERT (:func:`~tread_shared.events.outbox.hold_events`) and written in
its statement on PostgreSQL: a keyed ``POST /v1/accounts`` is BEGIN, the account, the answer
with the event, COMMIT. A retry of an answered
request runs the route again, in its transaction; its answer's INSERT then meets the stored row
(the primary key), the retry's effect is rolled back and the stored answer replayed — or 422 if
the key was used for another request. Should the route fail with a server error this time, the
stored answer is replayed all the same. Two requests with one key at the same moment: in one
process the second is refused at once (the set of keys in flight); on two replicas
(PostgreSQL) the second's INSERT waits for the first's transaction, then finds its row and
replays its answer, or, if the first rolled back, stores its own. Nothing is written before
the commit, so a process that dies mid-request leaves nothing behind. Routes run before their
key is known to be new must keep every effect in the request's transaction (the outbox, not a
call to another system): every POST route here does.

A route that writes without ``DbSession`` has a stored answer looked up before it runs
(:func:`look_up_answer`), and its answer stored in a transaction of its own after the route's:
a crash in between loses that answer (the retry runs again)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tread_shared.auth.tokens import TokenVerifier
from tread_shared.clock import as_utc, utcnow
from tread_shared.db.engine import Database
from tread_shared.db.in_transaction import fetch_in
from tread_shared.db.platform_tables import idempotency_keys
from tread_shared.db.upsert import insert_on_conflict
from tread_shared.errors import Conflict, Problem, Unprocessable, send_problem, unexpected_error
from tread_shared.events.outbox import hold_events, insert_with_held_events

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
# Where the middleware leaves the request's :class:`Claim` for ``DbSession``.
CLAIM_STATE = "idempotency_claim"
MAX_KEY_LENGTH = 200
_REPLAYED_HEADERS = {"content-type", "etag", "location"}


# The statements of a keyed request, built once (their values bound per request): SQLAlchemy
# then finds each compiled form by a cache key memoized on the statement, and on PostgreSQL
# those of the unit of work run on the driver, compiled once (``fetch_in``, ``execute_in``).
_THE_KEY = and_(
    idempotency_keys.c.principal == bindparam("principal"),
    idempotency_keys.c.key == bindparam("key"),
)
_KEY_ROW = select(idempotency_keys).where(_THE_KEY)


def _store_answer(dialect: str) -> Any:
    """The answer's INSERT: a row of the key past its time to live (``forgotten_before``), or
    left in progress by an earlier version of this code, is replaced; a live one is left as it
    is (no row inserted: the caller replays it)."""
    statement = insert_on_conflict(dialect, idempotency_keys).values(
        {column.key: bindparam(column.key, type_=column.type) for column in idempotency_keys.c}
    )
    stored = idempotency_keys.c
    return statement.on_conflict_do_update(
        index_elements=[stored.principal, stored.key],
        set_={
            column.key: statement.excluded[column.key]
            for column in idempotency_keys.c
            if not column.primary_key
        },
        where=or_(stored.created_at < bindparam("forgotten_before"), stored.state == "in_progress"),
    )


_STORE_ANSWER = {dialect: _store_answer(dialect) for dialect in ("postgresql", "sqlite")}


def _in_use() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still running; retry later.",
        slug="idempotency-key-in-use",
        headers={"Retry-After": "1"},
    )


def _reused() -> Unprocessable:
    return Unprocessable(
        "This Idempotency-Key was used with another request; use a new key.",
        slug="idempotency-key-reused",
    )


@dataclass
class Claim:
    """One keyed request: who, which key, what was sent, and the unit of work it runs in."""

    principal: str
    key: str
    method: str
    path: str
    digest: str
    forgotten_before: Any
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    session: AsyncSession | None = None
    failed: bool = False
    # Refused because of the key itself (in use, reused, lost): that answer is not stored.
    refused: bool = False
    # The stored answer found (by ``look_up_answer``, or when the answer was to be stored):
    # replayed instead of the route's.
    replay: dict[str, Any] | None = None
    # The key found used for another request when the answer was to be stored: answered
    # instead.
    refusal: Problem | None = None

    @property
    def the_key(self) -> dict[str, str]:
        return {"principal": self.principal, "key": self.key}

    async def open(self, db: Database) -> AsyncSession:
        """The request's unit of work, committed by the middleware with the answer once it is
        known. Opened once: a second call answers the same session."""
        if self.session is None:
            self.session = await self.stack.enter_async_context(db.unit_of_work())
            # The route's events go in with the answer's INSERT: one round trip less.
            hold_events(self.session)
        return self.session

    async def replay_stored(self, session: AsyncSession) -> bool:
        """After the request's effect was rolled back: the answer stored under the key becomes
        the one to give (or the problem of a key used for another request); whether there is
        one."""
        rows = await fetch_in(session, _KEY_ROW, self.the_key)
        try:
            self.replay = _live_answer(rows[0] if rows else None, self)
        except Problem as problem:
            self.refusal = problem
        return self.replay is not None or self.refusal is not None


async def look_up_answer(db: Database, claim: Claim) -> None:
    """For a route that does not open its claim (no ``DbSession``): a stored answer stops the
    route before it starts, with a refusal the middleware replaces by the stored answer."""
    try:
        stored = await _stored_answer(db, claim)
    except Problem:
        claim.refused = True
        raise
    if stored is not None:
        claim.refused = True
        claim.replay = stored
        raise _in_use()


class IdempotencyMiddleware:
    """ASGI middleware; reads ``app.state.db`` and ``app.state.token_verifier``.

    ``routes_take_the_key``: every POST route of the app is a
    :class:`~tread_shared.db.session.ServiceRoute` (a :class:`~tread_shared.app.ServiceApp`
    checks), whose answer's INSERT finds a stored answer (or which looks before running, for a
    route without ``DbSession``); the middleware then does not look before calling the app (a
    round trip of every keyed POST). An answer given without a route (none matched) finds the
    stored one when it is to be stored, and that one is replayed."""

    def __init__(
        self, app: ASGIApp, *, ttl_hours: int = 24, routes_take_the_key: bool = False
    ) -> None:
        self.app = app
        self.ttl_hours = ttl_hours
        self.routes_take_the_key = routes_take_the_key
        self._in_flight: set[tuple[str, str]] = set()

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
        claim = Claim(
            principal,
            key,
            scope["method"],
            scope["path"],
            digest,
            forgotten_before=utcnow() - timedelta(hours=self.ttl_hours),
        )
        if (principal, key) in self._in_flight:
            await send_problem(send, _in_use(), scope["path"])
            return
        self._in_flight.add((principal, key))
        try:
            await self._serve(db, claim, scope, body, receive, send)
        finally:
            self._in_flight.discard((principal, key))

    async def _serve(
        self, db: Database, claim: Claim, scope: Scope, body: bytes, receive: Receive, send: Send
    ) -> None:
        if not self.routes_take_the_key:
            try:
                stored = await _stored_answer(db, claim)
            except Problem as problem:
                await send_problem(send, problem, scope["path"])
                return
            if stored is not None:
                await _replay(send, stored)
                return
        scope.setdefault("state", {})[CLAIM_STATE] = claim

        answer: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        body_sent = False

        async def replay_receive() -> Message:
            nonlocal body_sent
            if body_sent:
                return await receive()  # waits for the client to disconnect, as the server would
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def hold_back(message: Message) -> None:
            # Kept until the answer is stored with the effect, then sent (see _send_answer).
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        app_raised = False
        try:
            async with claim.stack:
                try:
                    await self.app(scope, replay_receive, hold_back)
                except BaseException:
                    app_raised = claim.failed = True
                    raise
                await self._store(db, claim, answer)
            # Leaving the stack committed the effect and its answer, together.
        except Exception as exc:
            if app_raised:
                if claim.session is None or not await self._replay_after_failure(
                    db, claim, exc, scope, send
                ):
                    raise
                return
            # Storing or committing failed: nothing was kept; say so instead of the answer.
            log.warning("idempotent request not committed (key %s): %s", claim.key, exc)
            await send_problem(send, unexpected_error(exc), scope["path"])
            return
        if claim.replay is not None:
            await _replay(send, claim.replay)
        elif claim.refusal is not None:
            await send_problem(send, claim.refusal, scope["path"])
        else:
            await _send_answer(send, answer)

    async def _replay_after_failure(
        self, db: Database, claim: Claim, exc: Exception, scope: Scope, send: Send
    ) -> bool:
        """A retry of an answered request whose route failed this time (its effect rolled
        back with the unit of work): the stored answer, if there is one, is still the one to
        give; whether it was given."""
        try:
            stored = await _stored_answer(db, claim)
        except Problem as problem:  # the key was used for another request
            await send_problem(send, problem, scope["path"])
            return True
        if stored is None:
            return False
        log.warning(
            "a retried request failed (key %s), its stored answer given: %r", claim.key, exc
        )
        await _replay(send, stored)
        return True

    async def _store(self, db: Database, claim: Claim, answer: dict[str, Any]) -> None:
        session = claim.session
        if claim.refused:
            if session is not None:
                await session.rollback()
            return
        if answer["status"] >= 500:
            # Not remembered, and nothing of the request is kept: the retry runs for real. A
            # retry of an answered request that failed this time gets the stored answer.
            if session is not None:
                await session.rollback()
                await claim.replay_stored(session)
            return
        if session is not None and claim.failed:
            await session.rollback()  # a refused request (4xx): its answer alone is kept
        kept = [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, value in answer["headers"]
            if name.decode("latin-1").lower() in _REPLAYED_HEADERS
        ]
        now = utcnow()
        row = {
            "principal": claim.principal,
            "key": claim.key,
            "method": claim.method,
            "path": claim.path,
            "request_hash": claim.digest,
            "state": "completed",
            "status_code": answer["status"],
            "response_headers": kept,
            "response_body": answer["body"],
            "created_at": now,
            "locked_until": now,
            "forgotten_before": claim.forgotten_before,
        }
        statement = _STORE_ANSWER[db.engine.dialect.name]
        if session is not None:
            if await insert_with_held_events(session, statement, row) == 0:
                # The key has a live answer: a retry of an answered request, or a request with
                # the key that committed first (another replica). This request's effect is
                # undone and that answer replayed (422 if the key was for another request).
                await session.rollback()
                if not await claim.replay_stored(session):
                    # Left by an earlier version of this code: effects without their answer.
                    claim.refusal = Conflict(
                        "The request with this Idempotency-Key was carried out, but its answer "
                        "was lost; read the resource to see the result.",
                        slug="idempotent-request-completed",
                    )
            return
        # The route wrote (if at all) in transactions of its own: the answer follows them.
        async with db.unit_of_work() as own:
            stored = await own.execute(statement, row)
        if stored.rowcount == 0:  # type: ignore[attr-defined]  # a CursorResult
            # An answer given without a claim (no route matched; a route without DbSession
            # whose key was answered meanwhile) to a key that has one stored: that one it is.
            try:
                claim.replay = await _stored_answer(db, claim)
            except Problem as problem:
                claim.refusal = problem


async def _stored_answer(db: Database, claim: Claim) -> dict[str, Any] | None:
    """The answer stored under the claim's key, ``None`` if there is none (or it is past its
    time to live); a 422 problem if the key was used for another request."""
    async with db.reading() as connection:
        row = (await connection.execute(_KEY_ROW, claim.the_key)).first()
    return _live_answer(row, claim)


def _live_answer(row: Any, claim: Claim) -> dict[str, Any] | None:
    if row is None or row.state != "completed" or as_utc(row.created_at) < claim.forgotten_before:
        return None
    if row.request_hash != claim.digest:
        raise _reused()
    return _answer_of(row)


def _answer_of(row: Any) -> dict[str, Any]:
    return {
        "status": row.status_code,
        "headers": row.response_headers or [],
        "body": row.response_body or b"",
    }


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


async def _send_answer(send: Send, answer: dict[str, Any]) -> None:
    await send(
        {"type": "http.response.start", "status": answer["status"], "headers": answer["headers"]}
    )
    await send({"type": "http.response.body", "body": answer["body"]})


async def _replay(send: Send, stored: dict[str, Any]) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored["headers"]]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(stored["body"])).encode()))
    await send({"type": "http.response.start", "status": stored["status"], "headers": headers})
    await send({"type": "http.response.body", "body": stored["body"]})
