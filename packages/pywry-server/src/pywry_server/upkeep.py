"""A worker's periodic upkeep: heartbeats, re-registration, catch-up and cleanup.

Every ``CONNECTION_TTL / 3`` seconds (between 1 and 10 s) each worker:

1. renews its sockets' routing entries, and registers a socket again if its entry
   is gone (the worker's heartbeat has its own loop, every ``HEARTBEAT_INTERVAL``);
2. touches its widgets, and registers a widget again when the touch says it is
   gone (after a backend restart lost the data, the widgets come back by themselves),
   renewing the owner entry of its run-time widgets;
3. for each widget it holds sockets of, compares the replay log's newest ``seq``
   with what each socket was sent: catches up events the bus lost, and notices a
   log that was reset;
4. tells sockets of a widget that became unavailable (closed, or its owner worker's
   heartbeat expired) and closes them;
5. once per interval across all workers (a claim decides which), removes the
   widgets whose owner worker is dead and tells every worker's browsers;
6. with auth enabled, closes (4401) sockets whose user session is gone; then closes
   (4403) sockets whose session may no longer see their widget (``access.py``).

Step 4 acts on a widget only when two rounds in a row found it gone, so a backend
that just restarted empty (every worker re-registers within one round) is not
mistaken for closed widgets. Step 5 needs no such grace: after a restart the index
holds only widgets that live owners registered again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pywry.errors import BackendError

from pywry_server.availability import OWNER_GONE
from pywry_server.codes import CloseCode

if TYPE_CHECKING:
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend

    from pywry_server.availability import Availability
    from pywry_server.outbound import Outbound
    from pywry_server.sockets import SocketRegistry
    from pywry_server.viewers import ViewerDirectory

__all__ = ["Upkeep"]

logger = logging.getLogger("pywry.server.upkeep")
_STRIKES = 2


class Upkeep:
    """The upkeep loop of one worker, built from the narrow parts it uses."""

    def __init__(
        self,
        *,
        backend: StateBackend,
        runtime: Runtime,
        sockets: SocketRegistry,
        availability: Availability,
        outbound: Outbound,
        viewers: ViewerDirectory,
        connection_ttl: float,
        widget_ttl: float,
        sweep_sessions: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._backend = backend
        self._runtime = runtime
        self._sockets = sockets
        self._availability = availability
        self._outbound = outbound
        self._viewers = viewers
        self._widget_ttl = widget_ttl
        self._sweep_sessions = sweep_sessions
        self.interval = min(10.0, max(1.0, connection_ttl / 3))
        self._suspects: dict[str, int] = {}

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            started = time.monotonic()
            try:
                await self.round()
            except BackendError as exc:
                logger.warning("Upkeep failed, will retry: %s", exc)
            except Exception:
                logger.exception("Upkeep failed, will retry")
            logger.debug("Upkeep took %.3fs", time.monotonic() - started)

    async def round(self) -> None:
        """One pass of everything in the module docstring."""
        await self._renew()
        alive = await self._backend.workers.alive()
        for label in self._sockets.labels():
            if await self._still_available(label, alive):
                newest = await self._backend.events.last_seq(label)
                for connection in self._sockets.of_label(label):
                    connection.sync(newest)
        await self._sync_viewers()
        if await self._backend.events.claim("reap", ttl=self.interval * 0.9):
            await self._reap(alive)
        if self._sweep_sessions is not None:
            await self._sweep_sessions()

    async def _renew(self) -> None:
        backend = self._backend
        await self._sockets.renew()
        for widget in self._runtime.widgets():
            if not await backend.widgets.touch(widget.label, ttl=self._widget_ttl):
                logger.info("Widget %r was gone from the backend; saving it again", widget.label)
                await self._outbound.save(widget.to_record())
            elif widget.owner is not None:
                await backend.connections.set_owner(
                    widget.label, widget.owner, ttl=self._widget_ttl
                )

    async def _sync_viewers(self) -> None:
        """Open pages keep their viewers alive; their logs catch up what the bus lost."""
        for connection in self._sockets.all():
            viewer, log_id = connection.viewer, connection.viewer_log
            if viewer is None or log_id is None:
                continue
            await self._viewers.keep(viewer)
            connection.sync(await self._backend.events.last_seq(log_id), "vseq")

    async def _still_available(self, label: str, alive: set[str]) -> bool:
        reason = await self._availability.reason(label, alive)
        if reason is None:
            self._suspects.pop(label, None)
            return True
        strikes = self._suspects[label] = self._suspects.get(label, 0) + 1
        if strikes < _STRIKES:
            return True
        del self._suspects[label]
        for connection in self._sockets.of_label(label):
            connection.send_unavailable(reason)
            connection.close(CloseCode.UNAVAILABLE, "widget unavailable")
        return False

    async def _reap(self, alive: set[str]) -> None:
        backend = self._backend
        for label in await backend.widgets.active():
            record = await backend.widgets.get(label)
            if record is None or record.owner is None or record.owner in alive:
                continue
            logger.info("Removing widget %r of dead worker %s", label, record.owner)
            await self._outbound.discard(label, reason=OWNER_GONE)
