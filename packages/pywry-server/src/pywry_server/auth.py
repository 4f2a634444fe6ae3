"""Session authentication for deploy mode (``PYWRY_DEPLOY__AUTH_ENABLED=true``).

PyWry does not check passwords: your own login route decides who the user is and
calls :func:`create_session`; PyWry then requires that session on widget pages,
widget data and WebSockets. Sessions are :class:`~pywry.state.records.SessionRecord`
entries in the state backend (so every worker accepts them) and expire
``PYWRY_DEPLOY__SESSION_TTL`` seconds after their last use, and
``PYWRY_DEPLOY__SESSION_MAX_AGE`` seconds after the login at the latest (each touch
renews a session for the smaller of the two). A login replaces the session the
request presented, so an id planted before the login or used before it is dead.

A request carries its session in the ``pywry_session`` cookie, or, for API
clients, in an ``Authorization: Bearer <session id>`` header. Use means a page or
data request, or an event sent over a WebSocket; an open page that sends nothing
does not keep its session alive, and its socket is closed with code 4401 by the
next upkeep round once the session is gone.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pywry.access import adopt_request_session, normalise_roles
from pywry.state.records import SessionRecord
from starlette.requests import HTTPConnection

from pywry_server.authenticate import (
    Identity,
    identify,
    offer_session_cookie,
    set_authenticator,
)
from pywry_server.codes import CloseCode, ErrorCode

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from pywry.state.base import StateBackend

    from pywry_server.connection import Connection
    from pywry_server.sockets import SocketRegistry

__all__ = [
    "CLOSE_UNAUTHORIZED",
    "COOKIE_NAME",
    "AuthenticationRequired",
    "Identity",
    "close_expired_sockets",
    "close_unauthorized",
    "create_session",
    "current_session",
    "end_session",
    "require_session",
    "session_id_of",
    "session_still_valid",
    "set_authenticator",
    "unauthorized_response",
]

#: The cookie that carries the session id (HttpOnly, SameSite=Lax, Secure over HTTPS).
COOKIE_NAME = "pywry_session"
#: WebSocket close code for a missing, unknown or expired session (the bridge stops).
CLOSE_UNAUTHORIZED = CloseCode.UNAUTHORIZED
_SESSION_ID = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")
#: Sessions whose login time this process remembers (so an event needs no extra read).
_CREATED_CACHE = 10_000
_created_at: OrderedDict[str, float] = OrderedDict()


class AuthenticationRequired(Exception):
    """Raised by :func:`require_session`; the app answers ``401 unauthorized``."""

    def __init__(self, detail: str = "A valid session is required; log in first") -> None:
        super().__init__(detail)
        self.detail = detail


def unauthorized_response(detail: str) -> JSONResponse:
    """The 401 body every protected route answers with."""
    return JSONResponse(
        {"error": "unauthorized", "detail": detail},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="pywry"', "Cache-Control": "no-store"},
    )


class Deployment(Protocol):
    """What sessions need of a running worker (its settings and backend)."""

    settings: PyWrySettings
    backend: StateBackend


def _deployment(conn: HTTPConnection) -> Deployment:
    found: Deployment | None = getattr(conn.app.state, "pywry", None)
    if found is None:
        raise RuntimeError(
            "PyWry sessions need the app from get_server_app() with its lifespan running "
            "(mounting it inside another app skips the lifespan)"
        )
    return found


def session_id_of(conn: HTTPConnection) -> str | None:
    """The session id a request or socket presents: the Bearer header, else the cookie.

    Values that cannot be a session id are ignored (never looked up).
    """
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    candidate = token.strip() if scheme.lower() == "bearer" else ""
    candidate = candidate or conn.cookies.get(COOKIE_NAME, "")
    return candidate if _SESSION_ID.match(candidate) else None


def _secure(conn: HTTPConnection) -> bool:
    """HTTPS directly, or behind a proxy that says so (the cookie gets ``Secure``)."""
    forwarded = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return conn.url.scheme in {"https", "wss"} or forwarded == "https"


async def create_session(
    request: Request,
    response: Response,
    *,
    user: str = "",
    roles: Sequence[str] | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Start a session for ``user`` and set its cookie on ``response``; returns its id.

    Call it from your own login route once you have checked the user. The id can
    also be handed to API clients, which send it as ``Authorization: Bearer <id>``.
    ``roles`` are what per-widget access checks (``show*(..., roles=[...])``); they
    are stored in the session record, so every worker applies them.
    """
    allowed = normalise_roles(roles)
    hub = _deployment(request)
    previous = session_id_of(request)
    if previous is not None:  # rotation: a fixated or earlier id dies with the login
        await hub.backend.sessions.remove(previous)
        _created_at.pop(previous, None)
    session_id = secrets.token_urlsafe(32)
    record = SessionRecord(session_id=session_id, user=user, roles=allowed, data=data or {})
    deploy = hub.settings.deploy
    await hub.backend.sessions.create(record, ttl=min(deploy.session_ttl, deploy.session_max_age))
    _remember(session_id, record.created_at)
    response.set_cookie(
        COOKIE_NAME,
        session_id,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    if deploy.auth_enabled:  # a private widget made next in this handler is the new session's
        adopt_request_session(session_id)
    return session_id


async def end_session(request: Request, response: Response) -> bool:
    """Log out: delete the request's session everywhere and clear its cookie.

    Returns ``True`` if there was a session to delete. Sockets using it are closed
    with code 4401 at the next upkeep round or at their next event.
    """
    session_id = session_id_of(request)
    removed = False
    if session_id is not None:
        removed = await _deployment(request).backend.sessions.remove(session_id)
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )
    return removed


