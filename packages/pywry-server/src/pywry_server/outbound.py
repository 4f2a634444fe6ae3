"""Stage: outbound, the widgets' way out (the :class:`pywry.runtime.Sink` of a worker).

``emit`` appends an event to the widget's replay log (the backend gives it the next
``seq``), hands it to this worker's own sockets and publishes it on the bus, where
the listener of every other worker hands it to theirs (a backend that is not shared
has no other workers: nothing is published). ``send_to`` reaches one socket, unlogged.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from pywry._retry import backoff
from pywry.errors import BackendUnavailableError
from pywry.state.base import Announce, Capability

from pywry_server.delivery import (
    Announcement,
    deliver_here,
    deliver_to_label,
    deliver_to_viewer,
)
from pywry_server.messages import (
    WIDGETS_CHANNEL,
    Closed,
    Deliver,
    DeliverToViewer,
    Direct,
    ViewerRef,
    worker_channel,
)
from pywry_server.viewers import viewer_log

if TYPE_CHECKING:
    from pywry._file_sink import FileSink
    from pywry.config import PyWrySettings
    from pywry.context import Viewer
    from pywry.state.base import StateBackend
    from pywry.state.records import WidgetRecord

    from pywry_server.metrics import Metrics
    from pywry_server.sockets import SocketRegistry
    from pywry_server.viewers import ViewerDirectory

__all__ = ["Outbound"]

logger = logging.getLogger("pywry.server.outbound")
Message = dict[str, Any]


class Outbound:
    """Emits, targeted sends and widget records, for every widget of this process."""

    def __init__(
        self,
        settings: PyWrySettings,
        backend: StateBackend,
        sockets: SocketRegistry,
        viewers: ViewerDirectory,
        worker_id: str,
        metrics: Metrics,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.worker_id = worker_id
        self.viewer_state_max_bytes = settings.deploy.viewer_state_max_bytes
        self._backend = backend
        self._sockets = sockets
        self._viewers = viewers
        self._maxlen = settings.server.event_buffer_size
        self._log_ttl = settings.deploy.connection_ttl
        self._widget_ttl = settings.deploy.widget_ttl
        #: Shutdown: when emits waiting for the backend give up (a loop time), and how
        #: many gave up (lost: the backend never took them).
        self._give_up_at: float | None = None
        self._backend_gone = False
        self.lost_at_shutdown = 0
        #: Whether other processes share the backend (and so need the bus at all).
        self._shared = Capability.SHARED in backend.capabilities
        self._metrics = metrics
        self._stamp = metrics.enabled  # put the publish time on deliveries (bus lag)
        #: Where widget.download() stores files (set by ``Worker.compose``).
        self.files: FileSink
        #: Idempotency keys of appends: unique to this process, one per emit.
        self._key_prefix = secrets.token_hex(6)
        self._key_numbers = itertools.count(1)

    def stop_retrying(self, at: float) -> None:
        """Shutdown: emits waiting for the backend give up at loop time ``at``.

        Until then they are retried as usual (the backend may come back); the first to
        fail after it, and every later one (untried), is dropped and counted in
        :attr:`lost_at_shutdown`. An append that succeeds is never given up.
        """
        self._give_up_at = at

    async def emit(self, label: str, event: str, data: Any) -> None:
        """Log the event (getting its ``seq``), publish it, and deliver it here.

        While the backend is unreachable the append is retried with back-off for up to
        ``CONNECTION_TTL`` (emits queue behind it, in order), so a blip loses nothing.
        A backend that cannot publish in the same round trip as the append may lose
        the publish alone: upkeep then delivers the logged event.
        """
        # The label lets a composed page's socket, which follows several widgets, tell
        # whose event it is.
        message: Message = {"type": "event", "event": event, "data": data, "label": label}
        announce = None
        if self._shared:  # the other workers' sockets get it over the bus
            wrapper = Deliver(label=label, message={}, sender=self.worker_id, sent_at=self._now())
            announce = Announce(WIDGETS_CHANNEL, wrapper.wire())
        seq = await self._append_retrying(label, message, announce)
        if seq is None:
            return
        self._metrics.events_out_widget.inc()
        deliver_to_label(self._sockets, label, {**message, "seq": seq})

    async def emit_to_viewer(self, viewer_id: str, label: str, event: str, data: Any) -> None:
        """Log the event in the viewer's own log (getting its number), then deliver it.

        It reaches the viewer's sockets here and, over the bus, on whichever worker
        holds them (a page reconnecting elsewhere may briefly have two); a page that
        reconnects later replays it from the log.
        """
        message: Message = {"type": "event", "event": event, "data": data, "label": label}
        announce = None
        if self._shared:
            wrapper = DeliverToViewer(
                viewer=viewer_id, message={}, sender=self.worker_id, sent_at=self._now()
            )
            announce = Announce(WIDGETS_CHANNEL, wrapper.wire())
        seq = await self._append_retrying(viewer_log(viewer_id), message, announce)
        if seq is None:
            return
        self._metrics.events_out_viewer.inc()
        deliver_to_viewer(self._sockets, viewer_id, {**message, "seq": seq})

    async def load_viewer_state(self, viewer_id: str) -> dict[str, Any]:
        return await self._viewers.load_state(viewer_id)

    async def save_viewer_state(self, viewer: Viewer, state: dict[str, Any]) -> None:
        ref = ViewerRef(viewer_id=viewer.viewer_id, session_id=viewer.session_id, user=viewer.user)
        await self._viewers.save_state(ref, state)

    async def _append_retrying(
        self, log_id: str, message: Message, announce: Announce | None
    ) -> int | None:
        """Append ``message`` to ``log_id``; ``announce`` publishes it for the other workers
        in the same round trip where the backend can (:class:`~pywry.state.base.Announce`).

        Every try carries the same key, so an append that reached the backend just as it
        went away is not logged twice. ``None``: dropped at shutdown, the backend
        unreachable (counted).
        """
        key = f"{self._key_prefix}-{next(self._key_numbers)}"
        give_up = self.loop.time() + self._log_ttl
        for delay in backoff(0.1, 2.0):
            if self._backend_gone:
                self.lost_at_shutdown += 1  # shutdown's time is up and the backend away
                return None
            try:
                return await self._backend.events.append(
                    log_id,
                    message,
                    maxlen=self._maxlen,
                    ttl=self._log_ttl,
                    announce=announce,
                    key=key,
                )
            except BackendUnavailableError:
                stop_at = self._give_up_at
                if stop_at is not None and self.loop.time() + delay > stop_at:
                    self.lost_at_shutdown += 1
                    self._backend_gone = True  # the rest are dropped without trying
                    return None
                if self.loop.time() + delay > give_up:
                    raise
                logger.warning("Backend unavailable; retrying %s in %.1fs", message["event"], delay)
                await asyncio.sleep(delay)
        raise AssertionError("backoff() never ends")  # pragma: no cover

    async def send_to(self, connection_id: str, label: str, event: str, data: Any) -> None:
        """One browser connection only; no ``seq``, no replay log, no broadcast.

        A socket on another worker is reached through that worker's own bus
        channel (found in the backend's connection routing).
        """
        message: Message = {"type": "event", "event": event, "data": data}
        connection = self._sockets.get(connection_id)
        if connection is not None:
            if connection.label == label:
                connection.send(message)
            return
        record = await self._backend.connections.get(connection_id)
        if record is None or record.widget_id != label:
            logger.info("Targeted %s for a connection of %r that is gone: dropped", event, label)
            return
        direct = Direct(label=label, connection=connection_id, message=message)
        await self._backend.events.publish(worker_channel(record.worker_id), direct.wire())

    async def save(self, record: WidgetRecord) -> None:
        await self._backend.widgets.register(record, ttl=self._widget_ttl)
        if record.owner is not None:
            await self._backend.connections.set_owner(
                record.widget_id, record.owner, ttl=self._widget_ttl
            )

    async def discard(self, label: str, reason: str = "The widget was closed") -> None:
        await self._backend.widgets.remove(label)
        await self._backend.connections.clear_owner(label)
        await self._announce(Closed(label=label, reason=reason, sender=self.worker_id))

    def _now(self) -> float | None:
        """The publish time a delivery carries when metrics are on (the bus lag)."""
        return time.time() if self._stamp else None

    async def _announce(self, message: Announcement) -> None:
        """Hand ``message`` to this worker's sockets, then to the other workers'."""
        deliver_here(self._sockets, message)
        if self._shared:
            await self._backend.events.publish(WIDGETS_CHANNEL, message.wire())

    async def lookup(self, label: str) -> WidgetRecord | None:
        return await self._backend.widgets.get(label)
