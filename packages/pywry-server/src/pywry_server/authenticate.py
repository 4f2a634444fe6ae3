"""The app's own ``authenticate(request)`` hook: who a request without a session is.

With ``PYWRY_DEPLOY__AUTH_ENABLED=true``, a page, data request or socket that presents
no valid session is handed to the function given to :func:`set_authenticator`. It
looks at the request (a header your auth proxy sets, a client certificate, a token of
your own) and returns an :class:`Identity`, or ``None`` to refuse. PyWry then starts an
ordinary session for that identity (in the backend, so every worker accepts it; its
roles are what per-widget access checks), and an HTTP answer carries its cookie, so the
page's socket and later requests present it and the hook is not asked again::

    from pywry_server.auth import Identity, set_authenticator

    def from_proxy(request):
        user = request.headers.get("x-forwarded-user")
        return Identity(user, roles=["staff"]) if user else None

    set_authenticator(from_proxy)

The hook may be ``async``. One that raises refuses the request (logged with the
traceback): a bug in it never lets anyone in.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "Authenticator",
    "Identity",
    "SessionCookieMiddleware",
    "identify",
    "offer_session_cookie",
    "set_authenticator",
]

logger = logging.getLogger("pywry.server")

#: Where a session started by the hook waits for the HTTP answer that sets its cookie.
_STATE_KEY = "pywry_started_session"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the app's hook says a request comes from."""

    user: str
    roles: tuple[str, ...] | list[str] = ()
    #: Extra data kept in the session record (``SessionRecord.data``).
    data: Mapping[str, Any] = field(default_factory=dict)


Authenticator = Callable[[HTTPConnection], "Identity | Awaitable[Identity | None] | None"]
_hook: list[Authenticator] = []


def set_authenticator(fn: Authenticator | None) -> None:
    """Use ``fn`` for requests without a session (``None``: no hook, such requests get 401)."""
    if fn is not None and not callable(fn):
        raise TypeError(f"set_authenticator() takes a function or None, got {fn!r}")
    _hook[:] = [] if fn is None else [fn]


async def identify(conn: HTTPConnection) -> Identity | None:
    """The hook's answer for ``conn`` (``None`` without a hook, or when it refuses)."""
    if not _hook:
        return None
    try:
        found = _hook[0](conn)
        if inspect.isawaitable(found):
            found = await found
    except Exception:
        logger.exception("The authenticate hook failed; the request is refused")
        return None
    if found is None:
        return None
    if not isinstance(found, Identity) or not isinstance(found.user, str):
        logger.error("The authenticate hook returned %r, not an Identity or None", found)
        return None
    return found


def offer_session_cookie(conn: HTTPConnection, session_id: str, *, secure: bool) -> None:
    """Have the answer to ``conn`` (if HTTP) set the cookie of a session started for it."""
    conn.scope.setdefault("state", {})[_STATE_KEY] = (session_id, secure)


class SessionCookieMiddleware:
    """Sets the cookie of a session the hook started while answering (HTTP only)."""

    def __init__(self, app: ASGIApp, *, cookie_name: str) -> None:
        self.app = app
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            started = scope.get("state", {}).get(_STATE_KEY)
            if message["type"] == "http.response.start" and started is not None:
                session_id, secure = started
                cookie = f"{self.cookie_name}={session_id}; HttpOnly; Path=/; SameSite=lax"
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", (cookie + ("; Secure" if secure else "")).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