async def current_session(conn: HTTPConnection) -> SessionRecord | None:
    """The valid session of a request (or socket), or ``None``; renews its TTL.

    With auth on, a request without one is asked of the app's ``authenticate`` hook
    (:mod:`pywry_server.authenticate`), which may start one.
    """
    hub = _deployment(conn)
    session_id = session_id_of(conn)
    record = None if session_id is None else await hub.backend.sessions.get(session_id)
    if record is not None:
        _remember(record.session_id, record.created_at)
        if await _renew(hub, record.session_id, record.created_at):
            return record
    if not hub.settings.deploy.auth_enabled:
        return None
    return await _session_from_hook(hub, conn)


async def _session_from_hook(hub: Deployment, conn: HTTPConnection) -> SessionRecord | None:
    identity = await identify(conn)
    if identity is None:
        return None
    deploy = hub.settings.deploy
    record = SessionRecord(
        session_id=secrets.token_urlsafe(32),
        user=identity.user,
        roles=normalise_roles(identity.roles),
        data=dict(identity.data),
    )
    await hub.backend.sessions.create(record, ttl=min(deploy.session_ttl, deploy.session_max_age))
    _remember(record.session_id, record.created_at)
    offer_session_cookie(conn, record.session_id, secure=_secure(conn))
    return record


def _remember(session_id: str, created_at: float) -> None:
    _created_at[session_id] = created_at
    _created_at.move_to_end(session_id)
    while len(_created_at) > _CREATED_CACHE:
        _created_at.popitem(last=False)


async def _renew(hub: Deployment, session_id: str, created_at: float) -> bool:
    """Touch a session for ``SESSION_TTL``, never past its ``SESSION_MAX_AGE``.

    ``False`` if it is gone or too old (an old one is removed from the backend).
    """
    deploy = hub.settings.deploy
    left = created_at + deploy.session_max_age - time.time()
    if left <= 0:
        await hub.backend.sessions.remove(session_id)
        _created_at.pop(session_id, None)
        return False
    return await hub.backend.sessions.touch(session_id, ttl=min(deploy.session_ttl, left))


async def require_session(request: Request) -> SessionRecord | None:
    """FastAPI dependency: the session, or 401 when auth is enabled and there is none.

    With auth disabled it returns the session if there is one and never refuses,
    so ``dependencies=[Depends(require_session)]`` on your own routes follows the
    ``PYWRY_DEPLOY__AUTH_ENABLED`` setting like PyWry's routes do.
    """
    session = await current_session(request)
    if session is None and _deployment(request).settings.deploy.auth_enabled:
        raise AuthenticationRequired()
    return session


async def session_still_valid(hub: Deployment, connection: Connection) -> bool:
    """Renew the session of a socket that sent an event; ``False`` if it is gone or too old."""
    session_id = connection.session_id
    if session_id is None:
        return True
    created_at = _created_at.get(session_id)
    if created_at is None:  # first event of this session here: read its login time once
        record = await hub.backend.sessions.get(session_id)
        if record is None:
            return False
        created_at = record.created_at
        _remember(session_id, created_at)
    return await _renew(hub, session_id, created_at)


async def close_expired_sockets(backend: StateBackend, sockets: SocketRegistry) -> None:
    """Close (4401) this worker's sockets whose session expired or was ended (upkeep)."""
    by_session: dict[str, list[Connection]] = {}
    for connection in sockets.all():
        if connection.session_id is not None:
            by_session.setdefault(connection.session_id, []).append(connection)
    for session_id, connections in by_session.items():
        if await backend.sessions.get(session_id) is not None:
            continue
        for connection in connections:
            close_unauthorized(connection)


def close_unauthorized(connection: Connection) -> None:
    """Tell the browser why, then close with :data:`CLOSE_UNAUTHORIZED`."""
    connection.send(
        {
            "type": "error",
            "code": ErrorCode.UNAUTHORIZED,
            "message": "The session expired or was ended",
        }
    )
    connection.close(CLOSE_UNAUTHORIZED, "session expired")
