"""Conformance of :attr:`Capability.PERSISTENT`: state survives closing and reopening."""

from __future__ import annotations

import pytest

from pywry.state.base import Capability, StateBackend
from pywry.state.records import ConnectionRecord, SessionRecord
from pywry.testing._fixtures import MakeBackend
from pywry.testing._support import LONG_TTL, requires, uid
from pywry.testing.widgets import sample_widget

__all__ = ["PersistenceTests"]


class PersistenceTests:
    """Close the backend, build a new one from the same settings: nothing is lost."""

    @pytest.mark.asyncio
    async def test_state_survives_reopen(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.PERSISTENT)
        record = sample_widget()
        session = SessionRecord(session_id=uid("session"), user="ada")
        conn = ConnectionRecord(
            connection_id=uid("conn"), widget_id=record.widget_id, worker_id="k"
        )
        key = uid("claim")
        await backend.widgets.register(record, ttl=LONG_TTL)
        await backend.sessions.create(session, ttl=LONG_TTL)
        await backend.connections.register(conn, ttl=LONG_TTL)
        await backend.connections.set_owner(record.widget_id, "k", ttl=LONG_TTL)
        seqs = [
            await backend.events.append(record.widget_id, {"i": i}, maxlen=10, ttl=LONG_TTL)
            for i in range(3)
        ]
        assert await backend.events.claim(key, ttl=LONG_TTL) is True
        await backend.aclose()

        reopened = await make_backend()
        assert await reopened.widgets.get(record.widget_id) == record
        assert record.widget_id in await reopened.widgets.active()
        assert await reopened.sessions.get(session.session_id) == session
        assert await reopened.connections.get(conn.connection_id) == conn
        assert await reopened.connections.owner_of(record.widget_id) == "k"
        assert await reopened.events.last_seq(record.widget_id) == seqs[-1]
        assert [m["i"] for m in await reopened.events.since(record.widget_id, 0)] == [0, 1, 2]
        next_seq = await reopened.events.append(record.widget_id, {}, maxlen=10, ttl=LONG_TTL)
        assert next_seq == seqs[-1] + 1  # the reopened log goes on: not a new log
        assert await reopened.events.claim(key, ttl=LONG_TTL) is False
