"""The in-process backend: fast, no dependencies, not shared across processes.

Every entry carries a monotonic expiry; reads ignore expired entries and drop
them. Keys that are never read again (claims, replay logs of closed widgets) are
dropped by a sweep that runs whenever a map has doubled since the last one, so
memory stays bounded by about twice what is live.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from pywry.state.base import (
    BlobStore,
    Capability,
    ConnectionRouter,
    EventBus,
    Message,
    SessionStore,
    StateBackend,
    Subscription,
    WidgetStore,
    WorkerRegistry,
)
from pywry.state.numbering import first_seq
from pywry.state.queued import QueueSubscription

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["MemoryBackend"]

V = TypeVar("V")
#: Below this many entries a map is never swept.
_MIN_SWEEP = 256


class _Expiring(Generic[V]):
    """A dict whose entries vanish ``ttl`` seconds after they were last set or touched."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, V]] = {}
        self._sweep_at = _MIN_SWEEP

    def set(self, key: str, value: V, ttl: float) -> None:
        self._items[key] = (time.monotonic() + ttl, value)
        if len(self._items) >= self._sweep_at:
            for _ in self.live():
                pass
            self._sweep_at = max(_MIN_SWEEP, 2 * len(self._items))

    def get(self, key: str) -> V | None:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._items[key]
            return None
        return entry[1]

    def touch(self, key: str, ttl: float) -> bool:
        value = self.get(key)
        if value is None:
            return False
        self.set(key, value, ttl)
        return True

    def pop(self, key: str) -> bool:
        return self.get(key) is not None and self._items.pop(key, None) is not None

    def live(self) -> Iterator[tuple[str, V]]:
        now = time.monotonic()
        for key, (expires, value) in list(self._items.items()):
            if expires <= now:
                del self._items[key]
            else:
                yield key, value


class _Records:
    """The shared half of the record stores: an expiring map of field maps."""

    def __init__(self) -> None:
        self._data: _Expiring[dict[str, str]] = _Expiring()

    async def _put(self, key: str, fields: dict[str, str], ttl: float) -> None:
        self._data.set(key, dict(fields), ttl)

    async def _get(self, key: str) -> dict[str, str] | None:
        fields = self._data.get(key)
        return None if fields is None else dict(fields)

    async def _touch(self, key: str, ttl: float) -> bool:
        return self._data.touch(key, ttl)

    async def _remove(self, key: str) -> bool:
        return self._data.pop(key)


class _Widgets(_Records, WidgetStore):
    async def _active(self) -> set[str]:
        return {key for key, _ in self._data.live()}


class _Sessions(_Records, SessionStore):
    pass


class _Connections(_Records, ConnectionRouter):
    def __init__(self) -> None:
        super().__init__()
        self._owners: _Expiring[str] = _Expiring()

    async def _refresh(self, connection_id: str, ttl: float) -> bool:
        return self._data.touch(connection_id, ttl)

    async def _set_owner(self, widget_id: str, worker_id: str, ttl: float) -> None:
        self._owners.set(widget_id, worker_id, ttl)

    async def _owner_of(self, widget_id: str) -> str | None:
        return self._owners.get(widget_id)

    async def _clear_owner(self, widget_id: str) -> bool:
        return self._owners.pop(widget_id)


class _Workers(WorkerRegistry):
    def __init__(self) -> None:
        self._beats: _Expiring[bool] = _Expiring()

    async def _beat(self, worker_id: str, ttl: float) -> None:
        self._beats.set(worker_id, True, ttl)

    async def _alive(self) -> set[str]:
        return {key for key, _ in self._beats.live()}

    async def _remove(self, worker_id: str) -> bool:
        return self._beats.pop(worker_id)


@dataclass
class _Log:
    #: The newest number given; a new log is made one below its first (``first_seq``).
    seq: int = 0
    entries: deque[tuple[int, str]] = field(default_factory=deque)
    expires: float = 0.0
    #: Idempotency keys of logged entries and their seqs, oldest first; bounded like
    #: ``entries`` (a key goes with its entry).
    keys: dict[str, int] = field(default_factory=dict)


