"""Conformance of :attr:`Capability.SHARED`: other instances and other processes see it all."""

from __future__ import annotations

import asyncio

import pytest

from pywry.state.base import Capability, StateBackend
from pywry.state.records import ConnectionRecord, SessionRecord
from pywry.testing._fixtures import MakeBackend, RunInSubprocess
from pywry.testing._support import (
    LONG_TTL,
    SHORT_TTL,
    check_new_log_start,
    clock_us,
    eventually,
    is_none,
    requires,
    uid,
)
from pywry.testing.events import receive
from pywry.testing.widgets import sample_widget

__all__ = ["SharedStateTests"]


def _child(request: pytest.FixtureRequest) -> RunInSubprocess:
    runner: RunInSubprocess = request.getfixturevalue("run_in_subprocess")
    return runner


class SharedStateTests:
    """Two instances from the same settings, and a child process, share one state."""

    @pytest.mark.asyncio
    async def test_widgets_are_shared(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.SHARED)
        other = await make_backend()
        record = sample_widget()
        await backend.widgets.register(record, ttl=LONG_TTL)
        assert await other.widgets.get(record.widget_id) == record
        assert record.widget_id in await other.widgets.active()
        assert await other.widgets.touch(record.widget_id, ttl=LONG_TTL) is True
        assert await other.widgets.remove(record.widget_id) is True
        assert await backend.widgets.get(record.widget_id) is None
        assert record.widget_id not in await backend.widgets.active()

    @pytest.mark.asyncio
    async def test_expiry_is_shared(self, backend: StateBackend, make_backend: MakeBackend) -> None:
        requires(backend, Capability.SHARED)
        other = await make_backend()
        record, witness = sample_widget(), sample_widget()
        await backend.widgets.register(record, ttl=SHORT_TTL)
        await backend.widgets.register(witness, ttl=LONG_TTL)
        assert await other.widgets.get(witness.widget_id) == witness
        await eventually(
            lambda: is_none(other.widgets.get(record.widget_id)),
            "the other instance to see the widget expire",
        )

    @pytest.mark.asyncio
    async def test_sessions_routes_and_workers_are_shared(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.SHARED)
        other = await make_backend()
        session = SessionRecord(session_id=uid("session"), user="ada", data={"k": [1]})
        conn = ConnectionRecord(connection_id=uid("conn"), widget_id=uid("w"), worker_id="k1")
        worker = uid("worker")
        await backend.sessions.create(session, ttl=LONG_TTL)
        await backend.connections.register(conn, ttl=LONG_TTL)
        await backend.connections.set_owner(conn.widget_id, worker, ttl=LONG_TTL)
        await backend.workers.heartbeat(worker, ttl=LONG_TTL)
        assert await other.sessions.get(session.session_id) == session
        assert await other.connections.get(conn.connection_id) == conn
        assert await other.connections.owner_of(conn.widget_id) == worker
        assert await other.workers.is_alive(worker) is True
        assert await other.workers.remove(worker) is True
        assert await backend.workers.is_alive(worker) is False

    @pytest.mark.asyncio
    async def test_bus_crosses_instances(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.SHARED)
        other = await make_backend()
        channel = uid("channel")
        async with await other.events.subscribe(channel) as sub:
            for i in range(10):
                await backend.events.publish(channel, {"i": i})
            assert await receive(sub, 10) == [(channel, {"i": i}) for i in range(10)]

    @pytest.mark.asyncio
    async def test_seq_and_claims_cross_instances(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.SHARED)
        other = await make_backend()
        widget, key = uid("widget"), uid("claim")
        before = clock_us()
        seqs = await asyncio.gather(
            *(
                instance.events.append(widget, {"i": i}, maxlen=100, ttl=LONG_TTL)
                for i in range(25)
                for instance in (backend, other)
            )
        )
        first = min(seqs)
        check_new_log_start(first, before, clock_us())
        assert sorted(seqs) == list(range(first, first + 50))
        assert await other.events.last_seq(widget) == first + 49
        claims = await asyncio.gather(
            *(
                instance.events.claim(key, ttl=LONG_TTL)
                for _ in range(10)
                for instance in (backend, other)
            )
        )
        assert claims.count(True) == 1

    @pytest.mark.asyncio
    async def test_claim_in_another_process_wins(
        self, backend: StateBackend, request: pytest.FixtureRequest
    ) -> None:
        requires(backend, Capability.SHARED)
        key = uid("claim")
        assert await _child(request)([{"op": "claim", "key": key, "ttl": LONG_TTL}]) == [True]
        assert await backend.events.claim(key, ttl=LONG_TTL) is False

    @pytest.mark.asyncio
    async def test_state_written_by_another_process_is_seen(
        self, backend: StateBackend, request: pytest.FixtureRequest
    ) -> None:
        requires(backend, Capability.SHARED)
        record, worker, widget = sample_widget(), uid("worker"), uid("widget")
        results = await _child(request)(
            [
                {"op": "register_widget", "record": record.model_dump(), "ttl": LONG_TTL},
                {"op": "heartbeat", "worker_id": worker, "ttl": LONG_TTL},
                *(
                    {
                        "op": "append",
                        "widget_id": widget,
                        "message": {"i": i},
                        "maxlen": 10,
                        "ttl": LONG_TTL,
                    }
                    for i in range(3)
                ),
            ]
        )
        first = results[2]
        assert results == [None, None, first, first + 1, first + 2]
        assert await backend.widgets.get(record.widget_id) == record
        assert record.widget_id in await backend.widgets.active()
        assert await backend.workers.is_alive(worker) is True
        assert await backend.events.since(widget, first) == [
            {"i": 1, "seq": first + 1},
            {"i": 2, "seq": first + 2},
        ]
        assert await backend.events.append(widget, {"i": 3}, maxlen=10, ttl=LONG_TTL) == first + 3

    @pytest.mark.asyncio
    async def test_publish_from_another_process_arrives(
        self, backend: StateBackend, request: pytest.FixtureRequest
    ) -> None:
        requires(backend, Capability.SHARED)
        run = _child(request)
        channel = uid("channel")
        ops = [{"op": "publish", "channel": channel, "message": {"i": i}} for i in range(5)]
        async with await backend.events.subscribe(channel) as sub:
            await run(ops)
            assert await receive(sub, 5) == [(channel, {"i": i}) for i in range(5)]
