"""Baselines for HTTP: serve fixed bytes captured from the PyWry server, three ways.

``BENCH_KIND`` picks the framework: ``fastapi`` (a bare FastAPI app, one ``@app.get``
route per path), ``starlette`` (plain Starlette routes) or ``asgi`` (a raw ASGI callable
with a dict lookup). ``BENCH_CAPTURE`` is a JSON file ``{path: {"headers": {...},
"body_file": "..."}}``: each path answers 200 with exactly the body and the
content headers PyWry sent (so gzip bytes stay gzip). ``/readyz`` answers 200.
"""

import json
import os
from pathlib import Path

import uvicorn

CAPTURE = json.loads(Path(os.environ["BENCH_CAPTURE"]).read_text())
PAGES = {
    path: (Path(entry["body_file"]).read_bytes(), entry["headers"])
    for path, entry in CAPTURE.items()
}
PAGES["/readyz"] = (b"ready", {"content-type": "text/plain"})


def fastapi_app():
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    def add(path, body, headers):
        async def route():
            return Response(body, headers=headers)

        app.get(path)(route)

    for path, (body, headers) in PAGES.items():
        add(path, body, headers)
    return app


def starlette_app():
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    def endpoint(body, headers):
        async def route(request):
            return Response(body, headers=headers)

        return route

    return Starlette(routes=[Route(p, endpoint(b, h)) for p, (b, h) in PAGES.items()])


def asgi_app():
    raw = {
        path: (
            [(k.encode(), v.encode()) for k, v in headers.items()]
            + [(b"content-length", str(len(body)).encode())],
            body,
        )
        for path, (body, headers) in PAGES.items()
    }

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        headers, body = raw.get(scope["path"], ([], b""))
        await send(
            {"type": "http.response.start", "status": 200 if body else 404, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    kind = os.environ.get("BENCH_KIND", "fastapi")
    application = {"fastapi": fastapi_app, "starlette": starlette_app, "asgi": asgi_app}[kind]()
    port = int(os.environ["PYWRY_SERVER__PORT"])
    lifespan = "off" if kind == "asgi" else "auto"
    uvicorn.run(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
    )
