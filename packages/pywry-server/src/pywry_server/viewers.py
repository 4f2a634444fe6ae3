"""Viewers (page loads) and the anonymous browser session they are bound to.

A viewer id is issued by the server in the first ``welcome`` of a page and presented
again in every ``hello`` of that page, on any worker. It is bound to the browser's
session: the login session with ``PYWRY_DEPLOY__AUTH_ENABLED``, else the anonymous
``pywry_anon`` cookie that every HTML response sets for a browser that lacks one. A
viewer id presented with another session, or one the server never issued (or that
expired), is refused (close 4403).

Records live in the backend's session store under ``viewer:<id>`` (a name no login
session can take: session ids are letters, digits, ``-`` and ``_`` only), hold the
viewer's ``ctx.state``, and expire ``SESSION_TTL`` after their last use.
"""

from __future__ import annotations

import hmac
import re
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from pywry.state.records import SessionRecord

from pywry_server import _tokens
from pywry_server.messages import ViewerRef

if TYPE_CHECKING:
    from pywry.state.base import SessionStore

__all__ = [
    "ANON_COOKIE",
    "VIEWER_ID",
    "ViewerDirectory",
    "anonymous_cookie",
    "anonymous_session",
    "viewer_log",
]

ANON_COOKIE = "pywry_anon"
#: What a viewer id looks like (anything else in a hello is refused unread).
VIEWER_ID = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_ANON_VALUE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_RECORD_PREFIX = "viewer:"


def viewer_log(viewer_id: str) -> str:
    """The id of a viewer's own event log (widget labels cannot contain ``:``)."""
    return f"viewer:{viewer_id}"


def anonymous_session(cookie_header: str | None) -> str:
    """The anonymous session a request or socket carries, or ``""`` when it has none."""
    if not cookie_header or ANON_COOKIE not in cookie_header:
        return ""
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(cookie_header)
    except Exception:  # a malformed Cookie header: no session
        return ""
    morsel = cookie.get(ANON_COOKIE)
    value = morsel.value if morsel is not None else ""
    return value if _ANON_VALUE.match(value) else ""


class ViewerDirectory:
    """Viewer records: issue, resume (checking the binding), state, renewal."""

    def __init__(self, sessions: SessionStore, *, ttl: float) -> None:
        self._sessions = sessions
        self._ttl = ttl

    async def open(self, session_id: str, user: str | None) -> ViewerRef:
        """A new viewer for a page of ``session_id``."""
        viewer = ViewerRef(viewer_id=_tokens.token_urlsafe(18), session_id=session_id, user=user)
        await self._store(viewer, {})
        return viewer

    async def resume(self, viewer_id: str, session_id: str) -> ViewerRef | None:
        """The viewer ``viewer_id`` if it exists and belongs to ``session_id``, else ``None``."""
        if not VIEWER_ID.match(viewer_id):
            return None
        record = await self._sessions.get(_RECORD_PREFIX + viewer_id)
        if record is None:
            return None
        bound = record.data.get("session")
        if not isinstance(bound, str) or not hmac.compare_digest(bound, session_id):
            return None
        await self._sessions.touch(record.session_id, ttl=self._ttl)
        return ViewerRef(viewer_id=viewer_id, session_id=bound, user=record.user or None)

    async def load_state(self, viewer_id: str) -> dict[str, Any]:
        record = await self._sessions.get(_RECORD_PREFIX + viewer_id)
        state = record.data.get("state") if record is not None else None
        return dict(state) if isinstance(state, dict) else {}

    async def save_state(self, viewer: ViewerRef, state: dict[str, Any]) -> None:
        await self._store(viewer, state)

    async def keep(self, viewer: ViewerRef) -> None:
        """Renew a viewer whose page is still open; write it again if the backend lost it
        (a restart with no data), so the page's next reconnect is still its own."""
        if not await self._sessions.touch(_RECORD_PREFIX + viewer.viewer_id, ttl=self._ttl):
            await self._store(viewer, {})

    async def _store(self, viewer: ViewerRef, state: dict[str, Any]) -> None:
        record = SessionRecord(
            session_id=_RECORD_PREFIX + viewer.viewer_id,
            user=viewer.user or "",
            data={"session": viewer.session_id, "state": state},
        )
        await self._sessions.create(record, ttl=self._ttl)


def anonymous_cookie(session_id: str, *, secure: bool) -> bytes:
    """The ``Set-Cookie`` value that gives a browser its anonymous session.

    Set on HTML answers to a browser without one (and on any answer whose handler made
    a private widget for that session, ``show*(..., private=True)``), by ``edge.py``:
    HttpOnly, SameSite=Lax, Secure over HTTPS.
    """
    cookie = f"{ANON_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"
    return (cookie + "; Secure" if secure else cookie).encode()
