"""The Redis state backend: state shared by every worker, kept in Redis.

Selected with ``PYWRY_DEPLOY__STATE_BACKEND=redis``; reads ``PYWRY_DEPLOY__REDIS_URL``,
``PYWRY_DEPLOY__REDIS_PREFIX`` and ``PYWRY_DEPLOY__REDIS_POOL_SIZE``. The key layout,
atomicity and outage behaviour are described in ``docs/redis.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from pywry.config import env_var_for
from pywry.errors import BackendUnavailableError
from pywry.state.base import Capability, StateBackend

from pywry_state_redis._blobs import RedisBlobs
from pywry_state_redis._events import RedisEvents
from pywry_state_redis._link import Link, Role
from pywry_state_redis._stores import RedisConnections, RedisSessions, RedisWidgets, RedisWorkers
from pywry_state_redis.settings import RedisSettings

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["RedisBackend"]


class _Health(Role):
    async def _ping(self) -> None:
        await self.link.redis.ping()


class RedisBackend(StateBackend):
    """State in Redis: shared across workers and hosts, survives restarts of PyWry.

    One instance holds one bounded connection pool (``pool_size`` connections for
    commands) plus one dedicated connection per open event-bus subscription.
    """

    name = "redis"
    capabilities = frozenset({Capability.SHARED, Capability.PERSISTENT, Capability.FILES})
    settings_model = RedisSettings

    widgets: RedisWidgets
    sessions: RedisSessions
    connections: RedisConnections
    workers: RedisWorkers
    events: RedisEvents
    blobs: RedisBlobs

    def __init__(
        self, url: str = "redis://localhost:6379/0", *, prefix: str = "pywry", pool_size: int = 10
    ) -> None:
        self._link = Link(url, prefix, pool_size)
        self._health = _Health(self._link)
        self.widgets = RedisWidgets(self._link)
        self.sessions = RedisSessions(self._link)
        self.connections = RedisConnections(self._link)
        self.workers = RedisWorkers(self._link)
        self.events = RedisEvents(self._link)
        self.blobs = RedisBlobs(self._link)
        self._started = False

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        own = settings.deploy.backend_settings(RedisSettings)
        return cls(own.redis_url, prefix=own.redis_prefix, pool_size=own.redis_pool_size)

    @property
    def prefix(self) -> str:
        """The key namespace: every key this backend writes starts with ``{prefix}:``."""
        return self._link.keys.prefix

    async def start(self) -> None:
        """Check that Redis answers; raise a clear error naming the setting if not."""
        if self._started:
            return
        try:
            await self._health._ping()
        except BackendUnavailableError as exc:
            raise BackendUnavailableError(
                f"Cannot reach Redis at {self._link.masked_url} "
                f"({env_var_for('deploy', 'redis_url')}): {exc.__cause__}. "
                "Start Redis or point the setting at a running server."
            ) from exc
        self._started = True

    async def aclose(self) -> None:
        await self.events.close_subscriptions()
        await self._link.aclose()
        self._started = False

    async def ping(self) -> None:
        await self._health._ping()

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "shared": True,
            "url": self._link.masked_url,
            "prefix": self.prefix,
            "pool_size": self._link.pool_size,
        }
