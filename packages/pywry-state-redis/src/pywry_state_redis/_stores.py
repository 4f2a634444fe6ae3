"""The record-keeping roles: widgets, sessions, connection routing, worker liveness."""

from __future__ import annotations

from typing import cast

from pywry.state.base import ConnectionRouter, SessionStore, WidgetStore, WorkerRegistry

from pywry_state_redis._link import Role, ttl_ms

__all__ = ["RedisConnections", "RedisSessions", "RedisWidgets", "RedisWorkers"]


def _pairs(fields: dict[str, str]) -> list[str]:
    return [part for item in fields.items() for part in item]


class RedisWidgets(Role, WidgetStore):
    """``{prefix}:widget:{id}`` hashes with a TTL, mirrored in ``{prefix}:widgets:active``."""

    def _index(self, widget_id: str) -> list[str]:
        keys = self.link.keys
        return [keys.widget(widget_id), keys.widgets_active, keys.widgets_expiry]

    async def _put(self, widget_id: str, fields: dict[str, str], ttl: float) -> None:
        await self.link.scripts["widget_put"](
            keys=self._index(widget_id), args=[widget_id, ttl_ms(ttl), *_pairs(fields)]
        )

    async def _get(self, widget_id: str) -> dict[str, str] | None:
        fields = await self.link.redis.hgetall(self.link.keys.widget(widget_id))
        return cast("dict[str, str]", fields) or None

    async def _touch(self, widget_id: str, ttl: float) -> bool:
        script = self.link.scripts["widget_touch"]
        return bool(await script(keys=self._index(widget_id), args=[widget_id, ttl_ms(ttl)]))

    async def _remove(self, widget_id: str) -> bool:
        script = self.link.scripts["widget_remove"]
        return bool(await script(keys=self._index(widget_id), args=[widget_id]))

    async def _active(self) -> set[str]:
        keys = self.link.keys
        members = await self.link.scripts["index_live"](
            keys=[keys.widgets_expiry, keys.widgets_active]
        )
        return set(members)


class _Hashes(Role):
    """Records as hashes with a TTL, one key each (``_key`` names it)."""

    def _key(self, record_id: str) -> str:
        raise NotImplementedError

    async def _put(self, record_id: str, fields: dict[str, str], ttl: float) -> None:
        key = self._key(record_id)
        async with self.link.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
            pipe.pexpire(key, ttl_ms(ttl))
            await pipe.execute()

    async def _get(self, record_id: str) -> dict[str, str] | None:
        fields = await self.link.redis.hgetall(self._key(record_id))
        return cast("dict[str, str]", fields) or None

    async def _touch(self, record_id: str, ttl: float) -> bool:
        return bool(await self.link.redis.pexpire(self._key(record_id), ttl_ms(ttl)))

    async def _remove(self, record_id: str) -> bool:
        return bool(await self.link.redis.delete(self._key(record_id)))


class RedisSessions(_Hashes, SessionStore):
    """``{prefix}:session:{id}`` hashes with a TTL."""

    def _key(self, record_id: str) -> str:
        return self.link.keys.session(record_id)


class RedisConnections(_Hashes, ConnectionRouter):
    """``{prefix}:conn:{id}`` hashes with a TTL; run-time widget owners in
    ``{prefix}:owner:{widget_id}`` strings.
    """

    def _key(self, record_id: str) -> str:
        return self.link.keys.connection(record_id)

    async def _refresh(self, connection_id: str, ttl: float) -> bool:
        return await self._touch(connection_id, ttl)

    async def _set_owner(self, widget_id: str, worker_id: str, ttl: float) -> None:
        await self.link.redis.set(self.link.keys.owner(widget_id), worker_id, px=ttl_ms(ttl))

    async def _owner_of(self, widget_id: str) -> str | None:
        owner = await self.link.redis.get(self.link.keys.owner(widget_id))
        return cast("str | None", owner)

    async def _clear_owner(self, widget_id: str) -> bool:
        return bool(await self.link.redis.delete(self.link.keys.owner(widget_id)))


class RedisWorkers(Role, WorkerRegistry):
    """Heartbeats in the ``{prefix}:workers:alive`` zset (worker id -> expiry)."""

    async def _beat(self, worker_id: str, ttl: float) -> None:
        await self.link.scripts["index_add"](
            keys=[self.link.keys.workers], args=[worker_id, ttl_ms(ttl)]
        )

    async def _alive(self) -> set[str]:
        return set(await self.link.scripts["index_live"](keys=[self.link.keys.workers]))

    async def _is_alive(self, worker_id: str) -> bool:
        script = self.link.scripts["index_has"]
        return bool(await script(keys=[self.link.keys.workers], args=[worker_id]))

    async def _remove(self, worker_id: str) -> bool:
        script = self.link.scripts["index_remove"]
        return bool(await script(keys=[self.link.keys.workers], args=[worker_id]))
