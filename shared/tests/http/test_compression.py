"""Answers compressed with gzip for clients that accept it; the others' answers as sent, with
the same headers Starlette's ``GZipMiddleware`` gives them."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tread_shared.http.compression import Compression

LARGE = {"items": [{"name": f"Dealer {n}", "territory": "EAST"} for n in range(100)]}


async def large(request: Request) -> Response:
    return JSONResponse(LARGE)


async def small(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def by_origin(request: Request) -> Response:
    return JSONResponse(LARGE, headers={"Vary": "Origin"})


async def encoded(request: Request) -> Response:
    return Response(b"\x1f\x8b" + b"0" * 2000, headers={"Content-Encoding": "br"})


async def partial(request: Request) -> Response:
    return Response(b"0" * 2000, status_code=206, media_type="application/octet-stream")


async def events(request: Request) -> Response:
    async def lines() -> object:
        for n in range(3):
            yield f"data: {n}\n\n" * 200

    return StreamingResponse(lines(), media_type="text/event-stream")


async def streamed(request: Request) -> Response:
    async def chunks() -> object:
        for _ in range(3):
            yield b"x" * 800

    return StreamingResponse(chunks(), media_type="application/json")


ROUTES = [
    Route(f"/{endpoint.__name__}", endpoint)
    for endpoint in (large, small, by_origin, encoded, partial, events, streamed)
]


def _app(middleware: type) -> Starlette:
    return Starlette(
        routes=ROUTES, middleware=[Middleware(middleware, minimum_size=1024, compresslevel=6)]
    )


@pytest.mark.parametrize("path", [route.path for route in ROUTES])
@pytest.mark.parametrize("accept", [None, "gzip, deflate, br", "identity"])
async def test_every_answer_is_what_starlettes_middleware_gives(
    path: str, accept: str | None
) -> None:
    headers = {"Accept-Encoding": accept} if accept else {"Accept-Encoding": ""}
    answers = []
    for middleware in (Compression, GZipMiddleware):
        transport = httpx.ASGITransport(app=_app(middleware))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers.append(await client.get(path, headers=headers))
    ours, starlettes = answers

    assert ours.status_code == starlettes.status_code
    assert ours.content == starlettes.content
    for name in ("content-encoding", "content-length", "content-type", "vary"):
        assert ours.headers.get(name) == starlettes.headers.get(name), name


async def test_a_client_not_accepting_gzip_is_told_the_answer_varies_by_it() -> None:
    transport = httpx.ASGITransport(app=_app(Compression))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        plain = await client.get("/large", headers={"Accept-Encoding": ""})
        gzipped = await client.get("/large", headers={"Accept-Encoding": "gzip"})
        tiny = await client.get("/small", headers={"Accept-Encoding": ""})

    assert "content-encoding" not in plain.headers and plain.json() == LARGE
    assert plain.headers["vary"] == "Accept-Encoding"
    assert gzipped.headers["content-encoding"] == "gzip" and gzipped.json() == LARGE
    assert gzipped.headers["vary"] == "Accept-Encoding"
    assert int(gzipped.headers["content-length"]) < int(plain.headers["content-length"])
    assert "vary" not in tiny.headers  # too small to be compressed for anyone
