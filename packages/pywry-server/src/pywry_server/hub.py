"""The per-worker hub: local sockets, the backend's event bus, callbacks and routing.

Bus channels (names relative to the backend's own namespace):

- ``widgets``: every worker listens; ``deliver`` messages carry a server-to-browser
  event (already logged with its ``seq``) to whichever worker holds the sockets,
  ``closed`` tells that a widget was removed.
- ``worker:<id>``: messages for one worker: ``dispatch`` runs a run-time widget's
  callbacks on the worker that owns it (with ``origin``, the id of the connection
  that sent the event); ``direct`` carries a targeted, unlogged event
  (:meth:`Hub.send_to`) to the one socket ``connection`` that this worker holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pywry.errors import BackendError, BackendUnavailableError
from pywry.state.records import ConnectionRecord, WidgetRecord

from pywry_server.connection import Connection
from pywry_server.upkeep import CLOSE_UNAVAILABLE, Upkeep

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend, Subscription

__all__ = ["Attachment", "Hub"]

logger = logging.getLogger("pywry.server.hub")
_WIDGETS = "widgets"
_DEDUPE_TTL = 3600.0


@dataclass(frozen=True, slots=True)
class Attachment:
    """What :meth:`Hub.attach` found: the log's newest seq and what to send first."""

    current: int
    baseline: int
    missed: list[dict[str, Any]] = field(default_factory=list)
    reset: bool = False


