"""The chaos suite's server (4 workers on Redis or SQLite) and its crowd of pages.

A :class:`Crowd` runs ``ChaosPage``s (``bench/_chaosclient.py``: pages that speak the
protocol and reconnect like ``bridge.js``) on an event loop of its own thread, so the
test body can kill workers and Redis meanwhile; :meth:`Crowd.finish` quiets the app,
waits until every page has settled and returns the :class:`Tally`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from multiworker.conftest import SQLITE_KEY, MultiWorker, worker_pid

__all__ = ["SQLITE_KEY", "ChaosServer", "Crowd", "backends", "start_chaos", "stop_chaos"]
from pywry.config import env_var_for
from pywry_state_redis.testing import ThrowawayRedis
from servers import start_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _chaosclient import ChaosPage, Tally, tally

CHAOS_APP = Path(__file__).resolve().parent / "apps" / "chaos_app.py"
LABEL = "chaos"
PAGES = 50
#: What every scenario's server is given (seconds): a SIGTERMed worker's callbacks
#: and sockets have this long; the heartbeat makes a SIGKILLed worker dead in 3 s.
GRACE = 5


@dataclass
class ChaosServer:
    mw: MultiWorker
    tmp_path: Path
    redis: ThrowawayRedis | None
    killed: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return self.mw.base_url

    @property
    def ws_base(self) -> str:
        return self.base_url.replace("http://", "ws://")

    def pids(self) -> set[int]:
        return {worker_pid(w) for w in self.mw.alive_workers()}

    def runs(self) -> Counter[str]:
        path = self.tmp_path / "runs.jsonl"
        if not path.exists():
            return Counter()
        lines = path.read_text(encoding="utf-8").splitlines()
        return Counter(json.loads(line)["tag"] for line in lines if line.strip())

    def final_seq(self) -> int:
        return int(self.mw.backend_call(lambda b: b.events.last_seq(LABEL)))

    def first_logged(self) -> int:
        """The oldest ``seq`` the widget's log holds (0: no log): its first number,
        while the log is younger than its buffer (``EVENT_BUFFER_SIZE`` entries)."""
        entries = self.mw.backend_call(lambda b: b.events.since(LABEL, 0))
        return int(entries[0]["seq"]) if entries else 0

    def kill(self, pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
        if sig == signal.SIGKILL:
            self.killed.add(pid)
        os.kill(pid, sig)

    def wait_replaced(self, gone: int, timeout: float = 60.0) -> set[int]:
        """Wait until ``gone`` no longer runs and 4 workers are alive again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.pids()
            if gone not in alive and len(alive) >= self.mw.workers and _exited(gone):
                return alive
            time.sleep(0.2)
        raise AssertionError(f"worker {gone} not replaced: {self.pids()}\n{self.mw.server.log()}")

    def ready(self) -> bool:
        try:
            return httpx.get(self.base_url + "/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False


def _exited(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie until the supervisor reaps it
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "zombie" in status.read_text(encoding="ascii").lower()


def start_chaos(tmp_path: Path, backend: str, **env: str) -> ChaosServer:
    run_id = uuid.uuid4().hex[:10]
    redis = None
    if backend == "redis":
        redis = ThrowawayRedis(persist=env.pop("PERSIST", "") == "1")
        redis.start()
        deploy = {"redis_url": redis.url, "redis_prefix": f"pywry-chaos-{run_id}"}
    else:
        deploy = {"sqlite_path": str(tmp_path / "state" / f"chaos-{run_id}.db")}
    server = start_server(
        CHAOS_APP,
        tmp_path,
        env={
            "PYWRY_SERVER__WORKERS": "4",
            "PYWRY_SERVER__LOG_LEVEL": "info",
            "PYWRY_SERVER__ACCESS_LOG": "false",
            "PYWRY_SERVER__TIMEOUT_GRACEFUL_SHUTDOWN": str(GRACE),
            "PYWRY_DEPLOY__STATE_BACKEND": backend,
            "PYWRY_DEPLOY__HEARTBEAT_INTERVAL": "1",
            "PYWRY_DEPLOY__HEARTBEAT_GRACE": "3",
            "PYWRY_CHAOS_RUNS": str(tmp_path / "runs.jsonl"),
            "PYWRY_CHAOS_QUIET": str(tmp_path / "quiet"),
            **{env_var_for("deploy", name): value for name, value in deploy.items()},
            **({"PYWRY_SQLITE_KEY": SQLITE_KEY} if backend == "sqlite" else {}),
            **env,
        },
        timeout=90,
    )
    chaos = ChaosServer(MultiWorker(server, backend, deploy, 4), tmp_path, redis)
    try:
        chaos.mw.wait_workers(4)
    except BaseException:
        stop_chaos(chaos)
        raise
    return chaos


def stop_chaos(chaos: ChaosServer) -> None:
    chaos.mw.server.stop()
    if chaos.redis is not None:
        chaos.redis.stop()


class Crowd:
    """``count`` pages on a loop of their own thread."""

    def __init__(self, chaos: ChaosServer, count: int = PAGES, event_every: float = 0.5) -> None:
        self.chaos = chaos
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.pages = [
            ChaosPage(chaos.ws_base, LABEL, event_every=event_every) for _ in range(count)
        ]
        self.tasks: list[Future[None]] = [self._call_soon(p.run()) for p in self.pages]
        self.started = time.monotonic()
        #: First numbers of the widget's logs (more than one if it was lost and made
        #: again), looked at while the crowd is busy: a page's jump to a new log is
        #: not a loss.
        self.log_starts: set[int] = set()

    def _note_log_start(self) -> None:
        try:
            first = self.chaos.first_logged()
        except Exception:  # the backend is away (an outage scenario): next time
            return
        if first:
            self.log_starts.add(first)

    def _call_soon(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def _wait(self, predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                log = self.chaos.mw.server.log()[-4000:]
                raise AssertionError(f"{what} within {timeout}s\n{log}")
            time.sleep(0.1)

    def wait_open(self, timeout: float = 30.0) -> None:
        self._wait(lambda: all(p.welcomes for p in self.pages), timeout, "not every page opened")
        self._note_log_start()

    def close(self) -> None:
        """Stop every page and the loop (again: a no-op)."""
        if self.loop.is_closed():
            return
        for page in self.pages:
            self._call_soon(page.stop()).result(10)
        for task in self.tasks:
            task.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def busy(self, seconds: float) -> None:
        """Let the pages work for ``seconds``, noting the log's first number each second."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self._note_log_start()
            time.sleep(max(0.0, min(1.0, until - time.monotonic())))

    def finish(self, name: str, timeout: float = 30.0) -> Tally:
        """Quiet the app, wait until every page settled, stop them; the run's counts."""
        for page in self.pages:
            self.loop.call_soon_threadsafe(page.stop_sending)
        (self.chaos.tmp_path / "quiet").touch()
        time.sleep(1.0)  # ticks already scheduled reach the log
        self._note_log_start()
        final = self.chaos.final_seq()

        def settled() -> bool:
            nonlocal final
            final = self.chaos.final_seq()
            killed = frozenset(self.chaos.killed)
            return all(p.settled(killed) and p.last_seq == final for p in self.pages)

        try:
            self._wait(settled, timeout, "the pages did not settle")
        except AssertionError as exc:
            print(f"[{name}] not settled: {str(exc)[:200]}")
        time.sleep(0.5)
        self.close()
        time.sleep(0.3)  # a late duplicate callback would be in the log by now
        result = tally(
            self.pages,
            self.chaos.runs(),
            final_seq=final,
            log_starts=self.log_starts,
            killed=frozenset(self.chaos.killed),
        )
        seconds = round(time.monotonic() - self.started, 1)
        print(f"\n[chaos {name}] {result.line()}, seconds={seconds}")
        for line in result.details[:20]:
            print(f"  {line}")
        return result


def backends(in_ci: str) -> list[Any]:
    """``chaos_backend`` parameters: ``in_ci`` alone (one backend per scenario keeps the
    suite to a few minutes; the scenarios take turns), both with ``PYWRY_CHAOS_ALL=1``."""
    chosen = ["redis", "sqlite"] if os.environ.get("PYWRY_CHAOS_ALL") == "1" else [in_ci]
    marks = {"redis": [pytest.mark.redis], "sqlite": []}
    return [pytest.param(name, marks=marks[name]) for name in chosen]


@pytest.fixture
def chaos_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend of a scenario, parametrized with :func:`backends` (indirect)."""
    backend = str(request.param)
    if backend == "sqlite":  # the test process reads the file too
        monkeypatch.setenv("PYWRY_SQLITE_KEY", SQLITE_KEY)
    return backend


@pytest.fixture
def chaos_server(tmp_path: Path) -> Iterator[Any]:
    """``make(backend, **env)`` starts the chaos app (stopped after the test)."""
    started: list[ChaosServer] = []

    def make(backend: str, **env: str) -> ChaosServer:
        chaos = start_chaos(tmp_path, backend, **env)
        started.append(chaos)
        return chaos

    yield make
    for chaos in started:
        stop_chaos(chaos)
