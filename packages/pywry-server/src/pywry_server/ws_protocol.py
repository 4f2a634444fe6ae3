"""The WebSocket protocol PyWry runs uvicorn with: uvicorn's own (sans-I/O websockets),
except that shutdown cannot be held up by a peer that stopped reading.

At shutdown uvicorn sends each socket a close frame and closes its transport, which
asyncio does only once the send buffer has drained: a page that never reads keeps it
full, so the worker would wait out ``TIMEOUT_GRACEFUL_SHUTDOWN`` (forever when unset)
and then some. A socket whose buffer still holds data a second after shutdown began is
aborted; the page reconnects (to a live worker) and catches up by replay.

It also offers PyWry's sockets a way to write a frame at once (:data:`SEND_NOW`, an
ASGI scope extension): a frame for a socket whose send buffer has room goes out from
whoever has it, without waking the socket's writer task. Under another WebSocket
protocol the extension is absent and every frame goes through the writer.

``deploy()`` and ``pywry serve`` use it; bare uvicorn takes it as
``--ws pywry_server.ws_protocol:PyWryWebSocketProtocol``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

if TYPE_CHECKING:
    from websockets.http11 import Request

__all__ = ["SEND_NOW", "PyWryWebSocketProtocol"]

#: The scope extension holding :meth:`PyWryWebSocketProtocol.send_now` for the app.
SEND_NOW = "pywry.send_now"

#: Seconds a socket has at shutdown to take what is still buffered for it.
DRAIN_AT_SHUTDOWN = 1.0


class PyWryWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol; a stuck peer is dropped at shutdown, and a frame
    can be written at once (:meth:`send_now`)."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none: the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_NOW] = self.send_now

    def send_now(self, text: str) -> bool:
        """Write one text frame now if the socket takes it without waiting: accepted,
        not closing, its send buffer below the high-water mark. ``False``: it did not
        (the caller sends it the usual way, which waits for room)."""
        if (
            not self.handshake_complete
            or self.initial_response is not None
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
        ):
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:  # closing on the protocol's side
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    def shutdown(self) -> None:
        super().shutdown()
        self.loop.call_later(DRAIN_AT_SHUTDOWN, self._drop_if_stuck)

    def _drop_if_stuck(self) -> None:
        transport = self.transport
        if transport.get_write_buffer_size() > 0:
            transport.abort()  # connection_lost follows: the worker stops waiting for it