class _Events(EventBus):
    def __init__(self) -> None:
        self._subscribers: dict[str, set[QueueSubscription]] = {}
        self._logs: dict[str, _Log] = {}
        self._logs_sweep_at = _MIN_SWEEP
        self._claims: _Expiring[bool] = _Expiring()

    def _unsubscribe(self, sub: QueueSubscription) -> None:
        for channel in sub.channels:
            subs = self._subscribers.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[channel]

    async def _publish(self, channel: str, text: str) -> None:
        for sub in list(self._subscribers.get(channel, ())):
            sub.put(channel, text)

    async def _subscribe(self, channels: list[str]) -> Subscription:
        sub = QueueSubscription(channels, on_close=self._unsubscribe)
        for channel in channels:
            self._subscribers.setdefault(channel, set()).add(sub)
        return sub

    def _log(self, widget_id: str) -> _Log | None:
        log = self._logs.get(widget_id)
        if log is not None and log.expires <= time.monotonic():
            del self._logs[widget_id]
            return None
        return log

    def _sweep_logs(self) -> None:
        now = time.monotonic()
        for widget_id, log in list(self._logs.items()):
            if log.expires <= now:
                del self._logs[widget_id]
        self._logs_sweep_at = max(_MIN_SWEEP, 2 * len(self._logs))

    async def _append(
        self, widget_id: str, message: Message, maxlen: int, ttl: float, key: str | None
    ) -> int:
        if len(self._logs) >= self._logs_sweep_at:
            self._sweep_logs()
        log = self._log(widget_id)
        if log is None:
            log = self._logs[widget_id] = _Log(seq=first_seq() - 1)
        if key is not None and key in log.keys:
            return log.keys[key]
        log.seq += 1
        log.entries.append((log.seq, json.dumps({**message, "seq": log.seq})))
        if key is not None:
            log.keys[key] = log.seq
        while len(log.entries) > maxlen:
            log.entries.popleft()
        oldest = log.entries[0][0]
        while log.keys and next(iter(log.keys.values())) < oldest:
            del log.keys[next(iter(log.keys))]
        log.expires = time.monotonic() + ttl
        return log.seq

    async def _since(self, widget_id: str, after_seq: int) -> list[str]:
        log = self._log(widget_id)
        return [] if log is None else [text for seq, text in log.entries if seq > after_seq]

    async def _last_seq(self, widget_id: str) -> int:
        log = self._log(widget_id)
        return 0 if log is None else log.seq

    async def _claim(self, key: str, ttl: float) -> bool:
        if self._claims.get(key) is not None:
            return False
        self._claims.set(key, True, ttl)
        return True


class _Blobs(BlobStore):
    def __init__(self) -> None:
        self._chunks: _Expiring[bytes] = _Expiring()
        self._signing_key: bytes | None = None

    async def _put(self, blob_id: str, index: int, data: bytes, ttl: float) -> None:
        self._chunks.set(f"{blob_id}\0{index}", data, ttl)

    async def _get(self, blob_id: str, index: int) -> bytes | None:
        return self._chunks.get(f"{blob_id}\0{index}")

    async def _delete(self, blob_id: str, chunks: int) -> None:
        for index in range(chunks):
            self._chunks.pop(f"{blob_id}\0{index}")

    async def _key(self, candidate: bytes) -> bytes:
        if self._signing_key is None:
            self._signing_key = candidate
        return self._signing_key


class MemoryBackend(StateBackend):
    """State in this process's memory: one worker only, lost on restart."""

    name = "memory"
    capabilities = frozenset({Capability.FILES})

    def __init__(self) -> None:
        self.widgets = _Widgets()
        self.sessions = _Sessions()
        self.connections = _Connections()
        self.workers = _Workers()
        self.events = _Events()
        self.blobs = _Blobs()

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        return cls()

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "shared": False}
