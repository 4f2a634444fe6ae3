"""The state-backend interface: one abstract class per role.

A backend is a :class:`StateBackend` that exposes five role objects:

``widgets`` (:class:`WidgetStore`)
    Widget records with a TTL, and the set of active widget ids.
``sessions`` (:class:`SessionStore`)
    User sessions with a TTL.
``connections`` (:class:`ConnectionRouter`)
    Which worker holds which browser connection, and which worker owns a widget
    created at run time.
``workers`` (:class:`WorkerRegistry`)
    Worker liveness through heartbeats that expire.
``events`` (:class:`EventBus`)
    Messages between workers (publish/subscribe), a bounded per-widget log of
    server-to-browser events for replay, and once-only claims for deduplication.
``blobs`` (:class:`~pywry.state.blobs.BlobStore`, with :attr:`Capability.FILES`)
    Files in chunks with a TTL (downloads), and the deployment's signing key.

Public methods do the shared work (validation, encoding) and call exactly one
protected abstract method; a backend implements only the protected methods, on
plain strings and ``dict[str, str]`` field maps. TTLs are seconds (floats allowed).
All methods are coroutines and may raise :class:`~pywry.errors.BackendUnavailableError`
when the store cannot be reached.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel

from pywry.errors import BackendError, BackendUnavailableError
from pywry.state._checks import check_id as _check_id
from pywry.state._checks import check_ttl as _check_ttl
from pywry.state.blobs import NO_BLOBS
from pywry.state.blobs import BlobStore as BlobStore
from pywry.state.bus import Announce as Announce
from pywry.state.bus import EventBus as EventBus
from pywry.state.numbering import MAX_SEQ as MAX_SEQ
from pywry.state.numbering import first_seq as first_seq
from pywry.state.records import ConnectionRecord, SessionRecord, WidgetRecord
from pywry.state.subscription import Message as Message
from pywry.state.subscription import Subscription

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = [
    "MAX_SEQ",
    "Announce",
    "BlobStore",
    "Capability",
    "ConnectionRouter",
    "EventBus",
    "SessionStore",
    "StateBackend",
    "Subscription",
    "WidgetStore",
    "WorkerRegistry",
    "first_seq",
]

#: The routing entry :meth:`StateBackend.check_writable` writes and deletes by default.
_WRITE_PROBE = ConnectionRecord(
    connection_id="pywry-write-probe", widget_id="pywry-write-probe", worker_id="probe"
)


class Capability(str, Enum):
    """What a backend can do beyond the base contract; conformance tests skip on these."""

    #: State written by one backend instance is seen by another instance built from
    #: the same settings, in another process (Redis, SQLite; not memory).
    SHARED = "shared"
    #: State survives closing and reopening the backend (SQLite, Redis).
    PERSISTENT = "persistent"
    #: ``backend.blobs`` stores files in chunks (downloads); see :mod:`pywry.state.blobs`.
    FILES = "files"


class WidgetStore(ABC):
    """Widget records with a TTL, and the set of active widget ids."""

    async def register(self, record: WidgetRecord, *, ttl: float) -> None:
        """Store (or replace) ``record`` and mark it active for ``ttl`` seconds."""
        _check_id("widget_id", record.widget_id)
        _check_ttl(ttl)
        await self._put(record.widget_id, record.to_fields(), ttl)

    async def get(self, widget_id: str) -> WidgetRecord | None:
        """The record, or ``None`` if it was never stored, was removed or expired."""
        fields = await self._get(widget_id)
        return None if fields is None else WidgetRecord.from_fields(fields)

    async def touch(self, widget_id: str, *, ttl: float) -> bool:
        """Extend the widget's life to ``ttl`` seconds from now; ``False`` if absent."""
        _check_ttl(ttl)
        return await self._touch(widget_id, ttl)

    async def remove(self, widget_id: str) -> bool:
        """Delete the widget; ``True`` if it existed."""
        return await self._remove(widget_id)

    async def active(self) -> set[str]:
        """Ids of the widgets that exist and have not expired."""
        return await self._active()

    @abstractmethod
    async def _put(self, widget_id: str, fields: dict[str, str], ttl: float) -> None: ...

    @abstractmethod
    async def _get(self, widget_id: str) -> dict[str, str] | None: ...

    @abstractmethod
    async def _touch(self, widget_id: str, ttl: float) -> bool: ...

    @abstractmethod
    async def _remove(self, widget_id: str) -> bool: ...

    @abstractmethod
    async def _active(self) -> set[str]: ...


