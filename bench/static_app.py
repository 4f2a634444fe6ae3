"""The HTTP baseline: a bare FastAPI app serving fixed bytes read from files at start-up.

``BENCH_PAGE`` is the widget page captured from the PyWry server, ``BENCH_ASSET`` the
gzipped plotly.min.js; both are served as-is, so the difference to PyWry is PyWry's own
work per request (lookup, rendering, cache headers).
"""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

app = FastAPI()
PAGE = Path(os.environ["BENCH_PAGE"]).read_text(encoding="utf-8")
ASSET = Path(os.environ["BENCH_ASSET"]).read_bytes()


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.get("/page")
async def page() -> HTMLResponse:
    return HTMLResponse(PAGE)


@app.get("/asset")
async def asset() -> Response:
    headers = {"content-encoding": "gzip", "cache-control": "public, max-age=31536000"}
    return Response(ASSET, media_type="text/javascript", headers=headers)


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["PYWRY_SERVER__PORT"]),
        log_level="warning",
        access_log=False,
    )
