"""RFC 9457 problem details for every error, validation and unknown routes included.

Raise :class:`Problem` (or one of its subclasses) from anywhere in a request; it becomes an
``application/problem+json`` answer. Anything unexpected becomes a plain 500 problem with no
stack trace in the body (the trace goes to the log with the request id)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tread_shared.context import request_id_var

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


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
    return JSONResponse(
        problem.document(request.url.path if request else None),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


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


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` an RFC 9457 document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else None
        if status == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}"
        problem = Problem(
            detail,
            status=status,
            slug=_HTTP_SLUGS.get(status, "http-error"),
            headers=dict(exc.headers or {}),
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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(
            "An unexpected error occurred; it has been logged with the request id.",
            status=500,
            slug="internal-error",
        )
        return problem_response(problem, request)
