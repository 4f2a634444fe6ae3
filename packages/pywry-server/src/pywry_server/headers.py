"""Security headers on every HTTP response: a pure ASGI middleware (``docs/security.md``).

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
no-referrer``, ``X-Frame-Options`` (``DENY`` or ``SAMEORIGIN`` when the
``frame_ancestors`` setting can be said that way) and, over HTTPS,
``Strict-Transport-Security``. HTML responses also get the Content-Security-Policy
of :func:`content_security_policy`; JSON, assets and the app's other responses are
left without one, so an API route is never affected by a page policy.

A header the app's own route (or an inner middleware) already set is kept as it is:
a route that serves its own HTML with its own inline script sets its own
``Content-Security-Policy``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REFERRER_POLICY", "SecurityHeadersMiddleware", "content_security_policy"]

#: Page URLs name widgets; no other site learns them from a link or a request.
REFERRER_POLICY = "no-referrer"


def content_security_policy(
    frame_ancestors: Sequence[str] = ("'none'",), *, allow_eval: bool = False
) -> str:
    """The policy of PyWry pages: every script from our own server, nothing inline.

    - ``script-src 'self'``: only ``/pywry/assets/...``; inline script, ``javascript:``
      URLs, event-handler attributes and ``eval`` are refused, so markup that slips
      into a page cannot run. ``allow_eval`` (``PYWRY_SERVER__CSP_ALLOW_EVAL``) adds
      ``'unsafe-eval'``, which plotly.js WebGL traces (``scattergl``, 3D, ``splom``,
      ``parcoords``) need: they generate code at run time. Inline script stays refused.
    - ``style-src 'self' 'unsafe-inline'``: styles only. Style attributes in widget
      content and toolbars (``Marquee`` sets one), ``pywry:inject-css`` (a ``<style>``
      element) need it; styles cannot run script.
    - ``connect-src 'self'``: fetches and the WebSocket go to this origin only.
    - ``img-src 'self' data: blob:``: Plotly's image export draws ``data:``/``blob:``.
    - ``object-src 'none'``, ``base-uri 'none'``; ``frame-ancestors`` from the setting.
    """
    directives = [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'" if allow_eval else "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors " + " ".join(frame_ancestors),
    ]
    return "; ".join(directives)


def _frame_options(frame_ancestors: Sequence[str]) -> str | None:
    """The legacy ``X-Frame-Options`` equivalent, when there is one."""
    if list(frame_ancestors) == ["'none'"]:
        return "DENY"
    if list(frame_ancestors) == ["'self'"]:
        return "SAMEORIGIN"
    return None  # a list of origins: only CSP frame-ancestors can say it


class SecurityHeadersMiddleware:
    """Adds the headers above to every ``http`` response (WebSockets pass through)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        frame_ancestors: Sequence[str] = ("'none'",),
        hsts_max_age: int = 31_536_000,
        allow_eval: bool = False,
    ) -> None:
        self.app = app
        self.csp = content_security_policy(frame_ancestors, allow_eval=allow_eval)
        self.common: dict[str, str] = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": REFERRER_POLICY,
        }
        frame_options = _frame_options(frame_ancestors)
        if frame_options is not None:
            self.common["X-Frame-Options"] = frame_options
        self.hsts = f"max-age={hsts_max_age}" if hsts_max_age > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(self.common)
        if self.hsts is not None and _is_https(scope):
            extra["Strict-Transport-Security"] = self.hsts

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
                html = headers.get("content-type", "").lower().startswith("text/html")
                if html and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = self.csp
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_https(scope: Scope) -> bool:
    """HTTPS here or at a proxy that says so.

    Browsers ignore ``Strict-Transport-Security`` received over plain HTTP, so a forged
    ``X-Forwarded-Proto`` cannot make this header do harm.
    """
    if scope.get("scheme") == "https":
        return True
    forwarded = Headers(scope=scope).get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"
