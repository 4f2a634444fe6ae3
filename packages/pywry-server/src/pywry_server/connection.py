"""One browser socket on this worker: ordered sends, replay, then live delivery."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

__all__ = ["Connection", "ConnectionState"]

logger = logging.getLogger("pywry.server.connection")


class ConnectionState(str, Enum):
    CONNECTING = "connecting"  # accepted, replay not yet sent: live events are held
    OPEN = "open"  # live events flow
    CLOSED = "closed"


class Connection:
    """A browser viewing ``label``; ``client_id`` names the page across reconnects."""

    def __init__(self, websocket: WebSocket, label: str, client_id: str) -> None:
        self.websocket = websocket
        self.label = label
        self.client_id = client_id
        self.connection_id = secrets.token_hex(8)
        self.state = ConnectionState.CONNECTING
        self._lock = asyncio.Lock()
        self._held: list[dict[str, Any]] = []
        self._last_sent = 0

    @staticmethod
    def new_client_id() -> str:
        return secrets.token_hex(8)

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one frame; ``False`` if the socket is gone."""
        if self.state is ConnectionState.CLOSED:
            return False
        async with self._lock:
            if self.websocket.application_state is not WebSocketState.CONNECTED:
                self.state = ConnectionState.CLOSED
                return False
            try:
                await self.websocket.send_text(json.dumps(message, separators=(",", ":")))
            except Exception as exc:  # the peer went away mid-send
                logger.debug("Send to %s failed: %s", self.connection_id, exc)
                self.state = ConnectionState.CLOSED
                return False
        return True

    async def _send_event(self, message: dict[str, Any]) -> None:
        seq = int(message.get("seq", 0))
        if seq and seq <= self._last_sent:
            return
        if await self.send(message) and seq:
            self._last_sent = seq

    async def start_delivery(self, missed: list[dict[str, Any]]) -> None:
        """Send the replayed events, then everything held meanwhile; go live."""
        if self.state is not ConnectionState.CONNECTING:
            raise RuntimeError(
                f"start_delivery() expected state connecting, got {self.state.value}"
            )
        for message in missed:
            await self._send_event(message)
        while self._held:
            await self._send_event(self._held.pop(0))
        self.state = ConnectionState.OPEN

    async def deliver(self, message: dict[str, Any]) -> None:
        """A live server-to-browser event (held until the replay is done)."""
        if self.state is ConnectionState.CONNECTING:
            self._held.append(message)
        elif self.state is ConnectionState.OPEN:
            await self._send_event(message)

    async def send_unavailable(self, reason: str) -> None:
        await self.send(
            {
                "type": "event",
                "event": "pywry:widget-unavailable",
                "data": {"label": self.label, "reason": reason},
            }
        )

    async def close(self, code: int, reason: str) -> None:
        if self.state is ConnectionState.CLOSED:
            return
        self.state = ConnectionState.CLOSED
        if self.websocket.application_state is WebSocketState.CONNECTED:
            try:
                await self.websocket.close(code=code, reason=reason)
            except Exception as exc:
                logger.debug("Close of %s failed: %s", self.connection_id, exc)
