"""Chaos under load: 4 workers, 50 pages sending events and taking broadcasts, while
workers are stopped, recycled, killed and Redis goes away. Every scenario prints its
counts (``[chaos <name>] pages=.., sent=.., ...``) and asserts nothing was lost,
nothing applied twice, no event left unrun without a notice, and the server up.

Select them with ``-m chaos``; each takes 15-30 s.
"""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from .conftest import GRACE, ChaosServer, Crowd, Tally

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]


def _assert_clean(chaos: ChaosServer, result: Tally, *, resets: int = 0) -> None:
    assert result.sent > 0 and result.received > 0, result.line()
    assert result.lost == 0, result.details[:10]
    assert result.twice == 0, result.details[:10]
    assert result.never_run == 0, result.details[:10]
    assert result.resets <= resets, result.line()
    assert chaos.ready(), chaos.mw.server.log()[-3000:]
    assert len(chaos.pids()) == 4
    assert chaos.mw.server.proc.poll() is None


def test_sigterm_one_worker_under_load(chaos_server, chaos_backend: str) -> None:
    chaos = chaos_server(chaos_backend)
    crowd = Crowd(chaos)
    crowd.wait_open()
    crowd.busy(3)
    victim = next(p.worker_pid for p in crowd.pages)
    before = chaos.pids()
    on_victim = sum(1 for p in crowd.pages if p.worker_pid == victim)
    started = time.monotonic()
    chaos.kill(victim, signal.SIGTERM)
    replaced = chaos.wait_replaced(victim)
    took = time.monotonic() - started
    crowd.busy(3)
    result = crowd.finish(f"sigterm-{chaos_backend}")
    print(f"  victim pages={on_victim}, replaced in {took:.1f}s, workers {before} -> {replaced}")
    assert all(p.worker_pid != victim for p in crowd.pages)  # they moved to live workers
    assert victim not in replaced  # deregistered
    log = chaos.mw.server.log()
    assert "Cancelling" not in log  # running callbacks finished within the grace
    assert took < GRACE + 10
    _assert_clean(chaos, result)
