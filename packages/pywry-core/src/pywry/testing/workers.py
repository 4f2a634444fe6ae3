"""Conformance of :class:`~pywry.state.base.WorkerRegistry`."""

from __future__ import annotations

import pytest

from pywry.state.base import StateBackend
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, is_false, uid

__all__ = ["WorkerRegistryTests"]


class WorkerRegistryTests:
    """``backend.workers``: heartbeats that expire."""

    @pytest.mark.asyncio
    async def test_heartbeat_makes_worker_alive(self, backend: StateBackend) -> None:
        first, second = uid("worker"), uid("worker")
        assert await backend.workers.is_alive(first) is False
        await backend.workers.heartbeat(first, ttl=LONG_TTL)
        await backend.workers.heartbeat(second, ttl=LONG_TTL)
        assert await backend.workers.is_alive(first) is True
        assert {first, second} <= await backend.workers.alive()

    @pytest.mark.asyncio
    async def test_worker_without_heartbeat_dies(self, backend: StateBackend) -> None:
        dying, living = uid("worker"), uid("worker")
        await backend.workers.heartbeat(dying, ttl=SHORT_TTL)
        await backend.workers.heartbeat(living, ttl=LONG_TTL)
        await eventually(
            lambda: _gone(backend, dying), "the worker to leave alive() when its heartbeat expires"
        )
        assert await backend.workers.is_alive(dying) is False
        assert living in await backend.workers.alive()
        assert await backend.workers.remove(dying) is False

    @pytest.mark.asyncio
    async def test_new_heartbeat_extends_life(self, backend: StateBackend) -> None:
        beating, witness = uid("worker"), uid("worker")
        await backend.workers.heartbeat(beating, ttl=SHORT_TTL)
        await backend.workers.heartbeat(witness, ttl=SHORT_TTL)
        await backend.workers.heartbeat(beating, ttl=LONG_TTL)
        await eventually(
            lambda: is_false(backend.workers.is_alive(witness)),
            "the worker without a new heartbeat to expire",
        )
        assert await backend.workers.is_alive(beating) is True

    @pytest.mark.asyncio
    async def test_remove_worker(self, backend: StateBackend) -> None:
        gone, kept = uid("worker"), uid("worker")
        await backend.workers.heartbeat(gone, ttl=LONG_TTL)
        await backend.workers.heartbeat(kept, ttl=LONG_TTL)
        assert await backend.workers.remove(gone) is True
        assert await backend.workers.is_alive(gone) is False
        assert await backend.workers.remove(gone) is False
        alive = await backend.workers.alive()
        assert gone not in alive and kept in alive

    @pytest.mark.asyncio
    async def test_heartbeat_rejects_bad_input(self, backend: StateBackend) -> None:
        with pytest.raises(ValueError, match="worker_id"):
            await backend.workers.heartbeat("", ttl=LONG_TTL)
        worker = uid("worker")
        for ttl in (0, -1):
            with pytest.raises(ValueError, match="ttl"):
                await backend.workers.heartbeat(worker, ttl=ttl)
        assert await backend.workers.is_alive(worker) is False


async def _gone(backend: StateBackend, worker_id: str) -> bool:
    return worker_id not in await backend.workers.alive()
