"""Security headers on every HTTP response (``docs/security.md``), added by ``edge.py``.

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

from starlette.types import Scope

__all__ = ["REFERRER_POLICY", "SecurityHeaders", "content_security_policy", "is_https"]

#: Page URLs name widgets; no other site learns them from a link or a request.
REFERRER_POLICY = b"no-referrer"


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


class SecurityHeaders:
    """The headers above, encoded once, added to each answer by :mod:`pywry_server.edge`."""

    def __init__(
        self,
        *,
        frame_ancestors: Sequence[str] = ("'none'",),
        hsts_max_age: int = 31_536_000,
        allow_eval: bool = False,
    ) -> None:
        self._common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", REFERRER_POLICY),
        ]
        frame_options = _frame_options(frame_ancestors)
        if frame_options is not None:
            self._common.append((b"x-frame-options", frame_options.encode()))
        self._csp = content_security_policy(frame_ancestors, allow_eval=allow_eval).encode()
        self._hsts = f"max-age={hsts_max_age}".encode() if hsts_max_age > 0 else None

    def add(
        self,
        headers: list[tuple[bytes, bytes]],
        *,
        html: bool,
        https: bool,
        present: set[bytes],
    ) -> None:
        """Append to ``headers`` (an answer's) those it does not set; ``present``: the
        lower-case names the answer came with."""
        for name, value in self._common:
            if name not in present:
                headers.append((name, value))
        if https and self._hsts is not None and b"strict-transport-security" not in present:
            headers.append((b"strict-transport-security", self._hsts))
        if html and b"content-security-policy" not in present:
            headers.append((b"content-security-policy", self._csp))


def is_https(scope: Scope, forwarded_proto: bytes) -> bool:
    """HTTPS here or at a proxy that says so (``forwarded_proto``: its header, or ``b""``).

    Browsers ignore ``Strict-Transport-Security`` and ``Secure`` cookies' absence over
    plain HTTP, so a forged ``X-Forwarded-Proto`` cannot make either do harm.
    """
    if scope.get("scheme") == "https":
        return True
    return forwarded_proto.split(b",")[0].strip().lower() == b"https"
