"""Which browser origins may open a widget's WebSocket (a leaf module: no PyWry imports).

A browser always sends ``Origin`` with a WebSocket handshake, and a page cannot forge
it, so the check is what stops another site (or another port on the same host) from
driving a dashboard through a visitor's browser. The rule:

- no ``Origin`` header: allowed. Only non-browser clients (scripts, tests, monitors)
  omit it, and they can send any header they like anyway; with auth on they still
  need a session.
- the server's own origin: allowed when the origin's ``host[:port]`` equals the
  request's ``Host`` header (ports compared after dropping the scheme's default, 80 or
  443; the scheme is not compared, because TLS often ends at a proxy in front of us).
  ``X-Forwarded-Host`` is never consulted: any client can send it.
- origins listed in ``PYWRY_SERVER__CORS_ORIGINS``: allowed (compared the same way).
  ``"*"`` there opens HTTP CORS only, never the WebSocket.
- anything else, ``null`` (sandboxed frames, ``file:`` pages) included: refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["normalise_origin", "origin_allowed"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _authority(host: str, port: int | None, scheme: str) -> str:
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return host
    return f"{host}:{port}"


def normalise_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` lower-cased without a default port, or ``None`` if malformed."""
    text = origin.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or parts.path or parts.query or parts.username:
        return None
    scheme = parts.scheme.lower()
    return f"{scheme}://{_authority(parts.hostname.lower(), port, scheme)}"


def _host_authority(host: str, scheme: str) -> str | None:
    """The ``Host`` header as ``host[:port]``, parsed the way :func:`normalise_origin` is."""
    return (normalise_origin(f"{scheme}://{host.strip()}") or "").partition("://")[2] or None


def origin_allowed(origin: str | None, host: str | None, allowed: Iterable[str]) -> bool:
    """Whether a WebSocket handshake from ``origin`` to ``Host: host`` may proceed.

    ``allowed`` is the ``CORS_ORIGINS`` setting; its ``"*"`` is ignored here.
    """
    if origin is None:
        return True
    wanted = normalise_origin(origin)
    if wanted is None:
        return False
    listed = {normalise_origin(a) for a in allowed if a.strip() != "*"}
    if wanted in listed:
        return True
    if host is None:
        return False
    scheme, _, authority = wanted.partition("://")
    return authority == _host_authority(host, scheme)
