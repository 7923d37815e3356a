"""A route's request handler with its dependencies worked out once, when the route is made.

FastAPI works out a route's dependency tree again on every request (``solve_dependencies``):
for every dependency it asks whether it is a generator, a coroutine, a security scheme, which
cache key it has and whether its annotations are sequences, then builds the values; around it
two exit stacks, the telemetry hooks and the endpoint's context. For a GET with two
dependencies that is ~65 us of CPU, against ~10 us for the whole of a bare Starlette route.
:func:`lean_handler` makes the same handler from what never changes: each dependency's call,
name and cache key, the parameter fields to validate (through FastAPI's own
``request_params_to_args``, so a bad path or query value is the same 422), and the answer
serialised as FastAPI serialises it (the response field's validation, then its JSON
serialiser, the sub-response's status and headers merged).

A JSON body is read and validated as FastAPI does it: the same content-type rule (JSON when the
type is ``application/json`` or ``+json``, or absent where the route is not strict), the same
validation error for JSON that does not parse (a 400 problem) and 400 for a body that cannot
be read, then FastAPI's own ``request_body_to_args`` after the dependencies and parameters, so
errors come in its order.
On a keyed ``POST /v1/accounts`` FastAPI's handler cost ~100 µs of CPU beside the endpoint.

Only routes FastAPI's handler does nothing more for qualify: a JSON body or none (no form, no
body size limit of the route's own), no body parameter in a dependency, no generator or plain
``def`` endpoint or dependency, no security scopes, background tasks, websockets or
concurrency limits, a JSON answer. Any other route, and every route while the app has
dependency overrides (tests), keeps FastAPI's handler."""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi._body_limit import get_body_limit_error
from fastapi._compat import ModelField
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant, _get_cache_key
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.params import Form
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from pydantic_core import PydanticUndefined
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True)
class _Solver:
    """What a dependant needs from a request, worked out once."""

    subs: tuple[tuple[_Solver, Callable[..., Awaitable[Any]], str | None, bool, Any], ...]
    params: tuple[tuple[list[ModelField], Callable[[Request], Mapping[str, Any]]], ...]
    request_name: str | None
    response_name: str | None
    # The endpoint's own body parameters (a dependency's make the route FastAPI's).
    body_fields: list[ModelField]
    embed_body_fields: bool

    async def solve(
        self, request: Request, response: Response, cache: dict[Any, Any], body: Any
    ) -> tuple[dict[str, Any], list[Any]]:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for solver, call, name, use_cache, key in self.subs:
            sub_values, sub_errors = await solver.solve(request, response, cache, body)
            if sub_errors:
                errors.extend(sub_errors)
                continue
            if use_cache and key in cache:
                solved = cache[key]
            else:
                solved = await call(**sub_values)
            if name is not None:
                values[name] = solved
            if key not in cache:
                cache[key] = solved
        for fields, source in self.params:
            param_values, param_errors = request_params_to_args(fields, source(request))
            values.update(param_values)
            errors += param_errors
        if self.body_fields:
            body_values, body_errors = await request_body_to_args(
                self.body_fields, body, self.embed_body_fields
            )
            values.update(body_values)
            errors += body_errors
        if self.request_name is not None:
            values[self.request_name] = request
        if self.response_name is not None:
            values[self.response_name] = response
        return values, errors


def _path_params(request: Request) -> Mapping[str, Any]:
    return request.path_params


def _query_params(request: Request) -> Mapping[str, Any]:
    return request.query_params


def _headers(request: Request) -> Mapping[str, Any]:
    return request.headers


def _cookies(request: Request) -> Mapping[str, Any]:
    return request.cookies


def _solver(dependant: Dependant, embed_body_fields: bool | None = None) -> _Solver | None:
    """The dependant's solver, or ``None`` when it needs more than this handler does. Only the
    endpoint's (``embed_body_fields`` given) may take the body."""
    if (
        (dependant.body_params and embed_body_fields is None)
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.own_oauth_scopes
        or dependant.concurrency is not None
    ):
        return None
    subs = []
    for sub in dependant.dependencies:
        if not _is_coroutine_function(sub.call):
            return None
        solver = _solver(sub)
        if solver is None:
            return None
        key = _get_cache_key(dependant=sub, uses_scopes_cache={})
        if key[1]:  # security scopes take part in its cache key
            return None
        assert sub.call is not None
        subs.append((solver, sub.call, sub.name, sub.use_cache, key))
    params = tuple(
        (fields, source)
        for fields, source in (
            (dependant.path_params, _path_params),
            (dependant.query_params, _query_params),
            (dependant.header_params, _headers),
            (dependant.cookie_params, _cookies),
        )
        if fields
    )
    return _Solver(
        tuple(subs),
        params,
        dependant.request_param_name,
        dependant.response_param_name,
        list(dependant.body_params),
        bool(embed_body_fields),
    )