class SessionStore(ABC):
    """User sessions with a TTL."""

    async def create(self, record: SessionRecord, *, ttl: float) -> None:
        """Store ``record`` for ``ttl`` seconds."""
        _check_id("session_id", record.session_id)
        _check_ttl(ttl)
        await self._put(record.session_id, record.to_fields(), ttl)

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or ``None`` if unknown or expired."""
        fields = await self._get(session_id)
        return None if fields is None else SessionRecord.from_fields(fields)

    async def touch(self, session_id: str, *, ttl: float) -> bool:
        """Extend the session to ``ttl`` seconds from now; ``False`` if absent."""
        _check_ttl(ttl)
        return await self._touch(session_id, ttl)

    async def remove(self, session_id: str) -> bool:
        """Delete the session; ``True`` if it existed."""
        return await self._remove(session_id)

    @abstractmethod
    async def _put(self, session_id: str, fields: dict[str, str], ttl: float) -> None: ...

    @abstractmethod
    async def _get(self, session_id: str) -> dict[str, str] | None: ...

    @abstractmethod
    async def _touch(self, session_id: str, ttl: float) -> bool: ...

    @abstractmethod
    async def _remove(self, session_id: str) -> bool: ...


class ConnectionRouter(ABC):
    """Where browser connections live, and which worker owns a run-time widget."""

    async def register(self, record: ConnectionRecord, *, ttl: float) -> None:
        """Record a connection for ``ttl`` seconds (refresh it with :meth:`refresh`)."""
        _check_id("connection_id", record.connection_id)
        _check_ttl(ttl)
        await self._put(record.connection_id, record.to_fields(), ttl)

    async def refresh(self, connection_id: str, *, ttl: float) -> bool:
        """Extend a connection's routing entry; ``False`` if it expired or is unknown."""
        _check_ttl(ttl)
        return await self._refresh(connection_id, ttl)

    async def unregister(self, connection_id: str) -> bool:
        """Forget a connection; ``True`` if it was known."""
        return await self._remove(connection_id)

    async def get(self, connection_id: str) -> ConnectionRecord | None:
        """One connection's record, or ``None``."""
        fields = await self._get(connection_id)
        return None if fields is None else ConnectionRecord.from_fields(fields)

    async def set_owner(self, widget_id: str, worker_id: str, *, ttl: float) -> None:
        """Record that ``worker_id`` holds the callbacks of ``widget_id``."""
        _check_id("widget_id", widget_id)
        _check_id("worker_id", worker_id)
        _check_ttl(ttl)
        await self._set_owner(widget_id, worker_id, ttl)

    async def owner_of(self, widget_id: str) -> str | None:
        """The worker that owns ``widget_id``, or ``None`` if none is recorded."""
        return await self._owner_of(widget_id)

    async def clear_owner(self, widget_id: str) -> bool:
        """Forget the owner of ``widget_id``; ``True`` if one was recorded."""
        return await self._clear_owner(widget_id)

    @abstractmethod
    async def _put(self, connection_id: str, fields: dict[str, str], ttl: float) -> None: ...

    @abstractmethod
    async def _refresh(self, connection_id: str, ttl: float) -> bool: ...

    @abstractmethod
    async def _remove(self, connection_id: str) -> bool: ...

    @abstractmethod
    async def _get(self, connection_id: str) -> dict[str, str] | None: ...

    @abstractmethod
    async def _set_owner(self, widget_id: str, worker_id: str, ttl: float) -> None: ...

    @abstractmethod
    async def _owner_of(self, widget_id: str) -> str | None: ...

    @abstractmethod
    async def _clear_owner(self, widget_id: str) -> bool: ...


