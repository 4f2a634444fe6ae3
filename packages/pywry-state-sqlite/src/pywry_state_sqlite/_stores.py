"""Widgets, sessions, connection routing and worker heartbeats as SQLite rows."""

from __future__ import annotations

import json

from pywry.state.base import ConnectionRouter, SessionStore, WidgetStore, WorkerRegistry

from pywry_state_sqlite._db import Database

__all__ = ["SQLiteConnections", "SQLiteSessions", "SQLiteWidgets", "SQLiteWorkers"]


def _dump(fields: dict[str, str]) -> str:
    return json.dumps(fields, separators=(",", ":"))


def _load(text: str) -> dict[str, str]:
    fields: dict[str, str] = json.loads(text)
    return fields


class SQLiteWidgets(WidgetStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _put(self, widget_id: str, fields: dict[str, str], ttl: float) -> None:
        await self._db.write("widget_put", id=widget_id, fields=_dump(fields), ttl=ttl)

    async def _get(self, widget_id: str) -> dict[str, str] | None:
        row = await self._db.one("widget_get", id=widget_id)
        return None if row is None else _load(row[0])

    async def _touch(self, widget_id: str, ttl: float) -> bool:
        return await self._db.write("widget_touch", id=widget_id, ttl=ttl) > 0

    async def _remove(self, widget_id: str) -> bool:
        return await self._db.removed("widget_remove", id=widget_id)

    async def _active(self) -> set[str]:
        return {row[0] for row in await self._db.all("widget_active")}


class SQLiteSessions(SessionStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _put(self, session_id: str, fields: dict[str, str], ttl: float) -> None:
        await self._db.write("session_put", id=session_id, fields=_dump(fields), ttl=ttl)

    async def _get(self, session_id: str) -> dict[str, str] | None:
        row = await self._db.one("session_get", id=session_id)
        return None if row is None else _load(row[0])

    async def _touch(self, session_id: str, ttl: float) -> bool:
        return await self._db.write("session_touch", id=session_id, ttl=ttl) > 0

    async def _remove(self, session_id: str) -> bool:
        return await self._db.removed("session_remove", id=session_id)


class SQLiteConnections(ConnectionRouter):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _put(self, connection_id: str, fields: dict[str, str], ttl: float) -> None:
        await self._db.write(
            "connection_put",
            id=connection_id,
            widget_id=fields.get("widget_id", ""),
            worker_id=fields.get("worker_id", ""),
            fields=_dump(fields),
            ttl=ttl,
        )

    async def _refresh(self, connection_id: str, ttl: float) -> bool:
        return await self._db.write("connection_refresh", id=connection_id, ttl=ttl) > 0

    async def _remove(self, connection_id: str) -> bool:
        return await self._db.removed("connection_remove", id=connection_id)

    async def _get(self, connection_id: str) -> dict[str, str] | None:
        row = await self._db.one("connection_get", id=connection_id)
        return None if row is None else _load(row[0])

    async def _set_owner(self, widget_id: str, worker_id: str, ttl: float) -> None:
        await self._db.write("owner_set", id=widget_id, worker_id=worker_id, ttl=ttl)

    async def _owner_of(self, widget_id: str) -> str | None:
        row = await self._db.one("owner_get", id=widget_id)
        return None if row is None else str(row[0])

    async def _clear_owner(self, widget_id: str) -> bool:
        return await self._db.removed("owner_clear", id=widget_id)


class SQLiteWorkers(WorkerRegistry):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _beat(self, worker_id: str, ttl: float) -> None:
        await self._db.write("worker_beat", id=worker_id, ttl=ttl)

    async def _alive(self) -> set[str]:
        return {row[0] for row in await self._db.all("workers_alive")}

    async def _is_alive(self, worker_id: str) -> bool:
        return await self._db.one("worker_alive", id=worker_id) is not None

    async def _remove(self, worker_id: str) -> bool:
        return await self._db.removed("worker_remove", id=worker_id)
