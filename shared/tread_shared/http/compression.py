"""Answers compressed with gzip for clients that accept it: Starlette's ``GZipMiddleware``, with
the answers of every other client passed on as they are sent.

Starlette answers a client that does not accept gzip through an identity responder: it holds
each answer's first message until its body comes, parses its headers into a mapping, and adds
``Vary: Accept-Encoding`` to an answer it could have compressed (22 us of a GET by id's 350 in
process, for one header). Here that header is added to the first message as it passes, decided
from the headers the answer starts with: the same header on the same answers (a body of
``minimum_size`` or more, or one whose length is not known yet; not a partial answer, one with
an encoding of its own, or one of a type never compressed). A client that accepts gzip gets
Starlette's own responder for every answer but those whose length, known from their start, is
under ``minimum_size``: Starlette sends those as they are, and so does this, without holding
them."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.types import Message, Receive, Scope, Send

_ACCEPT_ENCODING = b"accept-encoding"
_VARY = (b"vary", b"Accept-Encoding")


class Compression(GZipMiddleware):
    """``GZipMiddleware`` that passes answers to clients not accepting gzip straight on."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _accepts_gzip(scope):
            await self._gzipped(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start" and self._could_compress(message):
                message["headers"] = [*message.get("headers", ()), _VARY]
            await send(message)

        await self.app(scope, receive, send_with_vary)

    async def _gzipped(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette's responder, made when an answer starts that it may compress.
        responder: GZipResponder | None = None
        as_is = False

        async def send_gzipped(message: Message) -> None:
            nonlocal responder, as_is
            if as_is:
                await send(message)
                return
            if responder is None:
                if message["type"] == "http.response.start" and _length(message) < (
                    self.minimum_size
                ):
                    as_is = True
                    await send(message)
                    return
                responder = GZipResponder(
                    self.app,
                    self.minimum_size,
                    compresslevel=self.compresslevel,
                    thread_minimum_size=self.thread_minimum_size,
                    exclude_content_types=self.exclude_content_types,
                )
                responder.send = send
            await responder.send_with_compression(message)

        await self.app(scope, receive, send_gzipped)

    def _could_compress(self, start: Message) -> bool:
        if start["status"] == 206:
            return False
        length: int | None = None
        for name, value in start.get("headers", ()):
            name = name.lower()
            if name == b"content-encoding":
                return False
            if name == b"content-length":
                length = int(value)
            elif name == b"content-type":
                media_type = value.decode("latin-1").partition(";")[0].strip().lower()
                kinds = {media_type, media_type.partition("/")[0] + "/*"}
                if media_type.startswith("application/grpc+"):
                    kinds.add("application/grpc")
                if not kinds.isdisjoint(self.exclude_content_types):
                    return False
        return length is None or length >= self.minimum_size


def _length(start: Message) -> float:
    """The body's length as the answer's start gives it (infinite when it does not)."""
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-length":
            return int(value)
    return float("inf")


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name.lower() == _ACCEPT_ENCODING and b"gzip" in value:
            return True
    return False
