"""``/docs``, ``/redoc`` and ``/openapi.json``: off unless ``PYWRY_SERVER__API_DOCS=true``.

The schema lists every route of the app, the user's own included, so it is not
published by default. When enabled with ``PYWRY_DEPLOY__AUTH_ENABLED=true`` the three
routes need a session, like widget pages.

The two HTML pages are FastAPI's own: they load Swagger UI and ReDoc from the jsDelivr
CDN (so they do not work air-gapped; ``/openapi.json`` does) and Swagger UI starts
from one inline script. Each page therefore carries its own Content-Security-Policy:
the CDN hosts those pages need and the SHA-256 hash of exactly that inline script,
nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from pywry_server.auth import require_session
from pywry_server.openapi import pywry_schema

__all__ = ["OPENAPI_URL", "add_api_docs", "docs_policy", "inline_script_hashes"]

OPENAPI_URL = "/openapi.json"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)
_CDN = "https://cdn.jsdelivr.net"


def inline_script_hashes(html: str) -> list[str]:
    """CSP ``'sha256-...'`` sources for every inline ``<script>`` of ``html``."""
    out = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        out.append(f"'sha256-{digest}'")
    return out


def docs_policy(html: str, frame_ancestors: Sequence[str]) -> str:
    """The Content-Security-Policy of one API docs page."""
    scripts = " ".join([_CDN, *inline_script_hashes(html)])
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            f"style-src {_CDN} https://fonts.googleapis.com 'unsafe-inline'",
            "font-src https://fonts.gstatic.com data:",
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
            "connect-src 'self'",
            "worker-src blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors " + " ".join(frame_ancestors),
        ]
    )


def _page(response: HTMLResponse, frame_ancestors: Sequence[str]) -> HTMLResponse:
    html = bytes(response.body).decode()
    policy = docs_policy(html, frame_ancestors)
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def add_api_docs(
    app: FastAPI, *, auth: bool, frame_ancestors: Sequence[str], widget_prefix: str
) -> None:
    """Serve the OpenAPI schema and its two viewers (behind a session when ``auth``).

    The schema has the app's own routes and PyWry's (:mod:`pywry_server.openapi`).
    """
    guard = [Depends(require_session)] if auth else []
    title = f"{app.title} API"

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(pywry_schema(request.app.openapi(), widget_prefix, auth=auth))

    async def swagger() -> HTMLResponse:
        return _page(get_swagger_ui_html(openapi_url=OPENAPI_URL, title=title), frame_ancestors)

    async def redoc() -> HTMLResponse:
        return _page(get_redoc_html(openapi_url=OPENAPI_URL, title=title), frame_ancestors)

    for path, endpoint in ((OPENAPI_URL, openapi), ("/docs", swagger), ("/redoc", redoc)):
        app.add_api_route(
            path, endpoint, methods=["GET"], dependencies=guard, include_in_schema=False
        )