def _is_coroutine_function(call: Any) -> bool:
    # Not a generator (a dependency with yield), not a plain function (FastAPI runs those in a
    # thread), not a callable object (its __call__ is FastAPI's to find).
    return inspect.iscoroutinefunction(call)


def lean_handler(route: APIRoute) -> Handler | None:
    """``route``'s request handler without FastAPI's per-request work (see the module), or
    ``None`` when the route needs FastAPI's."""
    dependant = route.dependant
    default_class = isinstance(route.response_class, DefaultPlaceholder)
    response_class = (
        route.response_class.value
        if isinstance(route.response_class, DefaultPlaceholder)
        else route.response_class
    )
    body_field = route.body_field
    if (
        (body_field is not None and isinstance(body_field.field_info, Form))
        or route.max_body_size is not None
        or not _is_coroutine_function(dependant.call)
        or response_class is not JSONResponse
    ):
        return None
    solver = _solver(dependant, route._embed_body_fields)
    if solver is None:
        return None
    strict = route.strict_content_type
    strict_content_type = bool(strict.value if isinstance(strict, DefaultPlaceholder) else strict)
    call = dependant.call
    assert call is not None
    field = route.response_field
    status_code = route.status_code
    serialize_options: dict[str, Any] = {
        "include": route.response_model_include,
        "exclude": route.response_model_exclude,
        "by_alias": route.response_model_by_alias,
        "exclude_unset": route.response_model_exclude_unset,
        "exclude_defaults": route.response_model_exclude_defaults,
        "exclude_none": route.response_model_exclude_none,
    }

    async def handle(request: Request) -> Response:
        # The sub-response dependencies and the endpoint may set a status or headers on.
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        body = PydanticUndefined
        if body_field is not None:
            body = await _json_body(request, strict_content_type)
        values, errors = await solver.solve(request, sub_response, {}, body)
        if errors:
            raise RequestValidationError(errors, body=None if body is PydanticUndefined else body)
        answer = await call(**values)
        if isinstance(answer, Response):
            return answer
        response_args: dict[str, Any] = {"background": None}
        current_status = status_code or sub_response.status_code
        if current_status is not None:
            response_args["status_code"] = current_status
        if sub_response.status_code:
            response_args["status_code"] = sub_response.status_code
        response: Response
        if field is not None:
            value, validation_errors = field.validate(answer, {}, loc=("response",))
            if validation_errors:
                raise ResponseValidationError(errors=validation_errors, body=answer)
            if default_class:
                content = field.serialize_json(value, **serialize_options)
                response = Response(content, media_type="application/json", **response_args)
            else:
                response = response_class(
                    field.serialize(value, **serialize_options), **response_args
                )
        else:
            response = response_class(jsonable_encoder(answer), **response_args)
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    return handle


async def _json_body(request: Request, strict_content_type: bool) -> Any:
    """The request's body as FastAPI's handler reads it for a JSON body parameter: parsed when
    its type says JSON (or, not strict, says nothing), else the bytes; nothing when empty."""
    try:
        body_bytes = await request.body()
        if not body_bytes:
            return PydanticUndefined
        content_type = request.headers.get("content-type")
        if not content_type:
            return body_bytes if strict_content_type else await request.json()
        message = email.message.Message()
        message["content-type"] = content_type
        if message.get_content_maintype() == "application":
            subtype = message.get_content_subtype()
            if subtype == "json" or subtype.endswith("+json"):
                return await request.json()
        return body_bytes
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ],
            body=exc.doc,
        ) from exc
    except HTTPException:
        raise
    except Exception as exc:
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (error := get_body_limit_error(exc)):
            raise error from exc
        raise HTTPException(400, "There was an error parsing the body") from exc


def lean_app(handler: Handler, fastapis: ASGIApp, overrides_provider: Any) -> ASGIApp:
    """The route's ASGI app around ``handler``: Starlette's ``request_response`` (the app's
    exception handlers around the handler), without the two exit stacks FastAPI's opens on
    every request for dependencies with ``yield``, which a lean handler has none of. While the
    app has dependency overrides, FastAPI's own app for the route (``fastapis``) answers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if overrides_provider is not None and overrides_provider.dependency_overrides:
            await fastapis(scope, receive, send)
            return
        request = Request(scope, receive, send)

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            response = await handler(request)
            await response(scope, receive, send)

        await wrap_app_handling_exceptions(answer, request)(scope, receive, send)

    return app
