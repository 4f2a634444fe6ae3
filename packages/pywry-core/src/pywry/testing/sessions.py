"""Conformance of :class:`~pywry.state.base.SessionStore`."""

from __future__ import annotations

import pytest

from pywry.state.base import StateBackend
from pywry.state.records import SessionRecord
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, is_none, uid

__all__ = ["SessionStoreTests"]


def _session(**changes: object) -> SessionRecord:
    fields: dict[str, object] = {
        "session_id": uid("session"),
        "user": "ada@example.org",
        "roles": ["admin", "viewer-ü"],
        "data": {"roles": ["admin", "viewer"], "théme": "dark", "n": 1.5},
        "created_at": 1_700_000_123.5,
    }
    fields.update(changes)
    return SessionRecord.model_validate(fields)


class SessionStoreTests:
    """``backend.sessions``: create, get, touch, remove, TTL."""

    @pytest.mark.asyncio
    async def test_session_round_trip(self, backend: StateBackend) -> None:
        record = _session()
        await backend.sessions.create(record, ttl=LONG_TTL)
        assert await backend.sessions.get(record.session_id) == record
        assert await backend.sessions.get(uid("missing")) is None

    @pytest.mark.asyncio
    async def test_session_roles_round_trip(self, backend: StateBackend) -> None:
        """A session's roles reach every worker (per-widget access reads them)."""
        with_roles, without = _session(roles=["ops", "admin"]), _session(roles=[])
        for record in (with_roles, without):
            await backend.sessions.create(record, ttl=LONG_TTL)
        got = await backend.sessions.get(with_roles.session_id)
        assert got is not None and got.roles == ["ops", "admin"]
        got = await backend.sessions.get(without.session_id)
        assert got is not None and got.roles == []

    @pytest.mark.asyncio
    async def test_create_replaces_session(self, backend: StateBackend) -> None:
        first = _session()
        second = _session(session_id=first.session_id, user="", data={})
        await backend.sessions.create(first, ttl=LONG_TTL)
        await backend.sessions.create(second, ttl=LONG_TTL)
        assert await backend.sessions.get(first.session_id) == second

    @pytest.mark.asyncio
    async def test_session_remove(self, backend: StateBackend) -> None:
        record, other = _session(), _session()
        await backend.sessions.create(record, ttl=LONG_TTL)
        await backend.sessions.create(other, ttl=LONG_TTL)
        assert await backend.sessions.remove(record.session_id) is True
        assert await backend.sessions.get(record.session_id) is None
        assert await backend.sessions.remove(record.session_id) is False
        assert await backend.sessions.get(other.session_id) == other

    @pytest.mark.asyncio
    async def test_session_expires(self, backend: StateBackend) -> None:
        record = _session()
        await backend.sessions.create(record, ttl=SHORT_TTL)
        await eventually(
            lambda: is_none(backend.sessions.get(record.session_id)), "the session to expire"
        )
        assert await backend.sessions.touch(record.session_id, ttl=LONG_TTL) is False
        assert await backend.sessions.remove(record.session_id) is False

    @pytest.mark.asyncio
    async def test_session_touch_extends_life(self, backend: StateBackend) -> None:
        touched, witness = _session(), _session()
        await backend.sessions.create(touched, ttl=SHORT_TTL)
        await backend.sessions.create(witness, ttl=SHORT_TTL)
        assert await backend.sessions.touch(touched.session_id, ttl=LONG_TTL) is True
        await eventually(
            lambda: is_none(backend.sessions.get(witness.session_id)),
            "the untouched session to expire",
        )
        assert await backend.sessions.get(touched.session_id) == touched
        assert await backend.sessions.touch(uid("missing"), ttl=LONG_TTL) is False

    @pytest.mark.asyncio
    async def test_session_rejects_bad_input(self, backend: StateBackend) -> None:
        with pytest.raises(ValueError, match="session_id"):
            await backend.sessions.create(SessionRecord(session_id=""), ttl=LONG_TTL)
        record = _session()
        for ttl in (0, -2.5):
            with pytest.raises(ValueError, match="ttl"):
                await backend.sessions.create(record, ttl=ttl)
            with pytest.raises(ValueError, match="ttl"):
                await backend.sessions.touch(record.session_id, ttl=ttl)
        assert await backend.sessions.get(record.session_id) is None
