"""A request tries only the routes its path could match, not every route of the app.

FastAPI's router tries the app's routes one by one, in order, until one matches: a regular
expression and two wrappers each. ``GET /v1/contracts/{id}`` is the 25th route of contracts,
~40 us of CPU before the route runs (a bare Starlette app tries two). Yet a route's path begins
with literal text up to its first parameter, and a request can only match a route whose literal
start its own path begins with.

So routes are grouped once by the first two segments of their literal start (``/v1/contracts``
for ``/v1/contracts/{contract_id}/sign``); a route whose first two segments are not all literal,
or that matches some other way than Starlette's ``Route`` (a mount, a route class with its own
``matches``), is in every group. A request tries the routes of its path's group, in the app's
order. A full match there is the app's first full match, as no other route could match at all,
and it runs as FastAPI's router runs it. Anything else (a path no route matches, a method a
route does not take, a websocket) goes to FastAPI's router, which tries every route as before:
its 404, 405 and redirects are its own.

The groups are worked out again whenever the app's routes change."""

from __future__ import annotations

from typing import Any

from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

# What FastAPI's router does with the route it found (fastapi==0.165, APIRouter.app).
_apply_router_form_limits: Any = fastapi_routing._apply_router_form_limits
_update_scope: Any = fastapi_routing._update_scope
_route_selected: Any = fastapi_routing._route_selected  # type: ignore[attr-defined]

# The matches of routes grouped by their literal start.
_PLAIN_MATCHES = (Route.matches, APIRoute.matches)


def path_group(path: str) -> str:
    """The first two segments of ``path`` (``/v1/contracts`` of ``/v1/contracts/7/sign``), or
    the whole path if it has fewer."""
    first = path.find("/", 1)
    if first < 0:
        return path
    second = path.find("/", first + 1)
    return path if second < 0 else path[:second]


def _group_of_route(route: Any) -> str | None:
    """The group every path ``route`` matches is in, or ``None`` if it could match paths of
    several groups."""
    if not isinstance(route, Route) or type(route).matches not in _PLAIN_MATCHES:
        return None
    literal, brace, _ = route.path.partition("{")
    if not brace:
        return path_group(literal)  # matches this very path alone
    first = literal.find("/", 1)
    second = literal.find("/", first + 1) if first > 0 else -1
    return literal[:second] if second > 0 else None


class RouteIndex:
    """``router`` (the app's, without middleware of its own) with each request trying only the
    routes of its path's group."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._built_for: tuple[int, int] | None = None
        self._groups: dict[str, tuple[Any, ...]] = {}
        self._anywhere: tuple[Any, ...] = ()

    def _build(self, routes: list[Any]) -> None:
        groups = [_group_of_route(route) for route in routes]
        names = {group for group in groups if group is not None}
        self._groups = {
            name: tuple(r for r, g in zip(routes, groups, strict=True) if g in (name, None))
            for name in names
        }
        self._anywhere = tuple(r for r, g in zip(routes, groups, strict=True) if g is None)
        self._built_for = (id(routes), len(routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            router = self.router
            routes = router.routes
            if self._built_for != (id(routes), len(routes)):
                self._build(routes)
            path = get_route_path(scope)
            for route in self._groups.get(path_group(path), self._anywhere):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    if not isinstance(route, Route):
                        break  # a mount or the like: FastAPI's router runs it
                    _apply_router_form_limits(scope, router.form_limits)
                    if "router" not in scope:
                        scope["router"] = router
                    _update_scope(scope, child_scope)
                    _route_selected(scope=scope, path=route.path_format, mount=False)
                    await route.handle(scope, receive, send)
                    return
        await self.router(scope, receive, send)
