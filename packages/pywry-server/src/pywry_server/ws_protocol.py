"""The WebSocket protocol PyWry runs uvicorn with: uvicorn's own (sans-I/O websockets),
except that shutdown cannot be held up by a peer that stopped reading.

At shutdown uvicorn sends each socket a close frame and closes its transport, which
asyncio does only once the send buffer has drained: a page that never reads keeps it
full, so the worker would wait out ``TIMEOUT_GRACEFUL_SHUTDOWN`` (forever when unset)
and then some. A socket whose buffer still holds data a second after shutdown began is
aborted; the page reconnects (to a live worker) and catches up by replay.

``deploy()`` and ``pywry serve`` use it; bare uvicorn takes it as
``--ws pywry_server.ws_protocol:PyWryWebSocketProtocol``.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

__all__ = ["PyWryWebSocketProtocol"]

#: Seconds a socket has at shutdown to take what is still buffered for it.
DRAIN_AT_SHUTDOWN = 1.0


class PyWryWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol; a stuck peer is dropped at shutdown."""

    def shutdown(self) -> None:
        super().shutdown()
        self.loop.call_later(DRAIN_AT_SHUTDOWN, self._drop_if_stuck)

    def _drop_if_stuck(self) -> None:
        transport = self.transport
        if transport.get_write_buffer_size() > 0:
            transport.abort()  # connection_lost follows: the worker stops waiting for it
