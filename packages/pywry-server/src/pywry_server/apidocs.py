"""``/docs`` and ``/openapi.json``: off unless ``PYWRY_SERVER__API_DOCS=true``.

The schema lists every route of the app, the user's own included, so it is not
published by default. When enabled with ``PYWRY_DEPLOY__AUTH_ENABLED=true`` both
routes need a session, like widget pages.

``/docs`` is not FastAPI's Swagger UI (it loads its script and styles from a CDN, and
PyWry serves every browser asset itself, so a deploy works with no network beyond its
own): it is a page made here from the same schema, listing each route with its
parameters and answers, with no script at all (``_docs_page.py``). For an interactive
viewer, point one you host at ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from pywry_server._docs_page import docs_page, docs_policy
from pywry_server.auth import require_session
from pywry_server.openapi import pywry_schema

__all__ = ["OPENAPI_URL", "add_api_docs"]

OPENAPI_URL = "/openapi.json"


def add_api_docs(
    app: FastAPI, *, auth: bool, frame_ancestors: Sequence[str], widget_prefix: str
) -> None:
    """Serve the OpenAPI schema and its page (behind a session when ``auth``).

    The schema has the app's own routes and PyWry's (:mod:`pywry_server.openapi`).
    """
    guard = [Depends(require_session)] if auth else []
    policy = docs_policy(frame_ancestors)

    def schema_of(request: Request) -> dict[str, object]:
        return pywry_schema(request.app.openapi(), widget_prefix, auth=auth)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(schema_of(request))

    async def docs(request: Request) -> HTMLResponse:
        html = docs_page(schema_of(request), OPENAPI_URL)
        headers = {"Content-Security-Policy": policy, "Cache-Control": "no-store"}
        return HTMLResponse(html, headers=headers)

    for path, endpoint in ((OPENAPI_URL, openapi), ("/docs", docs)):
        app.add_api_route(
            path, endpoint, methods=["GET"], dependencies=guard, include_in_schema=False
        )