class Hub:
    """Everything one worker does between browsers, the backend and callbacks."""

    def __init__(
        self, settings: PyWrySettings, backend: StateBackend, runtime: Runtime, worker_id: str
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.runtime = runtime
        self.worker_id = worker_id
        self.loop = asyncio.get_running_loop()
        self._connections: dict[str, Connection] = {}
        self._subscription: Subscription | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: list[asyncio.Task[None]] = []
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        """Publish this worker's widgets, listen on the bus, start heartbeats."""
        deploy = self.settings.deploy
        await self.backend.workers.heartbeat(self.worker_id, ttl=deploy.connection_ttl)
        for widget in self.runtime.widgets():
            await self.save(widget.to_record())
        self._subscription = await self._subscribe()
        self._background = [
            asyncio.create_task(self._listen(self._subscription), name="pywry-bus"),
            asyncio.create_task(Upkeep(self).run(), name="pywry-upkeep"),
        ]
        await self.runtime.attach(self)

    async def stop(self) -> None:
        """Finish queued emits, close sockets, leave the bus, drop the heartbeat."""
        self._stopping = True  # emits waiting for the backend give up instead of retrying
        await self.runtime.detach()
        for connection in list(self._connections.values()):
            await connection.close(1001, "server shutting down")
        if self._tasks:
            _done, late = await asyncio.wait(self._tasks, timeout=5)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._subscription is not None:
            await self._subscription.aclose()
        with contextlib.suppress(BackendUnavailableError):
            await self.backend.workers.remove(self.worker_id)

    def spawn(self, coro: Any, name: str) -> None:
        """Run ``coro`` as a tracked task (awaited on shutdown, then cancelled)."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- Sink: called by widgets through the runtime ---------------------------
    async def emit(self, label: str, event: str, data: Any) -> None:
        """Log the event (getting its ``seq``), then tell every worker to deliver it.

        While the backend is unreachable the append is retried with back-off for up to
        ``CONNECTION_TTL`` (emits queue behind it, in order), so a blip loses nothing.
        A failed publish after a successful append is left to upkeep, which delivers
        logged events the bus lost.
        """
        message = {"type": "event", "event": event, "data": data}
        seq = await self._append_retrying(label, message)
        try:
            await self.backend.events.publish(
                _WIDGETS, {"kind": "deliver", "label": label, "message": {**message, "seq": seq}}
            )
        except BackendUnavailableError as exc:
            logger.info("Event %s #%d logged, bus down (%s): upkeep delivers it", event, seq, exc)

    async def _append_retrying(self, label: str, message: dict[str, Any]) -> int:
        deploy, delay = self.settings.deploy, 0.1
        give_up = self.loop.time() + deploy.connection_ttl
        while True:
            try:
                return await self.backend.events.append(
                    label,
                    message,
                    maxlen=self.settings.server.event_buffer_size,
                    ttl=deploy.connection_ttl,
                )
            except BackendUnavailableError:
                if self._stopping or self.loop.time() + delay > give_up:
                    raise
                logger.warning("Backend unavailable; retrying %s in %.1fs", message["event"], delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def send_to(self, connection_id: str, label: str, event: str, data: Any) -> None:
        """One browser connection only; no ``seq``, no replay log, no broadcast.

        A socket on another worker is reached through that worker's own bus
        channel (found in the backend's connection routing).
        """
        message = {"type": "event", "event": event, "data": data}
        connection = self._connections.get(connection_id)
        if connection is not None:
            if connection.label == label:
                await connection.send(message)
            return
        record = await self.backend.connections.get(connection_id)
        if record is None or record.widget_id != label:
            logger.info("Targeted %s for a connection of %r that is gone: dropped", event, label)
            return
        await self.backend.events.publish(
            f"worker:{record.worker_id}",
            {"kind": "direct", "label": label, "connection": connection_id, "message": message},
        )

    async def save(self, record: WidgetRecord) -> None:
        ttl = self.settings.deploy.widget_ttl
        await self.backend.widgets.register(record, ttl=ttl)
        if record.owner is not None:
            await self.backend.connections.set_owner(record.widget_id, record.owner, ttl=ttl)

    async def discard(self, label: str, reason: str = "The widget was closed") -> None:
        await self.backend.widgets.remove(label)
        await self.backend.connections.clear_owner(label)
        await self.backend.events.publish(
            _WIDGETS, {"kind": "closed", "label": label, "reason": reason}
        )

    async def lookup(self, label: str) -> WidgetRecord | None:
        return await self.backend.widgets.get(label)

    # -- connections -----------------------------------------------------------
    async def attach(self, connection: Connection, last_seq: int | None) -> Attachment:
        """Register a socket; work out what it must be sent before live events.

        Live events for the socket are held until ``connection.start_delivery``.
        A ``last_seq`` beyond the log's newest means the log was reset (the backend
        lost its data, or the log expired): the browser gets the whole log again.
        """
        self._connections[connection.connection_id] = connection
        await self.backend.connections.register(
            self._record(connection), ttl=self.settings.deploy.connection_ttl
        )
        current = await self.backend.events.last_seq(connection.label)
        if last_seq is None or last_seq == current:  # nothing to replay
            return Attachment(current, current)
        if last_seq > current:
            missed = await self.backend.events.since(connection.label, 0)
            return Attachment(current, 0, missed, reset=True)
        missed = await self.backend.events.since(connection.label, last_seq)
        return Attachment(current, last_seq, missed, reset=False)

    def _record(self, connection: Connection) -> ConnectionRecord:
        return ConnectionRecord(
            connection_id=connection.connection_id,
            widget_id=connection.label,
            worker_id=self.worker_id,
        )

    async def reregister(self, connection: Connection) -> None:
        """Record a connection again (its routing entry expired or the backend lost it)."""
        await self.backend.connections.register(
            self._record(connection), ttl=self.settings.deploy.connection_ttl
        )

    async def unavailable_reason(self, label: str, alive: set[str] | None = None) -> str | None:
        """Why ``label`` cannot be used from here, or ``None`` if it can.

        A widget this worker defines is always available; another worker's run-time
        widget is available while its record exists and its owner's heartbeat lives.
        """
        if self.runtime.get(label) is not None:
            return None
        return await self.record_unavailable_reason(await self.backend.widgets.get(label), alive)

    async def record_unavailable_reason(
        self, record: WidgetRecord | None, alive: set[str] | None = None
    ) -> str | None:
        """:meth:`unavailable_reason` for a widget this worker does not define."""
        if record is None:
            return "The widget was closed"
        if record.owner is None:
            return None
        if record.owner == self.worker_id:
            return "The widget was closed"
        if alive is None:
            alive = await self.backend.workers.alive()
        if record.owner not in alive:
            return "The worker that owned this widget is gone"
        return None

    async def detach(self, connection: Connection) -> None:
        self._connections.pop(connection.connection_id, None)
        with contextlib.suppress(BackendUnavailableError):
            await self.backend.connections.unregister(connection.connection_id)

    def local_connections(self, label: str | None = None) -> list[Connection]:
        """This worker's sockets (of ``label``, if given)."""
        return [c for c in self._connections.values() if label is None or c.label == label]

    # -- browser to Python -----------------------------------------------------
    async def receive_event(
        self, connection: Connection, event: str, data: Any, frame_id: str | None
    ) -> str:
        """Route a browser event to its callbacks; returns ``"ok"``, ``"duplicate"``
        or ``"unavailable"``.
        """
        if frame_id is not None:
            key = f"in:{connection.label}:{connection.client_id}:{frame_id}"
            if not await self.backend.events.claim(key, ttl=_DEDUPE_TTL):
                return "duplicate"
        label = connection.label
        if self._dispatch_here(label, event, data, connection.connection_id):
            return "ok"
        owner = await self.backend.connections.owner_of(label)
        if owner is None or not await self.backend.workers.is_alive(owner):
            return "unavailable"
        await self.backend.events.publish(
            f"worker:{owner}",
            {
                "kind": "dispatch",
                "label": label,
                "event": event,
                "data": data,
                "origin": connection.connection_id,
            },
        )
        return "ok"

    def _dispatch_here(self, label: str, event: str, data: Any, origin: str | None) -> bool:
        """Run the callbacks of ``label`` if this worker defines it; ``False`` if not."""
        widget = self.runtime.get(label)
        if widget is None:
            return False
        self.spawn(
            widget.dispatch(event, data, origin=origin), name=f"pywry-callback:{label}:{event}"
        )
        return True

    # -- the bus ---------------------------------------------------------------
    async def _subscribe(self) -> Subscription:
        return await self.backend.events.subscribe(_WIDGETS, f"worker:{self.worker_id}")

    async def _listen(self, subscription: Subscription) -> None:
        """Handle bus messages until the subscription ends; replace one that fails."""
        while True:
            try:
                async for _channel, message in subscription:
                    try:
                        await self._on_bus(message)
                    except Exception:
                        logger.exception("Handling bus message %r failed", message.get("kind"))
                return
            except Exception:
                logger.exception("The event bus subscription failed; subscribing again")
            with contextlib.suppress(Exception):
                await subscription.aclose()
            subscription = self._subscription = await self._resubscribe()

    async def _resubscribe(self) -> Subscription:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            try:
                return await self._subscribe()
            except BackendError as exc:
                logger.warning("Subscribing to the event bus failed, will retry: %s", exc)
                delay = min(delay * 2, 5.0)

    async def _on_bus(self, message: dict[str, Any]) -> None:
        kind, label = message.get("kind"), str(message.get("label", ""))
        if kind == "deliver":
            for connection in self.local_connections(label):
                await connection.deliver(message["message"])
        elif kind == "dispatch":
            self._dispatch_here(
                label, str(message["event"]), message.get("data"), _text(message, "origin")
            )
        elif kind == "direct":
            target = self._connections.get(str(message.get("connection")))
            if target is not None and target.label == label:
                await target.send(message["message"])
        elif kind == "closed":
            reason = str(message.get("reason") or "The widget was closed")
            for connection in self.local_connections(label):
                await connection.send_unavailable(reason)
                await connection.close(CLOSE_UNAVAILABLE, "widget unavailable")


def _text(message: dict[str, Any], key: str) -> str | None:
    value = message.get(key)
    return value if isinstance(value, str) else None
