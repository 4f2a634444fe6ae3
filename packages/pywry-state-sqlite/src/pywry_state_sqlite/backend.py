"""The SQLite state backend: one database file shared by every worker on the host."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pywry.errors import BackendError, BackendUnavailableError
from pywry.state.base import Capability, StateBackend

from pywry_state_sqlite._blobs import SQLiteBlobs
from pywry_state_sqlite._db import Database, Tx
from pywry_state_sqlite._events import BUS_RETENTION, POLL_INTERVAL, SQLiteEvents
from pywry_state_sqlite._open import database_path
from pywry_state_sqlite._stores import (
    SQLiteConnections,
    SQLiteSessions,
    SQLiteWidgets,
    SQLiteWorkers,
)
from pywry_state_sqlite.settings import SQLiteSettings

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["SQLiteBackend"]

logger = logging.getLogger("pywry_state_sqlite")

_SWEEPS = (
    "sweep_widgets",
    "sweep_sessions",
    "sweep_connections",
    "sweep_owners",
    "sweep_workers",
    "sweep_claims",
    "sweep_replay_entries",
    "sweep_replay_heads",
    "sweep_blobs",
)


class SQLiteBackend(StateBackend):
    """State in a (by default SQLCipher-encrypted) SQLite file in WAL mode.

    Several processes may open the same file: they share widgets, sessions,
    routing, heartbeats, downloads' chunks and, through the ``bus`` table, events.
    """

    name: ClassVar[str] = "sqlite"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SHARED, Capability.PERSISTENT, Capability.FILES}
    )
    settings_model = SQLiteSettings
    #: Seconds between sweeps that delete expired rows and old bus messages.
    sweep_interval: ClassVar[float] = 30.0
    #: Seconds a published event stays in the ``bus`` table before the sweep drops it.
    bus_retention: ClassVar[float] = BUS_RETENTION
    #: Seconds between polls of the ``bus`` table while subscriptions are open. Publishes
    #: wake the pollers of every process at once, so this is only the fallback's delay.
    bus_poll_interval: ClassVar[float] = POLL_INTERVAL

    def __init__(self, path: str | Path) -> None:
        self.path = database_path(str(path))
        self._db = Database(self.path)
        self.widgets = SQLiteWidgets(self._db)
        self.sessions = SQLiteSessions(self._db)
        self.connections = SQLiteConnections(self._db)
        self.workers = SQLiteWorkers(self._db)
        self.events = self._events = SQLiteEvents(self._db)
        self.blobs = SQLiteBlobs(self._db)
        self._tasks: list[asyncio.Task[None]] = []
        self._start_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        return cls(settings.deploy.backend_settings(SQLiteSettings).sqlite_path)

    @property
    def encrypted(self) -> bool:
        """Whether the open database is encrypted with SQLCipher (``False`` before start)."""
        return self._db.opened.encrypted if self.started else False

    @property
    def started(self) -> bool:
        return bool(self._tasks)

    async def start(self) -> None:
        async with self._start_lock:
            if self.started:
                return
            opened = await self._db.open()
            self._events.poll_interval = self.bus_poll_interval
            self._tasks = [
                asyncio.create_task(self._events.poll_forever(), name="pywry-sqlite-bus"),
                asyncio.create_task(self._sweep_forever(), name="pywry-sqlite-sweeper"),
            ]
            logger.info(
                "SQLite state database %s opened (%s, schema version %d)",
                self.path,
                f"encrypted, key from {opened.key.source}" if opened.key else "NOT encrypted",
                opened.schema_version,
            )

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, []
        self._events.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._events.close_all()
        await self._db.close()

    async def sweep(self) -> int:
        """Delete expired rows and old bus messages now; the number of rows deleted."""

        def work(tx: Tx) -> int:
            deleted = sum(tx.write(name) for name in _SWEEPS)
            return deleted + tx.write("sweep_bus", retention=self.bus_retention)

        return await self._db.call(work, transaction=True)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                deleted = await self.sweep()
            except BackendError as exc:
                logger.warning("Sweeping expired SQLite state failed, retrying: %s", exc)
            else:
                logger.debug("Swept %d expired rows from %s", deleted, self.path)

    async def ping(self) -> None:
        try:
            await self._db.one("ping")
        except BackendError as exc:
            raise BackendUnavailableError(str(exc)) from exc

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "backend": self.name,
            "path": str(self.path),
            "shared": True,
            "encrypted": None,  # known once started
            "key_source": None,
            "schema_version": None,
        }
        if self.started:
            opened = self._db.opened
            facts["encrypted"] = opened.encrypted
            facts["key_source"] = opened.key.kind if opened.key else None
            facts["schema_version"] = opened.schema_version
        return facts
