"""``GET /metrics`` and the middleware that counts HTTP requests by route template."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pywry.errors import ConfigurationError

from pywry_server.health import has_operator_token

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from pywry_server.metrics import Metrics

__all__ = ["UNMATCHED", "HttpMetrics", "add_metrics_route"]

#: The route label of a request that matched no route (any path: one label value).
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """ASGI middleware: count and time each HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED  # set by the router
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.observe_http(method, route, status, time.perf_counter() - started)


def add_metrics_route(app: FastAPI, settings: PyWrySettings, metrics: Metrics) -> None:
    """``GET /metrics`` when metrics are on; behind ``METRICS_TOKEN`` when one is set.

    With auth on, a token is required: :class:`ConfigurationError` if none is set.
    """
    if not metrics.enabled:
        return
    token = settings.server.metrics_token
    if token is None and settings.deploy.auth_enabled:
        raise ConfigurationError(
            "PYWRY_SERVER__METRICS_ENABLED=true with PYWRY_DEPLOY__AUTH_ENABLED=true needs "
            "PYWRY_SERVER__METRICS_TOKEN (at least 16 characters), the bearer token your "
            "scraper sends: /metrics is never public when auth is on"
        )

    async def scrape(request: Request) -> Response:
        if token is not None and not has_operator_token(request, token):
            given = request.headers.get("authorization")
            status = 403 if given else 401
            body = {"error": "forbidden" if given else "unauthorized"}
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(body, status_code=status, headers=headers)
        from prometheus_client import CONTENT_TYPE_LATEST

        text = await asyncio.to_thread(metrics.render)
        return Response(text, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    app.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
