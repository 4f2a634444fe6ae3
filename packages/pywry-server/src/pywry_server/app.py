"""The FastAPI application factory of deploy mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pywry._startup import server_was_up
from pywry.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    WidgetNotFoundError,
)
from pywry.state import get_worker_id
from pywry.widgets.composed import PAGE_SOCKET_PATH
from pywry.widgets.page import widget_page

from pywry_server._metrics_dir import forget_worker
from pywry_server.access import AccessDenied, LoginSessionScope, forbidden_response
from pywry_server.apidocs import add_api_docs
from pywry_server.assets import serve_asset
from pywry_server.auth import (
    COOKIE_NAME,
    AuthenticationRequired,
    close_expired_sockets,
    require_session,
    unauthorized_response,
)
from pywry_server.authenticate import SessionCookieMiddleware
from pywry_server.data import serve_widget_data
from pywry_server.edge import Edge
from pywry_server.files import FILES_PATH
from pywry_server.hard_stop import HardStop
from pywry_server.headers import SecurityHeaders
from pywry_server.health import add_health_routes
from pywry_server.limits import SocketLimit, quiet_client_tracebacks
from pywry_server.logs import apply_log_format
from pywry_server.metrics import Metrics
from pywry_server.metrics_http import HttpMetrics, add_metrics_route
from pywry_server.routes import PlainRoute, PrefixedRoute
from pywry_server.socket_routes import SocketRoutes
from pywry_server.timed_backend import timed_backend
from pywry_server.worker import Worker
from pywry_server.ws import page_socket, widget_socket

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend

    from pywry_server.sockets import SocketRegistry

__all__ = ["create_app"]

logger = logging.getLogger("pywry.server")


def create_app(
    *,
    settings: PyWrySettings,
    backend_cls: type[StateBackend],
    runtime: Runtime,
    worker_id: str | None = None,
) -> FastAPI:
    """A FastAPI app serving ``runtime``'s widgets, backed by a new ``backend_cls``.

    The backend is started and closed by the app's lifespan; add your own routes,
    middleware and exception handlers to the returned app. ``worker_id`` defaults
    to this process's (:func:`pywry.state.get_worker_id`); tests that run several
    workers in one process give each app its own.
    """
    apply_log_format(settings.server)
    metrics = Metrics.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The composition root: one backend, the worker's parts, one task group.
        backend = backend_cls.from_settings(settings)
        sweep = None
        if settings.deploy.auth_enabled:

            async def sweep(sockets: SocketRegistry) -> None:
                await close_expired_sockets(backend, sockets)

        hard_stop: HardStop | None = None
        try:
            async with asyncio.TaskGroup() as group:
                worker = Worker.compose(
                    settings,
                    timed_backend(backend, metrics),
                    runtime,
                    worker_id or get_worker_id(),
                    group,
                    sweep_sessions=sweep,
                    metrics=metrics,
                )
                # Shutdown ends the process if it outlasts the grace (hard_stop.py).
                loop = asyncio.get_running_loop()
                hard_stop = HardStop(worker.worker_id, worker.shutdown_grace, loop)
                hard_stop.listen()
                if metrics.enabled:
                    runtime.callback_observer = metrics.observe_callback
                app.state.pywry = worker
                try:
                    await _open(worker)
                    yield
                finally:
                    hard_stop.arm()
                    try:
                        await worker.stop(within=hard_stop.remaining())
                    finally:
                        runtime.callback_observer = None
                        if metrics.enabled:
                            forget_worker()
                        await backend.aclose()
        finally:
            if hard_stop is not None:
                hard_stop.release()

    # API docs are off by default (apidocs.py); FastAPI's own would be public.
    app = FastAPI(title="PyWry", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    # innermost: PyWry's sockets skip the router once every middleware has seen them
    app.add_middleware(SocketRoutes, widget_prefix=settings.server.widget_prefix)
    if settings.deploy.auth_enabled:
        app.add_middleware(LoginSessionScope)  # binds the login session for private=True
        # a session the app's authenticate hook started gets its cookie
        app.add_middleware(SessionCookieMiddleware, cookie_name=COOKIE_NAME)
    app.add_middleware(SocketLimit, max_sockets=settings.server.limit_concurrency)
    # Request ids, security headers, the anonymous session (auth off), gzip, CORS and
    # the public pages of this worker's widgets: one layer (edge.py).
    app.add_middleware(
        Edge,
        security=SecurityHeaders(
            frame_ancestors=settings.server.frame_ancestors,
            hsts_max_age=settings.server.hsts_max_age,
            allow_eval=settings.server.csp_allow_eval,
        ),
        cors_origins=settings.server.cors_origins,
        anonymous=not settings.deploy.auth_enabled,
        page_prefix=None if settings.deploy.auth_enabled else settings.server.widget_prefix,
    )
    if metrics.enabled:  # around all the others: it sees every answer and the route chosen
        app.add_middleware(HttpMetrics, metrics=metrics)
    quiet_client_tracebacks()
    _add_routes(app, settings.server.widget_prefix, auth=settings.deploy.auth_enabled)
    add_health_routes(app, settings.server.readyz_token)
    add_metrics_route(app, settings, metrics)
    if settings.server.api_docs:
        add_api_docs(
            app,
            auth=settings.deploy.auth_enabled,
            frame_ancestors=settings.server.frame_ancestors,
            widget_prefix=settings.server.widget_prefix,
        )
    login: Callable[[str], str] | None = None
    if settings.deploy.oidc_issuer is not None:
        login = _add_login(app, settings)
    _add_error_handlers(app, login=login)
    return app


def _add_login(app: FastAPI, settings: PyWrySettings) -> Callable[[str], str]:
    """The OpenID Connect routes; the function that names the login URL for a path."""
    try:
        from pywry_server.oidc import add_login_routes, login_url
    except ImportError as exc:
        raise ConfigurationError(
            "PYWRY_DEPLOY__OIDC_ISSUER is set but the OpenID Connect login needs more: "
            f"pip install 'pywry-server[oidc]' ({exc})"
        ) from exc
    add_login_routes(app, settings.deploy)
    return login_url


async def _open(worker: Worker) -> None:
    """Start the worker; a replacement worker that finds the backend away joins later.

    Only the first workers of a server stop it when the backend cannot be reached
    (:func:`pywry._startup.server_was_up`); a later one serves ``/readyz`` 503 meanwhile.
    """
    try:
        await worker.open()
    except BackendError as exc:  # unreachable, or answering with errors (out of memory)
        if not server_was_up():
            raise
        worker.tasks.service(worker.join_later(exc), "pywry-join")
        return
    logger.info(
        "PyWry worker %s ready: backend %s, %d widget(s)",
        worker.worker_id,
        worker.backend.name,
        len(worker.runtime.widgets()),
    )


def _add_routes(app: FastAPI, prefix: str, *, auth: bool) -> None:
    async def page(request: Request) -> HTMLResponse:
        # A plain Starlette route: the page is the hottest path, and needs nothing of
        # FastAPI's parameter machinery.
        if auth:
            await require_session(request)
        worker: Worker = request.app.state.pywry
        label: str = request.path_params["label"]
        await worker.access.check_request(request, label)
        return HTMLResponse(await widget_page(worker.runtime, label, widget_prefix=prefix))

    async def data(label: str, request: Request) -> Response:
        worker: Worker = request.app.state.pywry
        await worker.access.check_request(request, label)
        return await serve_widget_data(worker.runtime, label, request)

    async def asset(filename: str, request: Request) -> Response:
        return await serve_asset(filename, request)

    async def download(token: str, request: Request) -> Response:
        # The token's signature, expiry and session binding are its access check.
        worker: Worker = request.app.state.pywry
        return await worker.downloads.response(token, request)

    async def upload_start(label: str, request: Request) -> Response:
        worker: Worker = request.app.state.pywry
        return await worker.uploads.start(label, request)

    async def upload_piece(
        label: str, token: str, file: int, piece: int, request: Request
    ) -> Response:
        worker: Worker = request.app.state.pywry
        return await worker.uploads.piece(label, token, file, piece, request)

    async def upload_done(label: str, token: str, request: Request) -> Response:
        worker: Worker = request.app.state.pywry
        return await worker.uploads.finish(label, token, request)

    # With auth enabled the session is checked before the label: 401, never a 404 hint.
    guard = [Depends(require_session)] if auth else []
    app.router.routes.append(PlainRoute(f"{prefix}/{{label}}", page, methods=["GET"]))

    def add(path: str, endpoint: Callable[..., Any], method: str, *, guarded: bool) -> None:
        app.router.add_api_route(
            path,
            endpoint,
            methods=[method],
            dependencies=guard if guarded else [],
            include_in_schema=False,
            route_class_override=PrefixedRoute,
        )

    add(f"{prefix}/{{label}}/data", data, "GET", guarded=True)
    app.add_api_websocket_route(f"{prefix}/{{label}}/ws", widget_socket)
    app.add_api_websocket_route(PAGE_SOCKET_PATH, page_socket)
    upload = f"{prefix}/{{label}}/upload"
    for path, endpoint, method in (
        (upload, upload_start, "POST"),
        (f"{upload}/{{token}}/{{file}}/{{piece}}", upload_piece, "PUT"),
        (f"{upload}/{{token}}/done", upload_done, "POST"),
    ):
        add(path, endpoint, method, guarded=True)
    add("/pywry/assets/{filename}", asset, "GET", guarded=False)
    add(f"{FILES_PATH}/{{token}}", download, "GET", guarded=False)


def _add_error_handlers(app: FastAPI, *, login: Callable[[str], str] | None) -> None:
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "widget_not_found", "detail": str(exc)}, status_code=404)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"error": "backend_unavailable", "detail": str(exc)},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    async def unauthorized(request: Request, exc: Exception) -> Response:
        if (
            login is not None
            and request.method == "GET"
            and "html" in request.headers.get("accept", "")
        ):
            # A browser asking for a page: to the login, and back here after it.
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(login(path), 303, headers={"Cache-Control": "no-store"})
        return unauthorized_response(str(exc))

    async def forbidden(request: Request, exc: Exception) -> JSONResponse:
        return forbidden_response()

    app.add_exception_handler(WidgetNotFoundError, not_found)
    app.add_exception_handler(AccessDenied, forbidden)
    app.add_exception_handler(AuthenticationRequired, unauthorized)
    app.add_exception_handler(BackendUnavailableError, unavailable)
