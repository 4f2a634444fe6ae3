"""One browser socket on this worker: ordered sends, replay, then live delivery.

Server-to-browser events carry the widget's sequence number (``seq``). A
:class:`Connection` sends them strictly in ``seq`` order, each once:

- live events can arrive out of order (two workers emit at once and publish in the
  other order) or with holes (the event bus lost messages during a backend outage);
  a hole is filled from the widget's replay log before anything newer is sent;
- a ``seq`` at or below the last one sent is a duplicate, unless the log's newest
  ``seq`` is now below it: then the log was reset (the backend lost its data, or
  the log expired) and the browser is told to start counting again (``reset``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from enum import Enum
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketState

__all__ = ["Connection", "ConnectionState", "EventLog"]

logger = logging.getLogger("pywry.server.connection")
Message = dict[str, Any]


class EventLog(Protocol):
    """The part of :class:`pywry.state.base.EventBus` a connection reads."""

    async def since(self, widget_id: str, after_seq: int) -> list[Message]: ...

    async def last_seq(self, widget_id: str) -> int: ...


class ConnectionState(str, Enum):
    CONNECTING = "connecting"  # accepted, replay not yet sent: live events are held
    OPEN = "open"  # live events flow
    CLOSED = "closed"


class Connection:
    """A browser viewing ``label``; ``client_id`` names the page across reconnects."""

    def __init__(self, websocket: WebSocket, label: str, client_id: str, log: EventLog) -> None:
        self.websocket = websocket
        self.label = label
        self.client_id = client_id
        self.connection_id = secrets.token_hex(8)
        #: The user session the socket opened with (auth enabled), else ``None``.
        self.session_id: str | None = None
        self.state = ConnectionState.CONNECTING
        self._log = log
        self._send_lock = asyncio.Lock()
        self._order_lock = asyncio.Lock()
        self._held: list[Message] = []
        self._last_sent = 0

    @staticmethod
    def new_client_id() -> str:
        return secrets.token_hex(8)

    @property
    def last_sent(self) -> int:
        """The newest ``seq`` this browser has been sent (or was told it has)."""
        return self._last_sent

    async def send(self, message: Message) -> bool:
        """Send one frame; ``False`` if the socket is gone."""
        if self.state is ConnectionState.CLOSED:
            return False
        async with self._send_lock:
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

    # -- ordered delivery ------------------------------------------------------
    async def start_delivery(
        self, baseline: int, missed: list[Message], *, reset: bool = False
    ) -> None:
        """Tell the browser to reset if asked, send ``missed``, then what was held; go live.

        ``baseline`` is the ``seq`` the browser already has (the ``welcome`` seq of a
        fresh page, its ``lastSeq`` after a reconnect, 0 after a reset).
        """
        if self.state is not ConnectionState.CONNECTING:
            raise RuntimeError(
                f"start_delivery() expected state connecting, got {self.state.value}"
            )
        async with self._order_lock:
            self._last_sent = baseline
            if reset:
                await self._send_reset()
            for message in missed:
                await self._send_next(message)
            while self._held:
                await self._accept(self._held.pop(0))
            self.state = ConnectionState.OPEN

    async def deliver(self, message: Message) -> None:
        """A live server-to-browser event (held until the replay is done)."""
        if self.state is ConnectionState.CONNECTING:
            self._held.append(message)
        elif self.state is ConnectionState.OPEN:
            async with self._order_lock:
                await self._accept(message)

    async def sync(self, newest: int) -> None:
        """Catch up with the log whose newest ``seq`` is ``newest`` (heartbeat check).

        Sends events the bus never brought, and detects a log that was reset while
        no event arrived.
        """
        if self.state is not ConnectionState.OPEN:
            return
        async with self._order_lock:
            if newest < self._last_sent:
                await self._restart()
            elif newest > self._last_sent:
                await self._fill()

    async def _accept(self, message: Message) -> None:
        seq = int(message.get("seq") or 0)
        if not seq:
            await self.send(message)
        elif seq == self._last_sent + 1:
            await self._send_next(message)
        elif seq > self._last_sent:
            await self._fill()
            if seq > self._last_sent:  # the log no longer has it (trimmed or expired)
                await self._send_next(message)
        elif await self._log.last_seq(self.label) < self._last_sent:
            await self._restart()
        # else: a duplicate, dropped

    async def _fill(self) -> None:
        for entry in await self._log.since(self.label, self._last_sent):
            await self._send_next(entry)

    async def _restart(self) -> None:
        logger.info("Event log of %r was reset; replaying it to %s", self.label, self.client_id)
        self._last_sent = 0
        await self._send_reset()
        await self._fill()

    async def _send_reset(self) -> None:
        await self.send({"type": "reset", "seq": self._last_sent})

    async def _send_next(self, message: Message) -> None:
        seq = int(message.get("seq") or 0)
        if seq and seq <= self._last_sent:
            return
        await self.send(message)
        if seq:  # a closed socket cannot take it; the browser asks again on reconnect
            self._last_sent = seq

    # -- reserved notices ------------------------------------------------------
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
