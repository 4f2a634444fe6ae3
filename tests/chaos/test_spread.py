"""How new connections spread over 4 workers, before and after one is SIGKILLed.

The scenario opens ``CONNECTIONS`` fresh page sockets (each says ``hello`` and reads
its ``welcome``, whose ``workerId`` names the worker that took it) a few at a time,
counts them per worker and closes them; kills one worker, waits until its
replacement is registered and ``/readyz`` answers, and opens as many again. The
connections made after the replacement must reach every live worker (the
replacement too) with at least ``FLOOR`` of them each: an even spread gives each
worker about a quarter, a supervisor whose listening socket favours some processes
leaves one of them with most and another with few or none.

A socket opened before the kill stays on the worker that took it; only those that
were on the killed worker move (they reconnect, and are spread like new ones).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable

import pytest
from _chaosclient import _pid_of
from _wsclient import PyWrySession

from .conftest import LABEL, ChaosServer

pytestmark = [pytest.mark.chaos, pytest.mark.redis]

CONNECTIONS = 200
#: Sockets opened at once: each batch is closed before the next opens, so a worker's
#: count is where its listening socket sent new connections, not who was idle.
BATCH = 8
#: The share every worker must get of the new connections (an even spread: 25 %).
FLOOR = 0.10
#: Sockets opened at once first and held open across the kill (the "old" connections):
#: a burst, as when a killed worker's pages all reconnect. No worker may take more
#: than ``BURST_CAP`` of it (an even spread: about a quarter each; one socket shared
#: by the workers gave 50-75 % of such a burst to one of them).
HELD = 40
BURST_CAP = 0.6


def _worker(session: PyWrySession) -> int:
    """The pid of the worker that welcomed ``session`` (in its ``workerId``)."""
    return _pid_of(str(session.welcome.get("workerId", "")))


async def _open_batch(ws_base: str, count: int) -> list[PyWrySession]:
    return list(await asyncio.gather(*(PyWrySession.open(ws_base, LABEL) for _ in range(count))))


async def _spread(chaos: ChaosServer, total: int = CONNECTIONS) -> Counter[int]:
    """Open ``total`` sockets ``BATCH`` at a time; how many welcomes each worker sent."""
    counts: Counter[int] = Counter()
    opened = 0
    while opened < total:
        sessions = await _open_batch(chaos.ws_base, min(BATCH, total - opened))
        opened += len(sessions)
        counts.update(_worker(s) for s in sessions)
        await asyncio.gather(*(s.close() for s in sessions))
    return counts


def _line(counts: Counter[int], pids: Iterable[int]) -> str:
    return ", ".join(f"{pid}={counts.get(pid, 0)}" for pid in sorted(pids))


def _wait_ready(chaos: ChaosServer, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not chaos.ready():
        assert time.monotonic() < deadline, chaos.mw.server.log()[-3000:]
        time.sleep(0.2)


async def _scenario(chaos: ChaosServer) -> None:
    started = time.monotonic()
    before_pids = chaos.pids()
    held = await _open_batch(chaos.ws_base, HELD)  # old connections, kept across the kill
    try:
        await _kill_and_count(chaos, before_pids, held)
    finally:
        await asyncio.gather(*(s.close() for s in held))
        print(f"[spread] {time.monotonic() - started:.1f}s")


async def _kill_and_count(
    chaos: ChaosServer, before_pids: set[int], held: list[PyWrySession]
) -> None:
    old = Counter(_worker(s) for s in held)
    print(f"\n[spread] a burst of {HELD}: {_line(old, before_pids)}")
    assert max(old.values()) <= BURST_CAP * HELD, _line(old, before_pids)
    before = await _spread(chaos)
    print(f"[spread] before the kill: {_line(before, before_pids)}")
    assert set(before) <= before_pids, before

    victim = max(before, key=lambda pid: before[pid])  # the busiest one
    chaos.kill(victim)
    after_pids = await asyncio.to_thread(chaos.wait_replaced, victim)
    await asyncio.to_thread(_wait_ready, chaos)
    (replacement,) = after_pids - before_pids

    after = await _spread(chaos)
    print(f"[spread] after the kill ({victim} -> {replacement}): {_line(after, after_pids)}")
    assert set(after) <= after_pids, after
    floor = int(FLOOR * CONNECTIONS)
    starved = [pid for pid in after_pids if after.get(pid, 0) < floor]
    assert not starved, f"workers below {floor} of {CONNECTIONS}: {_line(after, after_pids)}"

    # old connections stay where they are: those on a survivor are still open there,
    # those on the killed worker were closed (their pages reconnect, spread like new ones)
    await asyncio.sleep(0.2)
    kept = Counter(_worker(s) for s in held if not s.ws.closed)
    print(f"[spread] the burst's sockets still open: {_line(kept, before_pids)}")
    assert kept == Counter({pid: n for pid, n in old.items() if pid != victim}), (old, kept)


def test_new_connections_spread_after_sigkill(chaos_server) -> None:
    asyncio.run(_scenario(chaos_server("redis")))
