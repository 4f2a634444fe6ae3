"""Conformance of :class:`~pywry.state.base.ConnectionRouter`."""

from __future__ import annotations

import pytest

from pywry.state.base import StateBackend
from pywry.state.records import ConnectionRecord
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, is_none, uid

__all__ = ["ConnectionRouterTests"]


def _conn(widget_id: str, worker_id: str) -> ConnectionRecord:
    return ConnectionRecord(
        connection_id=uid("conn"),
        widget_id=widget_id,
        worker_id=worker_id,
        connected_at=1_700_000_042.75,
    )


class ConnectionRouterTests:
    """``backend.connections``: routing entries with TTL and widget owners."""

    @pytest.mark.asyncio
    async def test_connection_round_trip(self, backend: StateBackend) -> None:
        record = _conn(uid("widget"), uid("worker"))
        await backend.connections.register(record, ttl=LONG_TTL)
        assert await backend.connections.get(record.connection_id) == record
        assert await backend.connections.get(uid("missing")) is None

    @pytest.mark.asyncio
    async def test_connections_are_kept_apart(self, backend: StateBackend) -> None:
        w1, w2, k1, k2 = uid("widget"), uid("widget"), uid("worker"), uid("worker")
        a, b, c = _conn(w1, k1), _conn(w1, k2), _conn(w2, k1)
        for record in (a, b, c):
            await backend.connections.register(record, ttl=LONG_TTL)
        for record in (a, b, c):
            assert await backend.connections.get(record.connection_id) == record
        moved = ConnectionRecord(connection_id=a.connection_id, widget_id=w2, worker_id=k2)
        await backend.connections.register(moved, ttl=LONG_TTL)
        assert await backend.connections.get(a.connection_id) == moved
        assert await backend.connections.get(b.connection_id) == b

    @pytest.mark.asyncio
    async def test_unregister(self, backend: StateBackend) -> None:
        widget, worker = uid("widget"), uid("worker")
        gone, kept = _conn(widget, worker), _conn(widget, worker)
        await backend.connections.register(gone, ttl=LONG_TTL)
        await backend.connections.register(kept, ttl=LONG_TTL)
        assert await backend.connections.unregister(gone.connection_id) is True
        assert await backend.connections.unregister(gone.connection_id) is False
        assert await backend.connections.get(gone.connection_id) is None
        assert await backend.connections.get(kept.connection_id) == kept
        assert await backend.connections.refresh(gone.connection_id, ttl=LONG_TTL) is False

    @pytest.mark.asyncio
    async def test_connection_expires_from_every_view(self, backend: StateBackend) -> None:
        widget, worker = uid("widget"), uid("worker")
        dying, living = _conn(widget, worker), _conn(widget, worker)
        await backend.connections.register(dying, ttl=SHORT_TTL)
        await backend.connections.register(living, ttl=LONG_TTL)

        await eventually(
            lambda: is_none(backend.connections.get(dying.connection_id)),
            "the short-TTL connection to expire",
        )
        assert await backend.connections.get(living.connection_id) == living
        assert await backend.connections.refresh(dying.connection_id, ttl=LONG_TTL) is False
        assert await backend.connections.unregister(dying.connection_id) is False

    @pytest.mark.asyncio
    async def test_refresh_extends_life(self, backend: StateBackend) -> None:
        widget, worker = uid("widget"), uid("worker")
        refreshed, witness = _conn(widget, worker), _conn(widget, worker)
        await backend.connections.register(refreshed, ttl=SHORT_TTL)
        await backend.connections.register(witness, ttl=SHORT_TTL)
        assert await backend.connections.refresh(refreshed.connection_id, ttl=LONG_TTL) is True
        await eventually(
            lambda: is_none(backend.connections.get(witness.connection_id)),
            "the connection that was not refreshed to expire",
        )
        assert await backend.connections.get(refreshed.connection_id) == refreshed
        assert await backend.connections.refresh(uid("missing"), ttl=LONG_TTL) is False

    @pytest.mark.asyncio
    async def test_owner_set_get_clear(self, backend: StateBackend) -> None:
        widget, other = uid("widget"), uid("widget")
        assert await backend.connections.owner_of(widget) is None
        await backend.connections.set_owner(widget, "worker-a", ttl=LONG_TTL)
        await backend.connections.set_owner(other, "worker-b", ttl=LONG_TTL)
        assert await backend.connections.owner_of(widget) == "worker-a"
        await backend.connections.set_owner(widget, "worker-c", ttl=LONG_TTL)
        assert await backend.connections.owner_of(widget) == "worker-c"
        assert await backend.connections.clear_owner(widget) is True
        assert await backend.connections.owner_of(widget) is None
        assert await backend.connections.clear_owner(widget) is False
        assert await backend.connections.owner_of(other) == "worker-b"

    @pytest.mark.asyncio
    async def test_owner_expires(self, backend: StateBackend) -> None:
        widget, kept = uid("widget"), uid("widget")
        await backend.connections.set_owner(widget, "worker-a", ttl=SHORT_TTL)
        await backend.connections.set_owner(kept, "worker-a", ttl=LONG_TTL)
        await eventually(
            lambda: is_none(backend.connections.owner_of(widget)), "the owner entry to expire"
        )
        assert await backend.connections.clear_owner(widget) is False
        assert await backend.connections.owner_of(kept) == "worker-a"

    @pytest.mark.asyncio
    async def test_connections_reject_bad_input(self, backend: StateBackend) -> None:
        bad = ConnectionRecord(connection_id="", widget_id="w", worker_id="k")
        with pytest.raises(ValueError, match="connection_id"):
            await backend.connections.register(bad, ttl=LONG_TTL)
        with pytest.raises(ValueError, match="widget_id"):
            await backend.connections.set_owner("", "worker", ttl=LONG_TTL)
        with pytest.raises(ValueError, match="worker_id"):
            await backend.connections.set_owner("widget", "", ttl=LONG_TTL)
        record = _conn(uid("widget"), uid("worker"))
        for ttl in (0, -1):
            with pytest.raises(ValueError, match="ttl"):
                await backend.connections.register(record, ttl=ttl)
            with pytest.raises(ValueError, match="ttl"):
                await backend.connections.refresh(record.connection_id, ttl=ttl)
            with pytest.raises(ValueError, match="ttl"):
                await backend.connections.set_owner(record.widget_id, "k", ttl=ttl)
        assert await backend.connections.get(record.connection_id) is None
        assert await backend.connections.owner_of(record.widget_id) is None
