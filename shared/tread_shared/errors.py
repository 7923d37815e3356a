"""RFC 9457 problem details for every error, validation and unknown routes included.

Raise :class:`Problem` (or one of its subclasses) from anywhere in a request; it becomes an
``application/problem+json`` answer. A database that cannot be reached or is overloaded is a
503 with ``Retry-After``; anything else unexpected becomes a plain 500 problem with no stack
trace in the body (the trace goes to the log with the request id)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sql_errors
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Send

from tread_shared.context import request_id_var
from tread_shared.db.admission import DatabaseBusy

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class ValidationIssue(BaseModel):
    """One field the server could not accept."""

    location: list[str] = Field(description='Where the value is, e.g. ["body", "title"]')
    message: str
    type: str = Field(description="A stable code for the kind of error, e.g. missing")


class ProblemDocument(BaseModel):
    """An RFC 9457 problem: what every Tread error answer looks like."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A URN naming the kind of problem: urn:tread:problem:<slug>")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(None, description="The path of the request")
    request_id: str | None = Field(None, description="Quote it when reporting the error")
    errors: list[ValidationIssue] | None = Field(
        None, description="The fields refused (validation problems only)"
    )


class Problem(Exception):
    """An error the client can act on. ``extra`` members are added to the document."""

    status: int = 400
    slug: str = "bad-request"
    title: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        slug: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or "")
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        if title is not None:
            self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def document(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:tread:problem:{self.slug}",
            "title": self.title or HTTPStatus(self.status).phrase,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        request_id = request_id_var.get()
        if request_id:
            body["request_id"] = request_id
        body.update(self.extra)
        return body


class NotFound(Problem):
    status, slug = 404, "not-found"


class Conflict(Problem):
    status, slug = 409, "conflict"


class Unprocessable(Problem):
    status, slug = 422, "unprocessable"


class Unauthorized(Problem):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="tread"'})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status, slug = 403, "forbidden"


class PreconditionFailed(Problem):
    status, slug = 412, "precondition-failed"


class PreconditionRequired(Problem):
    status, slug = 428, "precondition-required"


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    """The HTTP answer carrying ``problem``."""
    return JSONResponse(
        problem.document(request.url.path if request else None),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


# Errors that say the database is away or overloaded, not that the request or the code is wrong:
# a refused or lost connection, a pool or queue wait that ran out, SQLite's "database is locked".
DATABASE_UNAVAILABLE = (
    DatabaseBusy,
    ConnectionError,
    sql_errors.TimeoutError,
    sql_errors.OperationalError,
    sql_errors.InterfaceError,
    sql_errors.DisconnectionError,
)
RETRY_AFTER_SECONDS = 2


def database_unavailable() -> Problem:
    """A database outage or overload: the client should retry, and may (nothing was changed)."""
    return Problem(
        "The service's database is unavailable or overloaded; nothing was changed. "
        "Retry in a moment.",
        status=503,
        slug="database-unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def database_is_unavailable(exc: BaseException) -> bool:
    """``exc`` says the database is away or overloaded (:data:`DATABASE_UNAVAILABLE`), or is
    any driver error on a connection SQLAlchemy took for lost and threw away (a connection
    the server ended in the middle of a statement: a restart, a failover)."""
    if isinstance(exc, sql_errors.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, DATABASE_UNAVAILABLE)


def unexpected_error(exc: BaseException) -> Problem:
    """The answer to an exception no route turned into a problem: 503 for the database being
    away (:func:`database_is_unavailable`), else the 500 of a bug."""
    if database_is_unavailable(exc):
        return database_unavailable()
    return internal_error()


def internal_error() -> Problem:
    """The only thing a client learns of a bug: no exception text, no stack trace."""
    return Problem(
        "An unexpected error occurred; it has been logged with the request id.",
        status=500,
        slug="internal-error",
    )


async def send_problem(send: Send, problem: Problem, instance: str | None = None) -> None:
    """Answer ``problem`` from ASGI middleware (outside FastAPI's exception handlers)."""
    body = json.dumps(problem.document(instance)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in problem.headers.items()
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    429: "too-many-requests",
    431: "header-fields-too-large",
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        errors.append(
            {
                "location": [str(part) for part in error.get("loc", ())],
                "message": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
        )
    return errors


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _scope = route.matches(request.scope)
        if match != Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` an RFC 9457 document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers or {})
        if status == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}"
        if status == 405:
            # Starlette names only the methods of the first route matching the path.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        problem = Problem(
            detail, status=status, slug=_HTTP_SLUGS.get(status, "http-error"), headers=headers
        )
        return problem_response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            problem = Problem(
                "The request body is not valid JSON.",
                status=400,
                slug="malformed-json",
                title="Malformed JSON",
                errors=errors,
            )
        else:
            problem = Problem(
                "The request does not match the expected shape.",
                status=422,
                slug="validation-error",
                title="Validation failed",
                errors=errors,
            )
        return problem_response(problem, request)

    @app.exception_handler(StaleDataError)
    async def _lost_update(request: Request, exc: StaleDataError) -> JSONResponse:
        # Two writers passed the If-Match check at once; the version column stopped the second.
        problem = PreconditionFailed(
            "The resource changed while your change was being saved; read it again and retry."
        )
        return problem_response(problem, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Reached only without RequestContextMiddleware, which answers bugs inside the request.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(unexpected_error(exc), request)


def _error_status(code: str) -> bool:
    return code[:1] in ("4", "5")


def document_problems(app: FastAPI) -> None:
    """Document every error answer of ``app`` as ``application/problem+json``.

    Error responses documented as ``application/json`` (FastAPI's default for a ``model``) move
    to ``application/problem+json``. With :data:`PROBLEM_RESPONSES` as the app's default
    responses, FastAPI no longer adds its own 422 schema, which is not what we answer."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        problem_ref = {"$ref": "#/components/schemas/ProblemDocument"}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for code, response in operation.get("responses", {}).items():
                    if not _error_status(code):
                        continue
                    content = response.setdefault("content", {})
                    documented = content.pop("application/json", None) or {}
                    content.setdefault(
                        PROBLEM_JSON, {"schema": documented.get("schema", problem_ref)}
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ProblemDocument, "description": "The request cannot be served as sent"},
    "5XX": {"model": ProblemDocument, "description": "The service failed or is unavailable"},
}
"""Default responses of every route: errors are problem documents (:func:`document_problems`)."""
