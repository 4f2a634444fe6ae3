"""Gzip of responses: pages and the app's own routes, whole or streamed."""

from __future__ import annotations

import gzip

import httpx
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse
from pywry_server.compression import GzipCache
from pywry_server.edge import Edge
from pywry_server.headers import SecurityHeaders
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

BIG = "<p>" + "PyWry " * 400 + "</p>"


def _raw(client, path: str, **headers: str) -> tuple[httpx.Headers, bytes]:
    """The response's headers and body as sent, not decoded by the client."""
    with client.stream("GET", path, headers=headers) as response:
        return response.headers, b"".join(response.iter_raw())


def test_a_page_is_compressed_once_and_the_same_bytes_go_to_everyone(
    add_widget, make_client
) -> None:
    add_widget(content=BIG)
    client = make_client()
    headers, first = _raw(client, "/widget/demo", **{"accept-encoding": "gzip"})
    _, second = _raw(client, "/widget/demo", **{"accept-encoding": "gzip, br"})
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert first == second
    assert int(headers["content-length"]) == len(first)
    assert BIG in gzip.decompress(first).decode()


def test_the_apps_own_route_is_gzipped_and_a_client_without_gzip_gets_plain(
    add_widget, make_client
) -> None:
    client = make_client()
    client.app.add_api_route("/mine", lambda: HTMLResponse(BIG))
    headers, plain = _raw(client, "/mine", **{"accept-encoding": "identity"})
    assert "content-encoding" not in headers
    assert plain.decode() == BIG
    zipped = client.get("/mine", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.text == BIG


def _app() -> Starlette:
    async def stream(request: Request) -> StreamingResponse:
        async def chunks():
            for n in range(50):
                yield f"line {n} {'x' * 100}\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    async def events(request: Request) -> Response:
        return Response(BIG, media_type="text/event-stream")

    async def encoded(request: Request) -> Response:
        body = gzip.compress(BIG.encode())
        return Response(body, media_type="text/html", headers={"Content-Encoding": "gzip"})

    async def small(request: Request) -> PlainTextResponse:
        return PlainTextResponse("short")

    async def distinct(request: Request) -> PlainTextResponse:
        return PlainTextResponse(BIG + request.path_params["n"])

    routes = [
        Route("/stream", stream),
        Route("/events", events),
        Route("/encoded", encoded),
        Route("/small", small),
        Route("/n/{n}", distinct),
    ]
    return Starlette(routes=routes)


def _edge(app: Starlette, cache: GzipCache | None = None) -> Edge:
    return Edge(app, security=SecurityHeaders(), gzip_cache=cache)


def test_streamed_bodies_are_compressed_as_they_go() -> None:
    with TestClient(_edge(_app())) as client:
        headers, body = _raw(client, "/stream", **{"accept-encoding": "gzip"})
        assert headers["content-encoding"] == "gzip"
        assert "content-length" not in headers
        text = gzip.decompress(body).decode()
        assert text == "".join(f"line {n} {'x' * 100}\n" for n in range(50))


def test_event_streams_small_and_already_encoded_bodies_pass_untouched() -> None:
    with TestClient(_edge(_app())) as client:
        for path in ("/events", "/small"):
            headers, _ = _raw(client, path, **{"accept-encoding": "gzip"})
            assert "content-encoding" not in headers, path
        _, encoded = _raw(client, "/encoded", **{"accept-encoding": "gzip"})
        assert gzip.decompress(encoded).decode() == BIG


def test_the_cache_of_compressed_bodies_is_bounded() -> None:
    cache = GzipCache(entries=8)
    with TestClient(_edge(_app(), cache)) as client:
        for n in range(40):
            response = client.get(f"/n/{n}", headers={"accept-encoding": "gzip"})
            assert response.text == BIG + str(n)
    assert len(cache._items) == 8
