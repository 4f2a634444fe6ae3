"""PyWry's two WebSocket endpoints, reached without the router's per-socket machinery.

A socket lives for as long as its page is open, so whatever is made for it when it
opens is held all that time: FastAPI's route wrapper keeps three exit stacks, the
router's match and the exception layer's ``send`` wrapper per socket, none of which
these endpoints use (no dependencies, no exceptions for FastAPI to turn into answers).
This layer sits innermost, after every middleware (the app's, the socket limit, login
sessions), and hands ``{widget_prefix}/{label}/ws`` and ``/pywry/ws`` to ``ws.py``
directly; the same endpoints stay registered on the router for anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pywry.widgets.composed import PAGE_SOCKET_PATH
from starlette.websockets import WebSocket

from pywry_server.ws import page_socket, widget_socket

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SocketRoutes"]

_SUFFIX = "/ws"


class SocketRoutes:
    """ASGI middleware: a WebSocket for a widget or a composed page goes to its endpoint."""

    def __init__(self, app: ASGIApp, *, widget_prefix: str) -> None:
        self.app = app
        self._start = f"{widget_prefix}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path: str = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path == PAGE_SOCKET_PATH:
                await page_socket(WebSocket(scope, receive, send))
                return
            start = self._start
            if path.startswith(start) and path.endswith(_SUFFIX):
                label = path[len(start) : -len(_SUFFIX)]
                if label and "/" not in label:
                    scope["path_params"] = {"label": label}
                    await widget_socket(WebSocket(scope, receive, send), label)
                    return
        await self.app(scope, receive, send)
