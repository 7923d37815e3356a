"""A request tries only the routes of its path's group (``RouteIndex``), with the answers of
FastAPI's router trying every route: the same route chosen where several could match, the same
404, 405 and mounted app, the same router for ``url_for``, and routes added later found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from tread_shared import app as service_app
from tread_shared.app import ServiceApp, include_flat
from tread_shared.http.request_context import RequestContextMiddleware
from tread_shared.http.route_index import RouteIndex, path_group


def _named(name: str) -> Callable[..., Any]:
    async def endpoint(request: Request) -> dict[str, Any]:
        return {"route": name, "params": request.path_params}

    endpoint.__name__ = name
    return endpoint


async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(f"mounted {scope['path']}")(scope, receive, send)


def _routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/v1/things", _named("list_things"), methods=["GET"])
    router.add_api_route("/v1/things", _named("change_things"), methods=["PATCH"])
    router.add_api_route("/v1/things/{thing_id:int}", _named("get_thing"), methods=["GET"])
    router.add_api_route("/v1/things/{thing_id:int}", _named("put_thing"), methods=["PUT"])
    # A parameter within the first two segments: tried for every path, in its place.
    router.add_api_route("/v1/{kind}/count", _named("count_kind"), methods=["GET"])
    router.add_api_route("/v1/things/special", _named("special_thing"), methods=["GET"])
    router.add_api_route("/v1/things/{name}", _named("thing_by_name"), methods=["GET"])
    router.add_api_route("/v1/things/{name}/parts", _named("thing_parts"), methods=["GET"])
    router.add_api_route("/v1", _named("version"), methods=["GET"])
    router.add_api_route("/healthz", _named("health"), methods=["GET"])
    router.add_api_route("/files/{rest:path}", _named("files"), methods=["GET"])

    async def link(request: Request) -> dict[str, str]:
        return {
            "list": str(request.url_for("list_things")),
            "files": str(request.url_for("files", rest="a/b")),
        }

    router.add_api_route("/v1/links/here", link, methods=["GET"])
    return router


def _app(indexed: bool, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    with monkeypatch.context() as patch:
        if not indexed:
            patch.setattr(service_app, "RouteIndex", lambda router: router)
        app = ServiceApp(redirect_slashes=False)
        include_flat(app, _routes())
        app.router.routes.append(Mount("/static", app=mounted))
        app.add_middleware(RequestContextMiddleware, service="test")
        app.middleware_stack = app.build_middleware_stack()
    return app


REQUESTS = [
    ("GET", "/v1/things"),
    ("PATCH", "/v1/things"),
    ("DELETE", "/v1/things"),
    ("GET", "/v1/things/7"),
    ("PUT", "/v1/things/7"),
    ("DELETE", "/v1/things/7"),
    ("GET", "/v1/things/count"),
    ("GET", "/v1/plans/count"),
    ("GET", "/v1/things/special"),
    ("GET", "/v1/things/other"),
    ("GET", "/v1/things/other/parts"),
    ("GET", "/v1/things/other/parts/9"),
    ("GET", "/v1/things/"),
    ("GET", "/v1/"),
    ("GET", "/v1"),
    ("HEAD", "/healthz"),
    ("GET", "/healthz/"),
    ("GET", "/files/a/b/c.txt"),
    ("GET", "/static/app.js"),
    ("GET", "/v1/links/here"),
    ("GET", "/nowhere"),
    ("GET", "/"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
async def test_each_request_gets_the_answer_of_fastapis_router(
    method: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = []
    for indexed in (True, False):
        transport = httpx.ASGITransport(app=_app(indexed, monkeypatch))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers.append(await client.request(method, path))
    ours, fastapis = answers
    assert ours.status_code == fastapis.status_code
    assert ours.content == fastapis.content
    varying = {"x-request-id", "traceparent"}
    assert [h for h in ours.headers.items() if h[0] not in varying] == [
        h for h in fastapis.headers.items() if h[0] not in varying
    ]


async def test_the_route_chosen_is_the_first_of_the_app_that_matches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = httpx.ASGITransport(app=_app(True, monkeypatch))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/v1/things/count")).json()["route"] == "count_kind"
        assert (await client.get("/v1/things/special")).json()["route"] == "special_thing"
        assert (await client.get("/v1/things/12")).json() == {
            "route": "get_thing",
            "params": {"thing_id": 12},
        }
        assert (await client.get("/v1/links/here")).json() == {
            "list": "http://test/v1/things",
            "files": "http://test/files/a/b",
        }
        assert (await client.delete("/v1/things/7")).status_code == 405


async def test_a_route_added_after_the_first_request_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(True, monkeypatch)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/v1/late")).status_code == 404
        app.add_api_route("/v1/late", _named("late"), methods=["GET"])
        assert (await client.get("/v1/late")).json()["route"] == "late"


def test_a_path_s_group_is_its_first_two_segments() -> None:
    assert path_group("/v1/contracts/7/sign") == "/v1/contracts"
    assert path_group("/v1/contracts") == "/v1/contracts"
    assert path_group("/v1/contracts/") == "/v1/contracts"
    assert path_group("/healthz") == "/healthz"
    assert path_group("/") == "/"


def test_routes_are_grouped_by_their_literal_start(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(True, monkeypatch)
    index = RouteIndex(app.router)
    index._build(app.router.routes)
    paths = {
        group: [getattr(route, "path", None) for route in routes]
        for group, routes in index._groups.items()
    }
    anywhere = ["/v1/{kind}/count", "/files/{rest:path}", "/static"]
    assert [route.path for route in index._anywhere] == anywhere
    assert paths["/v1/things"] == [
        "/v1/things",
        "/v1/things",
        "/v1/things/{thing_id:int}",
        "/v1/things/{thing_id:int}",
        "/v1/{kind}/count",
        "/v1/things/special",
        "/v1/things/{name}",
        "/v1/things/{name}/parts",
        *anywhere[1:],
    ]
    assert paths["/healthz"] == [*anywhere[:1], "/healthz", *anywhere[1:]]
    assert isinstance(app.router.routes[-1], Mount)
    assert not isinstance(app.router.routes[-1], Route)
