"""``ExampleBackend``: each role keeps its data under its own key prefix."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, field_validator
from pywry import state

from pywry_state_example._keyspace import Keyspace

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["ExampleBackend", "ExampleSettings"]


class ExampleSettings(BaseModel):
    """``PYWRY_DEPLOY__EXAMPLE_*``: read by PyWry with its own settings."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    example_url: str = "example://localhost"
    """Where the example key-value server would listen."""

    @field_validator("example_url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith("example://"):
            raise ValueError("must start with example://")
        return value


class _Prefixed:
    """Records stored whole under ``{prefix}{id}``."""

    prefix = ""

    def __init__(self, space: Keyspace) -> None:
        self.space = space

    async def _put(self, key: str, fields: dict[str, str], ttl: float) -> None:
        self.space.put(self.prefix + key, fields, ttl)

    async def _get(self, key: str) -> dict[str, str] | None:
        found: dict[str, str] | None = self.space.read(self.prefix + key)
        return found

    async def _touch(self, key: str, ttl: float) -> bool:
        return self.space.expire(self.prefix + key, ttl)

    async def _remove(self, key: str) -> bool:
        return self.space.delete(self.prefix + key)


class _Widgets(_Prefixed, state.WidgetStore):
    prefix = "widget:"

    async def _active(self) -> set[str]:
        return {widget_id for widget_id, _ in self.space.scan(self.prefix)}


class _Sessions(_Prefixed, state.SessionStore):
    prefix = "session:"


class _Connections(_Prefixed, state.ConnectionRouter):
    prefix = "conn:"

    async def _refresh(self, connection_id: str, ttl: float) -> bool:
        return await self._touch(connection_id, ttl)

    async def _set_owner(self, widget_id: str, worker_id: str, ttl: float) -> None:
        self.space.put(f"owner:{widget_id}", worker_id, ttl)

    async def _owner_of(self, widget_id: str) -> str | None:
        owner: str | None = self.space.read(f"owner:{widget_id}")
        return owner

    async def _clear_owner(self, widget_id: str) -> bool:
        return self.space.delete(f"owner:{widget_id}")


class _Workers(state.WorkerRegistry):
    def __init__(self, space: Keyspace) -> None:
        self.space = space

    async def _beat(self, worker_id: str, ttl: float) -> None:
        self.space.put(f"worker:{worker_id}", 1, ttl)

    async def _alive(self) -> set[str]:
        return {worker_id for worker_id, _ in self.space.scan("worker:")}

    async def _remove(self, worker_id: str) -> bool:
        return self.space.delete(f"worker:{worker_id}")


class _Inbox(state.Subscription):
    """One subscriber's queue; a ``None`` in it wakes a reader blocked at close."""

    def __init__(self, hub: dict[str, list[_Inbox]], channels: list[str]) -> None:
        self.hub, self.channels, self.closed = hub, list(dict.fromkeys(channels)), False
        self.queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        for channel in self.channels:
            hub.setdefault(channel, []).append(self)

    async def _next(self) -> tuple[str, str]:
        item = None if self.closed else await self.queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        for channel in self.channels:
            inboxes = self.hub[channel]
            inboxes.remove(self)
            if not inboxes:
                del self.hub[channel]
        self.queue.put_nowait(None)


class _Events(state.EventBus):
    def __init__(self, space: Keyspace) -> None:
        self.space = space
        self.hub: dict[str, list[_Inbox]] = {}

    async def _publish(self, channel: str, text: str) -> None:
        for inbox in list(self.hub.get(channel, [])):
            inbox.queue.put_nowait((channel, text))

    async def _subscribe(self, channels: list[str]) -> state.Subscription:
        return _Inbox(self.hub, channels)

    async def _append(
        self, widget_id: str, message: dict[str, Any], maxlen: int, ttl: float, key: str | None
    ) -> int:
        # A new (or expired) log numbers from the clock, as every backend must.
        log = self.space.read(f"log:{widget_id}") or {
            "seq": state.first_seq() - 1,
            "entries": [],
            "keys": {},
        }
        if key is not None and key in log["keys"]:
            return int(log["keys"][key])
        seq = log["seq"] + 1
        entries = [*log["entries"], {**message, "seq": seq}][-maxlen:]
        oldest = entries[0]["seq"]
        keys = {k: s for k, s in log["keys"].items() if s >= oldest}
        if key is not None:
            keys[key] = seq
        self.space.put(f"log:{widget_id}", {"seq": seq, "entries": entries, "keys": keys}, ttl)
        return int(seq)

    async def _since(self, widget_id: str, after_seq: int) -> list[str]:
        log = self.space.read(f"log:{widget_id}") or {"entries": []}
        return [json.dumps(entry) for entry in log["entries"] if entry["seq"] > after_seq]

    async def _last_seq(self, widget_id: str) -> int:
        log = self.space.read(f"log:{widget_id}")
        return 0 if log is None else int(log["seq"])

    async def _claim(self, key: str, ttl: float) -> bool:
        if self.space.read(f"claim:{key}") is not None:
            return False
        self.space.put(f"claim:{key}", 1, ttl)
        return True


class ExampleBackend(state.StateBackend):
    """Everything in one in-process keyspace; one worker only."""

    name = "example"
    settings_model = ExampleSettings

    def __init__(self, url: str = "example://localhost") -> None:
        self.url = url
        space = Keyspace()
        self.widgets = _Widgets(space)
        self.sessions = _Sessions(space)
        self.connections = _Connections(space)
        self.workers = _Workers(space)
        self.events = _Events(space)

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        return cls(settings.deploy.backend_settings(ExampleSettings).example_url)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "url": self.url}
