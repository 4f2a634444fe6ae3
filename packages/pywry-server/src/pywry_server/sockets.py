"""Stage: the sockets this worker holds, indexed for delivery, and their routing entries."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from pywry.errors import BackendUnavailableError
from pywry.state.records import ConnectionRecord

if TYPE_CHECKING:
    from pywry.state.base import ConnectionRouter

    from pywry_server.connection import Connection

__all__ = ["SocketRegistry"]


class SocketRegistry:
    """This worker's open sockets by id, widget and viewer; each recorded in the backend.

    The backend's entry (``connections``) says which worker holds a socket, so a
    targeted send from any worker finds it; it expires ``ttl`` seconds after the last
    renewal (upkeep renews it), so a dead worker's sockets vanish by themselves.
    """

    def __init__(self, router: ConnectionRouter, worker_id: str, *, ttl: float) -> None:
        self._router = router
        self.worker_id = worker_id
        self._ttl = ttl
        self._by_id: dict[str, Connection] = {}
        self._by_label: dict[str, dict[str, Connection]] = {}
        self._by_viewer: dict[str, dict[str, Connection]] = {}

    async def add(self, connection: Connection) -> None:
        self._by_id[connection.connection_id] = connection
        self._by_label.setdefault(connection.label, {})[connection.connection_id] = connection
        if connection.viewer_id is not None:
            viewers = self._by_viewer.setdefault(connection.viewer_id, {})
            viewers[connection.connection_id] = connection
        await self.record(connection)

    async def record(self, connection: Connection) -> None:
        """Write (again) the routing entry of ``connection``."""
        await self._router.register(
            ConnectionRecord(
                connection_id=connection.connection_id,
                widget_id=connection.label,
                worker_id=self.worker_id,
            ),
            ttl=self._ttl,
        )

    async def remove(self, connection: Connection) -> None:
        cid = connection.connection_id
        if self._by_id.pop(cid, None) is None:
            return
        _discard(self._by_label, connection.label, cid)
        if connection.viewer_id is not None:
            _discard(self._by_viewer, connection.viewer_id, cid)
        with contextlib.suppress(BackendUnavailableError):
            await self._router.unregister(cid)

    async def renew(self) -> None:
        """Extend every routing entry; record again the ones the backend lost."""
        for connection in list(self._by_id.values()):
            if not await self._router.refresh(connection.connection_id, ttl=self._ttl):
                await self.record(connection)

    async def watch(self, interval: float) -> None:
        """Close sockets whose current send stalled (each checks its own timeout)."""
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for connection in list(self._by_id.values()):
                connection.check_stalled(now)

    def get(self, connection_id: str) -> Connection | None:
        return self._by_id.get(connection_id)

    def of_label(self, label: str) -> list[Connection]:
        return list(self._by_label.get(label, {}).values())

    def of_viewer(self, viewer_id: str) -> list[Connection]:
        return list(self._by_viewer.get(viewer_id, {}).values())

    def labels(self) -> list[str]:
        return list(self._by_label)

    def all(self) -> list[Connection]:
        return list(self._by_id.values())


def _discard(index: dict[str, dict[str, Connection]], key: str, connection_id: str) -> None:
    group = index.get(key)
    if group is not None:
        group.pop(connection_id, None)
        if not group:
            del index[key]
