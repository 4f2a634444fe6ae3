"""Per-widget access, applied: pages, data, sockets, events and upkeep.

The rule itself is core's (:mod:`pywry.access`: roles any-of, ``private`` for the
creator's session, or the app's :func:`~pywry.access.set_access_check`). This module
works out who asks (:class:`~pywry.access.AccessViewer`) from a request or a socket
and acts on the answer:

============================  ===================================================
``{prefix}/{label}``, data    ``401`` when a login could help (no login session,
                              and the widget has roles or the app has its own
                              check, or the browser has no session at all), else
                              ``403 {"error": "forbidden"}``
``{prefix}/{label}/ws``       error frame ``forbidden_widget``, closed with 4403
an event on an open socket    error reply ``forbidden_widget`` (with the frame's
                              ``id``); no callback runs
upkeep                        a socket whose session lost access (expired, logged
                              out, the check now says no) is told and closed, 4403
============================  ===================================================

Who asks: ``user`` and ``roles`` come from the login session the request presents
(``pywry_server.auth``), with auth on or off; ``session`` is the digest of the
session the viewer's pages are bound to (the login session with auth on, else the
anonymous ``pywry_anon`` cookie), which is what ``private`` compares.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from fastapi.responses import JSONResponse
from pywry.access import (
    AccessRequest,
    AccessViewer,
    AccessWidget,
    RequestSession,
    access_check,
    bind_request_session,
    decide,
    needs_check,
    reset_request_session,
    session_digest,
)
from pywry.errors import WidgetNotFoundError
from pywry.state.records import SessionRecord
from starlette.requests import HTTPConnection

from pywry_server.auth import AuthenticationRequired, current_session, session_id_of
from pywry_server.codes import CloseCode, ErrorCode
from pywry_server.grants import SocketAccess
from pywry_server.viewers import anonymous_session

if TYPE_CHECKING:
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend
    from starlette.types import ASGIApp, Receive, Scope, Send

    from pywry_server.connection import Connection
    from pywry_server.sockets import SocketRegistry

__all__ = [
    "AccessDenied",
    "AccessGuard",
    "LoginSessionScope",
    "SocketAccess",
    "forbidden_response",
]

logger = logging.getLogger("pywry.server.access")
FORBIDDEN_MESSAGE = "This widget is not available to your session"


class AccessDenied(Exception):
    """A request whose session may not see the widget; the app answers ``403``."""


def forbidden_response() -> JSONResponse:
    """The 403 body: nothing about the widget or the rule."""
    return JSONResponse(
        {"error": "forbidden"}, status_code=403, headers={"Cache-Control": "no-store"}
    )


def _viewer(login: SessionRecord | None, browser: str | None) -> AccessViewer:
    return AccessViewer(
        user=(login.user or None) if login is not None else None,
        roles=frozenset(login.roles) if login is not None else frozenset(),
        session=session_digest(browser) if browser else None,
        authenticated=login is not None,
    )


class AccessGuard:
    """The access decisions of one worker (built in ``Worker.compose``)."""

    def __init__(self, runtime: Runtime, backend: StateBackend, *, auth_enabled: bool) -> None:
        self._runtime = runtime
        self._backend = backend
        self._auth = auth_enabled

    def _browser(self, conn: HTTPConnection, login: SessionRecord | None) -> str | None:
        """The session id a viewer of ``conn`` is bound to (see the module docstring)."""
        if self._auth:
            return login.session_id if login is not None else None
        return anonymous_session(conn.headers.get("cookie")) or None

    async def check_request(self, request: HTTPConnection, label: str) -> None:
        """Raise unless ``request`` may see ``label``: ``WidgetNotFoundError`` (404),
        ``AuthenticationRequired`` (401) or :class:`AccessDenied` (403)."""
        widget = await self._runtime.find_access(label)
        if not needs_check(widget):
            return
        login = await current_session(request)
        viewer = _viewer(login, self._browser(request, login))
        if await self._allowed(viewer, widget):
            return
        if login is None and (widget.roles or viewer.session is None or access_check()):
            # A login might help: roles come with one, and so does what the app checks.
            raise AuthenticationRequired("This widget needs a session that may see it; log in")
        raise AccessDenied()  # the session is there, and may not see it (another's private)

    async def check_socket(
        self, websocket: HTTPConnection, widget: AccessWidget, login: SessionRecord | None
    ) -> SocketAccess | None:
        """The socket's access if it may see ``widget``, else ``None`` (refuse it).

        ``login`` is the session the handshake already checked (auth on); with auth off
        the login session, if the socket presents one, is read here.
        """
        if login is None and not self._auth and needs_check(widget):
            login = await current_session(websocket)
        viewer = _viewer(login, self._browser(websocket, login))
        access = SocketAccess(viewer, widget, login.session_id if login is not None else None)
        if needs_check(widget) and not await self._allowed(viewer, widget):
            return None
        return access

    async def allows_event(self, connection: Connection) -> bool:
        """Whether the socket's viewer may still send events to its widget.

        A widget of this process is asked as it is now (shown again with other roles);
        another worker's as the socket found it (upkeep refreshes it).
        """
        access = connection.access
        if access is None:
            return True
        local = self._runtime.get(connection.label)
        if local is not None:
            access.widget = local.access
        if not needs_check(access.widget):
            return True
        return await self._allowed(access.viewer, access.widget)

    async def sweep(self, sockets: SocketRegistry) -> None:
        """Upkeep: close (4403) sockets whose session lost access to their widget.

        Each widget and each login session is read once per round.
        """
        widgets: dict[str, AccessWidget | None] = {}
        logins: dict[str, SessionRecord | None] = {}
        for connection in sockets.all():
            access = connection.access
            if access is None:
                continue
            label = connection.label
            if label not in widgets:
                try:
                    widgets[label] = await self._runtime.find_access(label)
                except WidgetNotFoundError:
                    widgets[label] = None  # gone: the availability step closes its sockets
            widget = widgets[label]
            if widget is None:
                continue
            access.widget = widget
            if not needs_check(widget):
                continue
            if access.login is not None:
                if access.login not in logins:
                    logins[access.login] = await self._backend.sessions.get(access.login)
                fresh = _viewer(logins[access.login], None)
                access.viewer = replace(fresh, session=access.viewer.session)
            if not await self._allowed(access.viewer, widget):
                refuse_socket(connection)

    async def _allowed(self, viewer: AccessViewer, widget: AccessWidget) -> bool:
        try:
            return await decide(AccessRequest(viewer, widget))
        except Exception:  # the app's check failed: refuse, and say why in the log
            logger.exception("The access check failed for widget %r; refused", widget.label)
            return False


def forbidden_frame(frame_id: str | None = None) -> dict[str, str]:
    frame = {"type": "error", "code": ErrorCode.FORBIDDEN_WIDGET, "message": FORBIDDEN_MESSAGE}
    if frame_id is not None:
        frame["id"] = frame_id
    return frame


def refuse_socket(connection: Connection) -> None:
    """Tell the page it may not see the widget, then close with 4403."""
    connection.send(forbidden_frame())
    connection.close(CloseCode.FORBIDDEN, ErrorCode.FORBIDDEN_WIDGET)


class LoginSessionScope:
    """With auth on, binds each HTTP request's login session for ``show*(private=True)``.

    (With auth off, :class:`~pywry_server.viewers.AnonymousSessionMiddleware` binds the
    anonymous session instead.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = bind_request_session(RequestSession(session_id_of(HTTPConnection(scope))))
        try:
            await self.app(scope, receive, send)
        finally:
            reset_request_session(token)