class WorkerRegistry(ABC):
    """Worker liveness: a worker is alive while its last heartbeat has not expired."""

    async def heartbeat(self, worker_id: str, *, ttl: float) -> None:
        """Mark ``worker_id`` alive for the next ``ttl`` seconds."""
        _check_id("worker_id", worker_id)
        _check_ttl(ttl)
        await self._beat(worker_id, ttl)

    async def is_alive(self, worker_id: str) -> bool:
        """Whether ``worker_id`` has an unexpired heartbeat."""
        return await self._is_alive(worker_id)

    async def alive(self) -> set[str]:
        """Ids of every worker with an unexpired heartbeat."""
        return await self._alive()

    async def remove(self, worker_id: str) -> bool:
        """Drop ``worker_id`` at once (clean shutdown); ``True`` if it was alive."""
        return await self._remove(worker_id)

    @abstractmethod
    async def _beat(self, worker_id: str, ttl: float) -> None: ...

    @abstractmethod
    async def _alive(self) -> set[str]: ...

    async def _is_alive(self, worker_id: str) -> bool:
        """Override to check one worker without listing them all (routing calls this
        per event for run-time widgets); the default asks :meth:`_alive`."""
        return worker_id in await self._alive()

    @abstractmethod
    async def _remove(self, worker_id: str) -> bool: ...


class StateBackend(ABC):
    """A complete state backend: the five roles plus a lifecycle.

    Build one with :meth:`from_settings`, then use it as ``async with backend:`` (or
    call :meth:`start` and :meth:`aclose`). The application owns exactly one instance.
    """

    #: The entry-point name (``memory``, ``redis``, ``sqlite``, ...).
    name: ClassVar[str]
    #: Declared capabilities; see :class:`Capability`.
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: The backend's own settings, read from the ``deploy`` section like PyWry's
    #: (``PYWRY_DEPLOY__<FIELD>``, ``[deploy]`` in config files); fields start with the
    #: backend's name. :meth:`from_settings` gets them with
    #: ``settings.deploy.backend_settings(model)``. ``None``: the backend has none.
    settings_model: ClassVar[type[BaseModel] | None] = None

    widgets: WidgetStore
    sessions: SessionStore
    connections: ConnectionRouter
    workers: WorkerRegistry
    events: EventBus
    #: Files in chunks; only backends that declare :attr:`Capability.FILES` replace it.
    blobs: BlobStore = NO_BLOBS

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        """Build an (unstarted) backend from the deploy settings."""

    async def start(self) -> None:
        """Open connections, run migrations, start sweepers. Idempotent."""

    async def aclose(self) -> None:
        """Release every resource. Idempotent."""

    async def ping(self) -> None:
        """Return if the store answers; raise ``BackendUnavailableError`` otherwise."""

    async def check_writable(self) -> None:
        """Return if the store accepts a write now; raise ``BackendUnavailableError`` if not.

        ``/readyz`` asks it (a disk that is full, a read-only file, Redis out of memory).
        The default writes and deletes one fixed routing entry, so the store never grows;
        a backend may override it with a cheaper native check.
        """
        try:
            await self.connections.register(_WRITE_PROBE, ttl=60)
            await self.connections.unregister(_WRITE_PROBE.connection_id)
        except BackendUnavailableError:
            raise
        except BackendError as exc:
            raise BackendUnavailableError(f"The state backend refuses writes: {exc}") from exc

    def describe(self) -> dict[str, Any]:
        """Facts for ``/readyz`` and logs (never secrets)."""
        return {"backend": self.name}

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
