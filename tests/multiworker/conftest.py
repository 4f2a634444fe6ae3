"""Multi-worker servers on a real Redis or a shared SQLite file, and browser helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pywry.config import env_var_for, load_settings
from pywry.registry import load_state_backend
from pywry_state_redis.testing import ThrowawayRedis, redis_server_url
from servers import ServerProcess, start_server

APPS = Path(__file__).resolve().parent / "apps"
MW_APP = APPS / "mw_app.py"

#: Page script: track the page's WebSockets, and refuse new ones while ``__block`` is set.
#: A blocked socket goes to a path of the same server that has no socket route, so it
#: fails like an unreachable server; another host or port would be refused by the
#: page's CSP (connect-src 'self') with an exception instead of a failed connection.
SOCKET_CONTROL = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__block = false;
  function Tracked(url, protocols) {
    const target = window.__block ? new URL('/pywry-test-blocked', url).href : url;
    const ws = protocols === undefined ? new Real(target) : new Real(target, protocols);
    window.__sockets.push(ws);
    return ws;
  }
  Tracked.prototype = Real.prototype;
  ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((k) => { Tracked[k] = Real[k]; });
  window.WebSocket = Tracked;
})();
"""

#: Page script run after load: record every event of interest in ``window.__got``.
RECORD_EVENTS = """
(names) => {
  window.__got = window.__got || {};
  names.forEach((name) => {
    window.__got[name] = [];
    window.pywry.on(name, (data) => window.__got[name].push(data));
  });
}
"""


def run_async(coro_factory: Callable[[], Any]) -> Any:
    """Run a coroutine on a private loop in a thread (the sync browser API owns this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result(timeout=60)


#: The shared backends a multi-worker deploy can use; the scenarios run on each.
BACKENDS = [pytest.param("redis", marks=pytest.mark.redis), pytest.param("sqlite")]
#: Passphrase of the test databases (the test process needs it too, to read them).
SQLITE_KEY = "multiworker-test-key"


@dataclass
class MultiWorker:
    """A running multi-worker app and the shared state it uses."""

    server: ServerProcess
    backend: str
    #: The ``deploy`` settings that select the server's backend and its namespace.
    deploy: dict[str, str]
    workers: int

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def backend_call(self, fn: Callable[[Any], Any]) -> Any:
        """``await fn(backend)`` on a backend built like the server's (public API only)."""
        settings = load_settings(deploy={"state_backend": self.backend, **self.deploy})

        async def go() -> Any:
            backend = load_state_backend(self.backend).from_settings(settings)
            async with backend:
                return await fn(backend)

        return run_async(go)

    def cleanup(self) -> None:
        """Remove what the server left in a shared store (a SQLite file is in tmp_path)."""
        if self.backend == "redis":
            with contextlib.suppress(Exception):  # an outage test's Redis may be gone
                drop_keys(self.deploy["redis_url"], self.deploy["redis_prefix"])

    def alive_workers(self) -> set[str]:
        return set(self.backend_call(lambda b: b.workers.alive()))

    def wait_workers(self, count: int, timeout: float = 90.0) -> set[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.alive_workers()
            if len(alive) >= count:
                return alive
            time.sleep(0.2)
        raise AssertionError(f"Only {self.alive_workers()} alive; log:\n{self.server.log()}")

    def calls(self, event: str, label: str | None = None) -> list[dict[str, Any]]:
        return [
            c
            for c in self.server.calls()
            if c["event"] == event and (label is None or c["label"] == label)
        ]

    def wait_calls(self, event: str, count: int, label: str | None = None) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = self.calls(event, label)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.calls(event, label))} of {count} {event!r} calls")


def worker_pid(worker_id: str) -> int:
    """The pid inside a default worker id ``<host>-<pid>-<random>``."""
    return int(worker_id.rsplit("-", 2)[-2])


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def _deploy_settings(backend: str, tmp_path: Path, redis_url: str | None) -> dict[str, str]:
    """A fresh namespace: a new Redis key prefix, or a new encrypted SQLite file."""
    run_id = uuid.uuid4().hex[:10]
    if backend == "redis":
        return {"redis_url": redis_url or redis_server_url(), "redis_prefix": f"pywry-mw-{run_id}"}
    if backend == "sqlite":
        return {"sqlite_path": str(tmp_path / "state" / f"mw-{run_id}.db")}
    raise AssertionError(f"no multi-worker setup for backend {backend!r}")


