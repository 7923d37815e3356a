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

Only routes FastAPI's handler does nothing more for qualify: no body, no generator or plain
``def`` endpoint or dependency, no security scopes, background tasks, websockets or
concurrency limits, a JSON answer. Any other route, and every route while the app has
dependency overrides (tests), keeps FastAPI's handler."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi._compat import ModelField
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant, _get_cache_key
from fastapi.dependencies.utils import request_params_to_args
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True)
class _Solver:
    """What a dependant needs from a request, worked out once."""

    subs: tuple[tuple[_Solver, Callable[..., Awaitable[Any]], str | None, bool, Any], ...]
    params: tuple[tuple[list[ModelField], Callable[[Request], Mapping[str, Any]]], ...]
    request_name: str | None
    response_name: str | None

    async def solve(
        self, request: Request, response: Response, cache: dict[Any, Any]
    ) -> tuple[dict[str, Any], list[Any]]:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for solver, call, name, use_cache, key in self.subs:
            sub_values, sub_errors = await solver.solve(request, response, cache)
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


def _solver(dependant: Dependant) -> _Solver | None:
    """The dependant's solver, or ``None`` when it needs more than this handler does."""
    if (
        dependant.body_params
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
    return _Solver(tuple(subs), params, dependant.request_param_name, dependant.response_param_name)


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
    if (
        route.body_field is not None
        or not _is_coroutine_function(dependant.call)
        or response_class is not JSONResponse
    ):
        return None
    solver = _solver(dependant)
    if solver is None:
        return None
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
        values, errors = await solver.solve(request, sub_response, {})
        if errors:
            raise RequestValidationError(errors, body=None)
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
