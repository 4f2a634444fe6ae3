"""A worker's periodic upkeep: heartbeats, re-registration, catch-up and cleanup.

Every ``CONNECTION_TTL / 3`` seconds (between 1 and 10 s) each worker:

1. renews its own heartbeat and its sockets' routing entries, and registers a
   socket again if its entry is gone;
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
6. with auth enabled, closes (4401) sockets whose user session is gone.

Step 4 acts on a widget only when two rounds in a row found it gone, so a backend
that just restarted empty (every worker re-registers within one round) is not
mistaken for closed widgets. Step 5 needs no such grace: after a restart the index
holds only widgets that live owners registered again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING

from pywry.errors import BackendError

from pywry_server.auth import close_expired_sockets

if TYPE_CHECKING:
    from pywry_server.connection import Connection
    from pywry_server.hub import Hub

__all__ = ["CLOSE_UNAVAILABLE", "Upkeep"]

logger = logging.getLogger("pywry.server.upkeep")
#: Close code for a socket whose widget is gone (the bridge stops reconnecting).
CLOSE_UNAVAILABLE = 4404
_STRIKES = 2


class Upkeep:
    """The upkeep loop of one :class:`~pywry_server.hub.Hub`."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        ttl = hub.settings.deploy.connection_ttl
        self.interval = min(10.0, max(1.0, ttl / 3))
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
        alive = await self.hub.backend.workers.alive()
        by_label: dict[str, list[Connection]] = defaultdict(list)
        for connection in self.hub.local_connections():
            by_label[connection.label].append(connection)
        for label, connections in by_label.items():
            if await self._still_available(label, connections, alive):
                newest = await self.hub.backend.events.last_seq(label)
                for connection in connections:
                    await connection.sync(newest)
        if await self.hub.backend.events.claim("reap", ttl=self.interval * 0.9):
            await self._reap(alive)
        if self.hub.settings.deploy.auth_enabled:
            await close_expired_sockets(self.hub)

    async def _renew(self) -> None:
        hub, deploy = self.hub, self.hub.settings.deploy
        await hub.backend.workers.heartbeat(hub.worker_id, ttl=deploy.connection_ttl)
        for connection in hub.local_connections():
            if not await hub.backend.connections.refresh(
                connection.connection_id, ttl=deploy.connection_ttl
            ):
                await hub.reregister(connection)
        for widget in hub.runtime.widgets():
            if not await hub.backend.widgets.touch(widget.label, ttl=deploy.widget_ttl):
                logger.info("Widget %r was gone from the backend; saving it again", widget.label)
                await hub.save(widget.to_record())
            elif widget.owner is not None:
                await hub.backend.connections.set_owner(
                    widget.label, widget.owner, ttl=deploy.widget_ttl
                )

    async def _still_available(
        self, label: str, connections: list[Connection], alive: set[str]
    ) -> bool:
        reason = await self.hub.unavailable_reason(label, alive)
        if reason is None:
            self._suspects.pop(label, None)
            return True
        strikes = self._suspects[label] = self._suspects.get(label, 0) + 1
        if strikes < _STRIKES:
            return True
        del self._suspects[label]
        for connection in connections:
            await connection.send_unavailable(reason)
            await connection.close(CLOSE_UNAVAILABLE, "widget unavailable")
        return False

    async def _reap(self, alive: set[str]) -> None:
        backend = self.hub.backend
        for label in await backend.widgets.active():
            record = await backend.widgets.get(label)
            if record is None or record.owner is None or record.owner in alive:
                continue
            logger.info("Removing widget %r of dead worker %s", label, record.owner)
            await self.hub.discard(label, reason="The worker that owned this widget is gone")
