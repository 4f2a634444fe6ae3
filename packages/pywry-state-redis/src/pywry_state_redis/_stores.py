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


class RedisSessions(Role, SessionStore):
    """``{prefix}:session:{id}`` hashes with a TTL."""

    async def _put(self, session_id: str, fields: dict[str, str], ttl: float) -> None:
        key = self.link.keys.session(session_id)
        async with self.link.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
            pipe.pexpire(key, ttl_ms(ttl))
            await pipe.execute()

    async def _get(self, session_id: str) -> dict[str, str] | None:
        fields = await self.link.redis.hgetall(self.link.keys.session(session_id))
        return cast("dict[str, str]", fields) or None

    async def _touch(self, session_id: str, ttl: float) -> bool:
        return bool(await self.link.redis.pexpire(self.link.keys.session(session_id), ttl_ms(ttl)))

    async def _remove(self, session_id: str) -> bool:
        return bool(await self.link.redis.delete(self.link.keys.session(session_id)))


class RedisConnections(Role, ConnectionRouter):
    """``{prefix}:conn:{id}`` hashes, indexed by widget and by worker in expiry zsets;
    run-time widget owners in ``{prefix}:owner:{widget_id}`` strings.
    """

    def _prefixes(self) -> list[str]:
        return [self.link.keys.conns_by_widget, self.link.keys.conns_by_worker]

    async def _put(self, connection_id: str, fields: dict[str, str], ttl: float) -> None:
        await self.link.scripts["conn_put"](
            keys=[self.link.keys.connection(connection_id)],
            args=[connection_id, ttl_ms(ttl), *self._prefixes(), *_pairs(fields)],
        )

    async def _refresh(self, connection_id: str, ttl: float) -> bool:
        script = self.link.scripts["conn_refresh"]
        keys = [self.link.keys.connection(connection_id)]
        return bool(await script(keys=keys, args=[connection_id, ttl_ms(ttl), *self._prefixes()]))

    async def _remove(self, connection_id: str) -> bool:
        script = self.link.scripts["conn_remove"]
        keys = [self.link.keys.connection(connection_id)]
        return bool(await script(keys=keys, args=[connection_id, *self._prefixes()]))

    async def _get(self, connection_id: str) -> dict[str, str] | None:
        key = self.link.keys.connection(connection_id)
        fields = await self.link.redis.hgetall(key)
        return cast("dict[str, str]", fields) or None

    async def _of_widget(self, widget_id: str) -> list[dict[str, str]]:
        index = self.link.keys.conns_by_widget + widget_id
        return await self._indexed(index, "widget_id", widget_id)

    async def _of_worker(self, worker_id: str) -> list[dict[str, str]]:
        index = self.link.keys.conns_by_worker + worker_id
        return await self._indexed(index, "worker_id", worker_id)

    async def _indexed(self, index: str, field: str, value: str) -> list[dict[str, str]]:
        ids: list[str] = await self.link.scripts["index_live"](keys=[index])
        if not ids:
            return []
        async with self.link.redis.pipeline(transaction=False) as pipe:
            for connection_id in ids:
                pipe.hgetall(self.link.keys.connection(connection_id))
            records: list[dict[str, str]] = await pipe.execute()
        return [fields for fields in records if fields.get(field) == value]

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