def start_multiworker(
    tmp_path: Path,
    *,
    backend: str = "redis",
    workers: int = 4,
    redis_url: str | None = None,
    **env: str,
) -> MultiWorker:
    deploy = _deploy_settings(backend, tmp_path, redis_url)
    server = start_server(
        MW_APP,
        tmp_path,
        env={
            "PYWRY_SERVER__WORKERS": str(workers),
            "PYWRY_SERVER__LOG_LEVEL": "info",
            "PYWRY_DEPLOY__STATE_BACKEND": backend,
            **{env_var_for("deploy", name): value for name, value in deploy.items()},
            **({"PYWRY_SQLITE_KEY": SQLITE_KEY} if backend == "sqlite" else {}),
            **env,
        },
    )
    running = MultiWorker(server, backend, deploy, workers)
    try:
        running.wait_workers(workers)
    except BaseException:
        server.stop()
        running.cleanup()
        raise
    return running


def drop_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=BACKENDS)
def mw_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared backend of the multi-worker app (a test pins one by parametrizing this)."""
    backend = str(request.param)
    if backend == "sqlite":  # the key source of the file, for this process's own reads
        monkeypatch.setenv("PYWRY_SQLITE_KEY", SQLITE_KEY)
    return backend


@pytest.fixture
def multiworker(tmp_path: Path, mw_backend: str) -> Iterator[Callable[..., MultiWorker]]:
    """Start the test app with several workers on ``mw_backend`` (stopped, cleaned after)."""
    started: list[MultiWorker] = []

    def make(**kwargs: Any) -> MultiWorker:
        running = start_multiworker(tmp_path, backend=mw_backend, **kwargs)
        started.append(running)
        return running

    yield make
    for running in started:
        running.server.stop()
        running.cleanup()


@pytest.fixture
def fresh_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """A page in a new browser context (so a new connection, maybe another worker)."""
    contexts: list[Any] = []

    def make(controlled: bool = False) -> Any:
        context = browser.new_context(accept_downloads=True)
        contexts.append(context)
        if controlled:
            context.add_init_script(SOCKET_CONTROL)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def open_widget(page: Any, url: str, events: list[str] | None = None) -> str:
    """Load ``url``, wait for the socket, record ``events``; return the worker id."""
    page.goto(url)
    page.wait_for_function("() => window.pywry && window.pywry.state === 'open'", timeout=20000)
    if events:
        page.evaluate(RECORD_EVENTS, events)
    return str(page.evaluate("window.pywry.workerId"))


def got(page: Any, event: str) -> list[Any]:
    return list(page.evaluate("(name) => window.__got[name]", event))


def wait_got(page: Any, event: str, count: int, timeout_ms: int = 30000) -> list[Any]:
    page.wait_for_function(
        "([name, n]) => window.__got[name].length >= n", arg=[event, count], timeout=timeout_ms
    )
    return got(page, event)


@pytest.fixture
def shared_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    backend = request.param
    if backend == "redis":
        with ThrowawayRedis() as server:
            yield {
                "PYWRY_DEPLOY__STATE_BACKEND": "redis",
                env_var_for("deploy", "redis_url"): server.url,
                env_var_for("deploy", "redis_prefix"): f"pywry-files-{uuid.uuid4().hex[:8]}",
            }
        return
    yield {
        "PYWRY_DEPLOY__STATE_BACKEND": "sqlite",
        env_var_for("deploy", "sqlite_path"): str(tmp_path / "state" / "files.db"),
        "PYWRY_SQLITE_KEY": SQLITE_KEY,
    }


def recv_event(ws: Any, name: str, timeout: float) -> dict[str, Any]:
    """The next ``event`` frame named ``name`` on a sync WebSocket (others skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(max(0.1, deadline - time.monotonic())))
        if frame.get("type") == "event" and frame["event"] == name:
            return frame


def two_servers(
    app: Path, tmp_path: Path, shared_env: dict[str, str]
) -> tuple[ServerProcess, ServerProcess]:
    """Two single-worker servers of ``app`` on one backend: a test picks the worker."""
    env = {"PYWRY_SERVER__WORKERS": "1", "PYWRY_SERVER__LOG_LEVEL": "warning", **shared_env}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    return start_server(app, tmp_path / "one", env=env), start_server(
        app, tmp_path / "two", env=env
    )
