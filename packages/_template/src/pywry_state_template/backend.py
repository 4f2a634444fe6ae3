"""``TemplateBackend``: every protected method of the interface, over one ``Store``.

``Store`` stands in for your database client: a handful of tables mapping a key to a
row and the time the row expires. Replace it, keep the shape of the methods. The
public methods of :mod:`pywry.state.base` have already validated ids and TTLs and
encoded records as ``dict[str, str]`` before any of these run.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict
from pywry.state import base

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["Store", "TemplateBackend", "TemplateSettings"]


class TemplateSettings(BaseModel):
    """Your backend's own settings: ``PYWRY_DEPLOY__TEMPLATE_*`` or ``[deploy]`` in a file.

    PyWry reads them with its own (same sources, same errors naming the variable).
    Start every field with the backend's name; each docstring is shown by
    ``pywry config show``.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    template_url: str | None = None
    """Where your store listens (none: in this process)."""


@dataclass
class Store:
    """The stand-in database: ``tables[table][key] = (expires_at, row)``."""

    tables: dict[str, dict[str, tuple[float, Any]]] = field(default_factory=dict)
    #: Guards read-modify-write sequences (a transaction or script in a real store).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def write(self, table: str, key: str, row: Any, ttl: float) -> None:
        self.tables.setdefault(table, {})[key] = (time.monotonic() + ttl, row)

    def read(self, table: str, key: str) -> Any | None:
        expires, row = self.tables.get(table, {}).get(key, (0.0, None))
        return row if expires > time.monotonic() else None

    def delete(self, table: str, key: str) -> bool:
        found = self.read(table, key) is not None
        self.tables.get(table, {}).pop(key, None)
        return found

    def rows(self, table: str) -> dict[str, Any]:
        """Every unexpired row of ``table`` (expired ones are purged here)."""
        now, rows = time.monotonic(), self.tables.get(table, {})
        for key in [k for k, (expires, _) in rows.items() if expires <= now]:
            del rows[key]
        return {key: row for key, (_, row) in rows.items()}

    def extend(self, table: str, key: str, ttl: float) -> bool:
        row = self.read(table, key)
        if row is not None:
            self.write(table, key, row, ttl)
        return row is not None


class _Widgets(base.WidgetStore):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _put(self, widget_id: str, fields: dict[str, str], ttl: float) -> None:
        self.store.write("widgets", widget_id, fields, ttl)

    async def _get(self, widget_id: str) -> dict[str, str] | None:
        return self.store.read("widgets", widget_id)

    async def _touch(self, widget_id: str, ttl: float) -> bool:
        return self.store.extend("widgets", widget_id, ttl)

    async def _remove(self, widget_id: str) -> bool:
        return self.store.delete("widgets", widget_id)

    async def _active(self) -> set[str]:
        return set(self.store.rows("widgets"))


class _Sessions(base.SessionStore):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _put(self, session_id: str, fields: dict[str, str], ttl: float) -> None:
        self.store.write("sessions", session_id, fields, ttl)

    async def _get(self, session_id: str) -> dict[str, str] | None:
        return self.store.read("sessions", session_id)

    async def _touch(self, session_id: str, ttl: float) -> bool:
        return self.store.extend("sessions", session_id, ttl)

    async def _remove(self, session_id: str) -> bool:
        return self.store.delete("sessions", session_id)


class _Connections(base.ConnectionRouter):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _put(self, connection_id: str, fields: dict[str, str], ttl: float) -> None:
        self.store.write("connections", connection_id, fields, ttl)

    async def _refresh(self, connection_id: str, ttl: float) -> bool:
        return self.store.extend("connections", connection_id, ttl)

    async def _remove(self, connection_id: str) -> bool:
        return self.store.delete("connections", connection_id)

    async def _get(self, connection_id: str) -> dict[str, str] | None:
        return self.store.read("connections", connection_id)

    async def _set_owner(self, widget_id: str, worker_id: str, ttl: float) -> None:
        self.store.write("owners", widget_id, worker_id, ttl)

    async def _owner_of(self, widget_id: str) -> str | None:
        return self.store.read("owners", widget_id)

    async def _clear_owner(self, widget_id: str) -> bool:
        return self.store.delete("owners", widget_id)


