"""The server's edge: one ASGI layer that gives every HTTP answer what it needs, in one pass.

A request's headers are read once, and its answer's start is decorated once, with:

- its request id (``X-Request-ID``: a well-formed one from the client is kept), also
  bound for the request's log lines (``logs.py``);
- the security headers of ``headers.py`` (the Content-Security-Policy on HTML);
- with login sessions off, the anonymous session: bound for ``show*(private=True)`` in
  the handler, and its cookie set on HTML answers to a browser that has none
  (``viewers.py``);
- gzip for clients that take it, each whole body compressed once (``compression.py``);
- CORS (Starlette's ``CORSMiddleware``, the ``CORS_ORIGINS`` setting) for requests that
  carry an ``Origin``; a request without one is not cross-origin and skips it.

One layer instead of one middleware per concern: each of those wrapped every answer's
``send`` again, and together they cost as much CPU as FastAPI's own routing.

Widget pages of this process that anyone may see go out from here as well, rendered and
encoded once per widget version, without FastAPI's router: the page is the hottest
route. Anything else (a widget of another worker, one with roles, a private one, an
app access check, login sessions on, another method) takes the ordinary route.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pywry.access import RequestSession, bind_request_session, needs_check, reset_request_session
from pywry.widgets.page import local_page_bytes
from starlette.middleware.cors import CORSMiddleware

from pywry_server import _tokens
from pywry_server.answer import Answer
from pywry_server.compression import GzipCache, accepts_gzip
from pywry_server.headers import SecurityHeaders, is_https
from pywry_server.logs import take_request_id
from pywry_server.viewers import anonymous_session

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Edge", "PageRoute"]

_PAGE_TYPE = b"text/html; charset=utf-8"


class PageRoute:
    """What the metrics middleware reads from a scope the edge answered (the template)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class Edge:
    """ASGI middleware: the outermost PyWry layer of every HTTP request (see above)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        security: SecurityHeaders,
        cors_origins: Sequence[str] = ("*",),
        anonymous: bool = True,
        page_prefix: str | None = None,
        gzip_cache: GzipCache | None = None,
        minimum_size: int = 1024,
    ) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST", "PUT", "OPTIONS"],
            allow_headers=["*"],
        )
        self.security = security
        self.anonymous = anonymous
        self.gzip = gzip_cache or GzipCache()
        self.minimum_size = minimum_size
        self._page_start = f"{page_prefix}/" if page_prefix is not None else None
        self._page_route = PageRoute(f"{page_prefix}/{{label}}")
        self._page_prefix = page_prefix or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":  # the handshake's log lines carry an id too
                take_request_id(_header(scope, b"x-request-id"))
            await self.app(scope, receive, send)
            return
        given = cookie = accept = origin = proto = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value
            elif name == b"cookie":
                cookie = cookie or value
            elif name == b"accept-encoding":
                accept = value
            elif name == b"origin":
                origin = value
            elif name == b"x-forwarded-proto":
                proto = value
        gzip = accepts_gzip(accept)
        answer = Answer(
            send,
            request_id=take_request_id(given),
            https=is_https(scope, proto),
            security=self.security,
            gzip=self.gzip if gzip else None,
            minimum_size=self.minimum_size,
        )
        if not self.anonymous:
            await (self.cors if origin else self.app)(scope, receive, answer.send)
            return
        existing = anonymous_session(cookie.decode("latin-1"))
        session = RequestSession(existing or _tokens.token_urlsafe(24))
        if not existing:  # the answer gives the browser this session's cookie
            answer.new_session = session
        token = bind_request_session(session)
        try:
            if origin or not await self._page(scope, answer, gzip=gzip):
                await (self.cors if origin else self.app)(scope, receive, answer.send)
        finally:
            reset_request_session(token)

    async def _page(self, scope: Scope, answer: Answer, *, gzip: bool) -> bool:
        """Answer a public page of a widget of this process; ``False``: not one.

        Its bytes (and their gzip, from the cache of compressed bodies) are made once
        per version of the widget.
        """
        start = self._page_start
        if start is None or scope["method"] != "GET" or not scope["path"].startswith(start):
            return False
        label = scope["path"][len(start) :]
        worker = getattr(scope["app"].state, "pywry", None) if "app" in scope else None
        if not label or "/" in label or worker is None:
            return False
        widget = worker.runtime.get(label)
        if widget is None or needs_check(widget.access):
            return False
        body = local_page_bytes(widget, widget_prefix=self._page_prefix)
        scope["route"] = self._page_route
        headers = [(b"content-type", _PAGE_TYPE)]
        if gzip and len(body) >= self.minimum_size:
            body = self.gzip.compress(body)
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        headers.append((b"content-length", b"%d" % len(body)))
        await answer.whole(headers, body)
        return True


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""
