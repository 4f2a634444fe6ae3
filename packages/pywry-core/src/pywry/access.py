"""Per-widget access: who may see a widget, decided the same way on every worker.

A widget made with ``show*(..., roles=[...])`` is for viewers whose session has at
least one of those roles; one made with ``private=True`` is for the session that
created it only (inside a callback, the session of the viewer being answered; in a
request handler, the request's session). The widget's record carries both
(``roles`` and ``private_to``, the SHA-256 of the creator's session id, never the id),
so every worker decides alike. The server asks :func:`decide` before it serves the
widget's page, its data, its WebSocket and each event a browser sends it.

An app can replace the rule with :func:`set_access_check`::

    from pywry.access import AccessRequest, default_access_check
    from pywry.inline import set_access_check


    def staff_only_after_hours(request: AccessRequest) -> bool:
        if request.widget.label.startswith("ops-") and request.viewer.user is None:
            return False
        return default_access_check(request)


    set_access_check(staff_only_after_hours)

The check may be sync or async; it runs for every widget (restricted or not) once set.
This module is a leaf: it imports only :mod:`pywry.context` and :mod:`pywry.errors`
(and the records' types).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pywry.context import current_context
from pywry.errors import AccessError

if TYPE_CHECKING:
    from pywry.state.records import WidgetRecord

__all__ = [
    "AccessCheck",
    "AccessRequest",
    "AccessViewer",
    "AccessWidget",
    "RequestSession",
    "access_check",
    "adopt_request_session",
    "bind_request_session",
    "creator_session",
    "decide",
    "default_access_check",
    "needs_check",
    "normalise_roles",
    "reset_request_session",
    "session_digest",
    "set_access_check",
]


@dataclass(frozen=True, slots=True)
class AccessViewer:
    """Who asks: the logged-in ``user`` (``None`` without a login session), the
    session's ``roles``, and ``session``, the digest (:func:`session_digest`) of the
    session the viewer's pages are bound to (``None`` when there is none)."""

    user: str | None = None
    roles: frozenset[str] = frozenset()
    session: str | None = None
    #: Whether a valid login session came with the request (refusals: 403, else 401).
    authenticated: bool = False

    @property
    def has_session(self) -> bool:
        return self.session is not None


@dataclass(frozen=True, slots=True)
class AccessWidget:
    """What is asked for: the widget ``label``, the ``roles`` it needs (any of them;
    empty: none) and ``private_to``, the digest of its creator's session (or ``None``)."""

    label: str
    roles: frozenset[str] = frozenset()
    private_to: str | None = None

    @property
    def private(self) -> bool:
        return self.private_to is not None

    @property
    def restricted(self) -> bool:
        """Whether the default rule can refuse anyone."""
        return bool(self.roles) or self.private_to is not None

    @classmethod
    def of_record(cls, record: WidgetRecord) -> AccessWidget:
        """What ``record`` (any worker's widget) says about who may see it."""
        return cls(record.widget_id, frozenset(record.roles), record.private_to)


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One question to the access check: may ``viewer`` see ``widget``?"""

    viewer: AccessViewer
    widget: AccessWidget


AccessCheck = Callable[[AccessRequest], bool | Awaitable[bool]]


def default_access_check(request: AccessRequest) -> bool:
    """The built-in rule: the creator's session only for a private widget, and at
    least one of the widget's roles when it names any."""
    widget, viewer = request.widget, request.viewer
    private_to = widget.private_to
    if private_to is not None and not (
        viewer.session is not None and hmac.compare_digest(viewer.session, private_to)
    ):
        return False
    return not widget.roles or bool(widget.roles & viewer.roles)


_check: list[AccessCheck] = []


def set_access_check(check: AccessCheck | None) -> None:
    """Use ``check`` instead of :func:`default_access_check` (``None``: the default again).

    ``check`` gets an :class:`AccessRequest` and returns ``True`` to allow (it may be a
    coroutine function). It replaces the default rule, so call
    :func:`default_access_check` from it to keep roles and ``private`` working. An
    exception in it refuses (and is logged by the server).
    """
    if check is not None and not callable(check):
        raise AccessError(f"set_access_check() needs a callable or None, got {check!r}")
    _check.clear()
    if check is not None:
        _check.append(check)


def access_check() -> AccessCheck | None:
    """The check set with :func:`set_access_check`, or ``None`` (the default rule)."""
    return _check[0] if _check else None


def needs_check(widget: AccessWidget) -> bool:
    """Whether anything must be decided for ``widget`` (else everyone may see it)."""
    return widget.restricted or bool(_check)


async def decide(request: AccessRequest) -> bool:
    """Ask the app's check (or the default rule) whether ``request`` is allowed."""
    check = access_check()
    if check is None:
        return default_access_check(request)
    answer = check(request)
    if inspect.isawaitable(answer):
        answer = await answer
    return answer is True


def session_digest(session_id: str) -> str:
    """What records keep of a session id: its SHA-256 in hex."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def normalise_roles(roles: Iterable[str] | None) -> list[str]:
    """``roles`` as a sorted list of distinct names; :class:`AccessError` if not names."""
    if roles is None:
        return []
    if isinstance(roles, str):
        raise AccessError(f"roles= takes a list of role names, got the string {roles!r}")
    names = list(roles)
    for name in names:
        if not isinstance(name, str) or not name or len(name) > 128:
            raise AccessError(f"A role is a name of 1-128 characters, got {name!r}")
    return sorted(set(names))


# -- the session a widget is created in ---------------------------------------------
@dataclass(slots=True)
class RequestSession:
    """The session of the request being handled, bound by the server's middleware.

    ``used`` is set when a private widget was made with it (the server then makes
    sure the browser keeps that session's cookie).
    """

    session_id: str | None
    used: bool = field(default=False)


_request: ContextVar[RequestSession | None] = ContextVar("pywry_request_session", default=None)


def bind_request_session(session: RequestSession) -> Token[RequestSession | None]:
    """Make ``session`` the current request's (the server does this per request)."""
    return _request.set(session)


def reset_request_session(token: Token[RequestSession | None]) -> None:
    _request.reset(token)


def adopt_request_session(session_id: str) -> None:
    """A login in this request: private widgets made next in it belong to ``session_id``."""
    request = _request.get()
    if request is not None:
        request.session_id = session_id


def creator_session() -> str:
    """The session a private widget created now belongs to.

    Inside a callback, the session of the viewer being answered; in a request
    handler, the request's session. :class:`AccessError` anywhere else.
    """
    ctx = current_context()
    if ctx is not None and ctx.session_id:
        return ctx.session_id
    request = _request.get()
    if request is not None and request.session_id:
        request.used = True
        return request.session_id
    raise AccessError(
        "private=True needs a session to belong to: create the widget inside a callback "
        "(it is then the viewer's) or in a request handler of the app (the request's "
        "session); at import time or in a thread of your own there is none. Use roles= "
        "for widgets made up front"
    )