class _Workers(base.WorkerRegistry):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _beat(self, worker_id: str, ttl: float) -> None:
        self.store.write("workers", worker_id, True, ttl)

    async def _alive(self) -> set[str]:
        return set(self.store.rows("workers"))

    async def _remove(self, worker_id: str) -> bool:
        return self.store.delete("workers", worker_id)


class _Mailbox(base.Subscription):
    """Pending messages of one subscriber; a real backend reads its pub/sub socket."""

    def __init__(self, bus: _Events, channels: list[str]) -> None:
        self.bus, self.channels = bus, channels
        self.pending: deque[tuple[str, str]] = deque()
        self.wake = asyncio.Event()
        self.open = True

    def deliver(self, channel: str, text: str) -> None:
        self.pending.append((channel, text))
        self.wake.set()

    async def _next(self) -> tuple[str, str]:
        while self.open and not self.pending:
            self.wake.clear()
            await self.wake.wait()
        if not self.open:
            raise StopAsyncIteration
        return self.pending.popleft()

    async def aclose(self) -> None:
        self.open = False
        for channel in self.channels:
            self.bus.listeners.get(channel, set()).discard(self)
        self.wake.set()


class _Events(base.EventBus):
    def __init__(self, store: Store) -> None:
        self.store = store
        self.listeners: dict[str, set[_Mailbox]] = {}

    async def _publish(self, channel: str, text: str) -> None:
        for mailbox in list(self.listeners.get(channel, ())):
            mailbox.deliver(channel, text)

    async def _subscribe(self, channels: list[str]) -> base.Subscription:
        mailbox = _Mailbox(self, channels)
        for channel in channels:
            self.listeners.setdefault(channel, set()).add(mailbox)
        return mailbox

    async def _append(
        self, widget_id: str, message: dict[str, Any], maxlen: int, ttl: float, key: str | None
    ) -> int:
        # Key lookup + next seq + insert + trim must be one atomic step.
        async with self.store.lock:
            # A log that does not exist (new, expired, lost) starts at the clock in
            # microseconds, never at 1: pages drop numbers they think they have seen.
            seq, entries = self.store.read("logs", widget_id) or (base.first_seq() - 1, [])
            for logged_seq, _, logged_key in entries:
                if key is not None and logged_key == key:
                    return int(logged_seq)  # a retried append: already logged
            seq += 1
            entry = (seq, json.dumps({**message, "seq": seq}), key)
            entries = [*entries, entry][-maxlen:]
            self.store.write("logs", widget_id, (seq, entries), ttl)
            return int(seq)

    async def _since(self, widget_id: str, after_seq: int) -> list[str]:
        _, entries = self.store.read("logs", widget_id) or (0, [])
        return [text for seq, text, _ in entries if seq > after_seq]

    async def _last_seq(self, widget_id: str) -> int:
        seq, _ = self.store.read("logs", widget_id) or (0, [])
        return int(seq)

    async def _claim(self, key: str, ttl: float) -> bool:
        async with self.store.lock:  # check-and-set: SET NX, INSERT OR IGNORE, ...
            if self.store.read("claims", key) is not None:
                return False
            self.store.write("claims", key, True, ttl)
            return True


class TemplateBackend(base.StateBackend):
    """State in this process only; rename and replace :class:`Store` with your client."""

    name = "template"
    #: Add Capability.SHARED / Capability.PERSISTENT when your store provides them.
    capabilities = frozenset()
    settings_model = TemplateSettings

    def __init__(self, store: Store | None = None, *, url: str | None = None) -> None:
        self.url = url
        self.store = store or Store()
        self.widgets = _Widgets(self.store)
        self.sessions = _Sessions(self.store)
        self.connections = _Connections(self.store)
        self.workers = _Workers(self.store)
        self.events = _Events(self.store)

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        # settings.deploy.* are PyWry's own (widget_ttl, ...); yours come typed:
        own = settings.deploy.backend_settings(TemplateSettings)
        return cls(url=own.template_url)

    async def start(self) -> None:
        """Connect, create tables, start sweepers; must be idempotent."""

    async def aclose(self) -> None:
        """Close connections and background tasks; must be idempotent."""

    async def ping(self) -> None:
        """Raise ``pywry.errors.BackendUnavailableError`` when the store does not answer."""

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "tables": sorted(self.store.tables)}
