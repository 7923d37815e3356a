"""What every request must be before any route reads it: header fields and a body of bounded
size, and no control characters in its text.

Header fields larger than ``max_request_header_bytes`` together (names, values and their
separators, as on the wire) are a 431 problem. The gateway lets up to 1 MiB of them through to
the service so that the answer is this problem, not its HTTP server's plain-text 431.

A body larger than ``max_request_body_bytes`` (or than the path's own cap in
``request_body_caps``: a catalogue import) is a 413 problem, refused on its ``Content-Length``
before reading, or as soon as a streamed body passes the limit (before, a 10 MB body was read
whole before the route refused it). A NUL or other C0 control character
(tab, line feed and carriage return excepted) in a JSON string, the query string or the path is
a 422 problem: stored, such text breaks the systems Tread's data goes to (CSV, PDF, ERP
exports), and NUL cannot be stored in a PostgreSQL text column at all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tread_shared.errors import Problem, send_problem

# A JSON escape of a control character, preceded by an even number of backslashes (so that
# ``\\u0000``, an escaped backslash followed by "u0000", is not one): \u0000 to \u001f except
# \u0009, \u000a, \u000d; \u007f; and the short forms \b and \f.
_JSON_CONTROL_ESCAPE = re.compile(
    rb"(?:^|[^\\])(?:\\\\)*\\(?:u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|[bf])"
)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def too_large(limit: int) -> Problem:
    return Problem(
        f"The request body is larger than {limit} bytes.",
        status=413,
        slug="payload-too-large",
    )


def headers_too_large(limit: int) -> Problem:
    return Problem(
        f"The request's header fields are larger than {limit} bytes together.",
        status=431,
        slug="header-fields-too-large",
        title="Request Header Fields Too Large",
    )


def control_characters(where: str) -> Problem:
    return Problem(
        f"The {where} contains a control character (NUL, escape…); only tab, line feed and"
        " carriage return are accepted in text.",
        status=422,
        slug="control-character",
        title="Control character refused",
    )


def has_control_escape(body: bytes) -> bool:
    """Whether a JSON document's strings hold a control character other than tab, LF, CR."""
    # Raw C0 bytes are not valid JSON inside strings (the parser refuses them); DEL is.
    return b"\x7f" in body or _JSON_CONTROL_ESCAPE.search(body) is not None


class RequestLimitsMiddleware:
    """ASGI middleware: body size cap and control characters (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_caps: Mapping[str, int] | None = None,
        max_header_bytes: int = 32_768,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_caps = dict(body_caps or {})
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        # "Name: value\r\n" for each field.
        header_bytes = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if header_bytes > self.max_header_bytes:
            await send_problem(send, headers_too_large(self.max_header_bytes), path)
            return
        query = unquote_to_bytes(scope.get("query_string", b""))
        if _CONTROL_BYTES.search(path.encode("utf-8", "surrogateescape")):
            await send_problem(send, control_characters("path"), None)
            return
        if _CONTROL_BYTES.search(query):
            await send_problem(send, control_characters("query string"), path)
            return
        limit = self.body_caps.get(path, self.max_body_bytes)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await send_problem(send, too_large(limit), path)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and not declared:
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        disconnected: Message | None = None
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = message
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await send_problem(send, too_large(limit), path)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b"") and has_control_escape(body):
            await send_problem(send, control_characters("request body"), path)
            return

        body_given = False

        async def replay() -> Message:
            nonlocal body_given
            if disconnected is not None:
                return disconnected
            if body_given:
                return await receive()  # waits for the client to go, as the server would
            body_given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
