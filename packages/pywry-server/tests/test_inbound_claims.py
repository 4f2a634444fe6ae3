"""Inbound claims when the backend goes away mid-call: the write may land although the
call failed; the page resends the frame and it must run once, not be a "duplicate"."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pywry.errors import BackendUnavailableError
from pywry.state.memory import MemoryBackend
from pywry_server.inbound import InboundRouter


class Runs:
    """A dispatcher that defines every widget and records what it was asked to run."""

    def __init__(self) -> None:
        self.ran: list[Any] = []

    def defines(self, label: str) -> bool:
        return True

    def check_room(self) -> None:
        return None

    def run_here(self, label: str, event: str, data: Any, **_: Any) -> bool:
        self.ran.append(data)
        return True


class Page:
    label = "board"
    client_id = "client01"
    connection_id = "conn01"
    viewer = None


async def test_a_claim_that_landed_but_failed_runs_on_the_resend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = MemoryBackend()
    runs = Runs()
    router = InboundRouter(backend, runs, "worker-a", dedupe_ttl=60)  # type: ignore[arg-type]
    real_claim = backend.events.claim

    async def lands_then_fails(key: str, *, ttl: float) -> bool:
        await real_claim(key, ttl=ttl)
        raise BackendUnavailableError("Redis went away before it answered")

    monkeypatch.setattr(backend.events, "claim", lands_then_fails)
    with pytest.raises(BackendUnavailableError):
        await router.receive(Page(), "app:note", {"n": 1}, "f1")  # type: ignore[arg-type]
    monkeypatch.setattr(backend.events, "claim", real_claim)

    assert await router.receive(Page(), "app:note", {"n": 1}, "f1") == "ok"  # type: ignore[arg-type]
    assert await router.receive(Page(), "app:note", {"n": 1}, "f1") == "duplicate"  # type: ignore[arg-type]
    assert runs.ran == [{"n": 1}]


async def test_a_frame_claimed_by_a_call_that_answered_stays_a_duplicate() -> None:
    backend = MemoryBackend()
    runs = Runs()
    router = InboundRouter(backend, runs, "worker-a", dedupe_ttl=60)  # type: ignore[arg-type]
    assert await router.receive(Page(), "app:note", {}, "f2") == "ok"  # type: ignore[arg-type]
    assert await router.receive(Page(), "app:note", {}, "f2") == "duplicate"  # type: ignore[arg-type]
    assert len(runs.ran) == 1


class Elsewhere(Runs):
    """A dispatcher without the widget: it runs on its owner, another worker."""

    def run_here(self, label: str, event: str, data: Any, **_: Any) -> bool:
        return False


async def test_an_owner_found_alive_is_asked_for_once_a_second_and_its_death_is_seen() -> None:
    backend = MemoryBackend()
    await backend.connections.set_owner("board", "worker-b", ttl=60)
    await backend.workers.heartbeat("worker-b", ttl=0.3)
    router = InboundRouter(backend, Elsewhere(), "worker-a", dedupe_ttl=60, owner_fresh=0.2)  # type: ignore[arg-type]
    lookups = 0
    real_owner_of = backend.connections.owner_of

    async def counted(label: str) -> str | None:
        nonlocal lookups
        lookups += 1
        return await real_owner_of(label)

    backend.connections.owner_of = counted  # type: ignore[method-assign]
    for n in range(5):
        assert await router.receive(Page(), "app:note", {"n": n}, f"f{n}") == "ok"  # type: ignore[arg-type]
    assert lookups == 1
    await asyncio.sleep(0.35)  # worker-b's heartbeat expired and what was known is stale
    assert await router.receive(Page(), "app:note", {"n": 9}, "f9") == "unavailable"  # type: ignore[arg-type]
    assert lookups == 2
